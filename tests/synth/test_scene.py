"""The synthetic shelf world: determinism, geometry, planograms and the ground truth contract."""

from __future__ import annotations

import io

import numpy as np
import pytest

from pipeline import keys
from pipeline.detections import field_values, of_kind
from pipeline.errors import ShelfAuditError
from pipeline.planogram import Block, Planogram, Shelf
from pipeline.synth import FaultRates, format_price, make_planogram, render_scene
from pipeline.synth.planograms import physical_size


def _jpeg(scene) -> bytes:
    buf = io.BytesIO()
    scene.image.save(buf, format="JPEG", quality=scene.jpeg_quality)
    return buf.getvalue()


def test_same_seed_renders_identical_bytes_and_truth(catalog):
    a, b = render_scene(catalog, 5, width=640), render_scene(catalog, 5, width=640)
    assert _jpeg(a) == _jpeg(b)
    assert a.truth.to_dict() == b.truth.to_dict()
    assert a.faults == b.faults
    assert a.planogram == b.planogram


def test_different_seeds_render_different_shelves(catalog):
    a, b = render_scene(catalog, 5, width=640), render_scene(catalog, 6, width=640)
    assert _jpeg(a) != _jpeg(b)
    assert a.truth.to_dict() != b.truth.to_dict()


@pytest.mark.parametrize("seed,width", [(1, 640), (2, 800), (3, None)])
def test_every_box_lies_inside_the_image(catalog, seed, width):
    scene = render_scene(catalog, seed, width=width)
    w, h = scene.image.size
    assert (scene.truth.width, scene.truth.height) == (w, h)
    if width is not None:
        assert w == width
    else:
        assert 640 <= w <= 4000
    xyxy = scene.truth.detections.xyxy
    assert len(xyxy) > 20
    assert (xyxy[:, 0] >= 0).all() and (xyxy[:, 1] >= 0).all()
    assert (xyxy[:, 2] <= w).all() and (xyxy[:, 3] <= h).all()
    assert (xyxy[:, 2] > xyxy[:, 0]).all() and (xyxy[:, 3] > xyxy[:, 1]).all()


def test_truth_carries_the_contract_fields(catalog):
    det = render_scene(catalog, 8, width=800).truth.detections
    kinds = set(field_values(det, keys.KIND))
    assert {keys.PRODUCT, keys.PRICE_TAG} <= kinds <= set(keys.KINDS)
    products = of_kind(det, keys.PRODUCT)
    for sku, brand, orientation, shelf in zip(
        field_values(products, keys.SKU), field_values(products, keys.BRAND),
        field_values(products, keys.ORIENTATION), field_values(products, keys.SHELF),
        strict=True,
    ):
        assert orientation in keys.ORIENTATIONS
        assert isinstance(shelf, int) and shelf >= 1
        if sku == keys.UNKNOWN:
            assert brand is None
        else:
            assert catalog.sku(sku).brand == brand


def test_perfect_shelf_matches_its_planogram(catalog):
    scene = render_scene(catalog, 21, width=800, fault_rates=FaultRates().scaled(0))
    assert scene.faults == []
    det = scene.truth.detections
    assert len(of_kind(det, keys.GAP)) == 0
    products = of_kind(det, keys.PRODUCT)
    tags = of_kind(det, keys.PRICE_TAG)
    promos = of_kind(det, keys.PROMO)
    for shelf in scene.planogram.shelves:
        on_shelf = field_values(products, keys.SHELF) == shelf.index
        skus = list(field_values(products, keys.SKU)[on_shelf])
        for block in shelf.blocks:
            assert skus.count(block.sku) == block.facings
    planned = [b for s in scene.planogram.shelves for b in s.blocks]
    assert len(tags) == len(planned)
    assert len(promos) == sum(1 for b in planned if b.promo)
    for sku, price in zip(field_values(tags, keys.SKU), field_values(tags, keys.PRICE),
                          strict=True):
        assert price == catalog.sku(sku).price
    assert set(field_values(products, keys.ORIENTATION)) == {keys.UPRIGHT}


def test_price_tags_show_the_formatted_price(catalog):
    wrong = {}
    for seed in range(30, 36):
        scene = render_scene(catalog, seed, width=640, fault_rates=FaultRates().scaled(3))
        tags = of_kind(scene.truth.detections, keys.PRICE_TAG)
        for box, text, price, currency, sku in zip(
            tags.xyxy, field_values(tags, keys.TEXT), field_values(tags, keys.PRICE),
            field_values(tags, keys.CURRENCY), field_values(tags, keys.SKU), strict=True,
        ):
            assert text == format_price(price, currency)
            assert text.startswith("¥")
            faulty = [f for f in scene.faults if f["type"] == "wrong_price"
                      and np.allclose(f["box"], box, atol=0.2)]
            if faulty:
                wrong[(seed, sku)] = faulty[0]
                assert price == faulty[0]["shown_price"] != catalog.sku(sku).price
            else:
                assert price == catalog.sku(sku).price
    assert wrong, "a raised fault rate should produce wrong prices"


def test_format_price():
    assert format_price(3.5, "CNY") == "¥3.50"
    assert format_price(2.99, "USD") == "$2.99"
    assert format_price(12.8, "CNY") == "¥12.80"


def test_planogram_shape(catalog):
    for seed in range(6):
        plan = make_planogram(catalog, seed)
        assert 3 <= len(plan.shelves) <= 6
        assert [s.index for s in plan.shelves] == list(range(1, len(plan.shelves) + 1))
        for shelf in plan.shelves:
            xs = [b.x for b in shelf.blocks]
            assert all(3 <= b.facings <= 8 for b in shelf.blocks)
            assert all(a[1] <= b[0] + 1e-6 for a, b in zip(xs, xs[1:], strict=False))
            brands = [catalog.sku(b.sku).brand for b in shelf.blocks]
            runs = [b for i, b in enumerate(brands) if i == 0 or brands[i - 1] != b]
            zones = [z for z in plan.zones if z.shelves == (shelf.index, shelf.index)]
            assert [z.brand for z in zones] == runs
            assert zones[0].x[0] == xs[0][0] and zones[-1].x[1] == xs[-1][1]


def test_planogram_options(catalog):
    plan = make_planogram(catalog, 3, categories=["dairy"], n_shelves=4, planogram_id="cam-7")
    assert plan.id == "cam-7" and len(plan.shelves) == 4
    assert all(catalog.sku(b.sku).category == "dairy" for s in plan.shelves for b in s.blocks)
    with pytest.raises(ValueError, match="unknown categories"):
        make_planogram(catalog, 3, categories=["toys"])


def test_bigger_packs_are_drawn_bigger(catalog):
    assert physical_size(catalog.sku("colaco-cola-1500")).height > \
        physical_size(catalog.sku("colaco-cola-500")).height > \
        physical_size(catalog.sku("colaco-cola-330")).height


def test_a_given_planogram_is_rendered(catalog):
    plan = Planogram(id="fixed", shelves=[
        Shelf(index=1, blocks=[Block(sku="colaco-cola-330", x=(0.05, 0.5), facings=6),
                               Block(sku="fizzup-lemon-330", x=(0.5, 0.95), facings=6,
                                     promo="特价")]),
        Shelf(index=2, blocks=[Block(sku="clearspring-550", x=(0.05, 0.95), facings=8)]),
    ])
    scene = render_scene(catalog, 1, width=640, planogram=plan,
                         fault_rates=FaultRates().scaled(0))
    assert scene.planogram is plan
    promos = of_kind(scene.truth.detections, keys.PROMO)
    assert list(field_values(promos, keys.TEXT)) == ["特价"]
    assert len(of_kind(scene.truth.detections, keys.PRODUCT)) == 20


def test_planogram_with_an_unknown_sku_is_a_clear_error(catalog):
    plan = Planogram(id="bad", shelves=[Shelf(index=1, blocks=[
        Block(sku="no-such-thing", x=(0.1, 0.9), facings=4)])])
    with pytest.raises(ShelfAuditError, match="no-such-thing"):
        render_scene(catalog, 1, width=640, planogram=plan)


def test_width_out_of_range_is_refused(catalog):
    with pytest.raises(ValueError, match="width"):
        render_scene(catalog, 1, width=100)


def test_a_fixed_view_changes_only_the_stock(catalog):
    """Two days of one shelf camera: same back panel, light, tag and sign styles, same tags
    where the price did not change; another view (or none) looks different."""
    plan = make_planogram(catalog, np.random.default_rng(3))
    none = FaultRates().scaled(0)
    day1 = render_scene(catalog, 10, width=900, planogram=plan, fault_rates=none, view_seed=4)
    day2 = render_scene(catalog, 11, width=900, planogram=plan, fault_rates=none, view_seed=4)
    other = render_scene(catalog, 11, width=900, planogram=plan, fault_rates=none, view_seed=5)
    assert day1.jpeg_quality == day2.jpeg_quality
    a, b, c = (np.asarray(s.image, dtype=np.float32) for s in (day1, day2, other))
    header = slice(0, 20)  # above the shelves: only the back panel and the camera's look
    assert np.abs(a[header] - b[header]).mean() < 6.0  # sensor noise only
    assert np.abs(a[header] - b[header]).mean() < np.abs(a[header] - c[header]).mean()
    tags = [s.truth.detections[s.truth.detections.data[keys.KIND] == keys.PRICE_TAG]
            for s in (day1, day2)]
    np.testing.assert_allclose(tags[0].xyxy, tags[1].xyxy)  # tags stay on the rail
    assert list(tags[0].data[keys.TEXT]) == list(tags[1].data[keys.TEXT])
    products = [s.truth.detections[s.truth.detections.data[keys.KIND] == keys.PRODUCT]
                for s in (day1, day2)]
    assert not np.allclose(products[0].xyxy, products[1].xyxy)  # shoppers nudge products

