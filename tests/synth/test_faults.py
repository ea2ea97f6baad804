"""Every injected fault matches exactly what was drawn (or left out) in the ground truth."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline import keys
from pipeline.detections import field_values, of_kind
from pipeline.synth import FAULT_TYPES, FaultRates, render_scene


def _overlap(a, b) -> float:
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    return max(0.0, w) * max(0.0, h)


def _at(det, box):
    """Indices of boxes equal to ``box`` (to the JSON's 0.1 px rounding)."""
    return [i for i, b in enumerate(det.xyxy) if np.allclose(b, box, atol=0.2)]


@pytest.fixture(scope="module")
def faulty_scenes(catalog):
    rates = FaultRates().scaled(4)
    return [render_scene(catalog, seed, width=800, fault_rates=rates) for seed in range(40, 48)]


def test_all_fault_types_occur(faulty_scenes):
    seen = {f["type"] for s in faulty_scenes for f in s.faults}
    assert seen == set(FAULT_TYPES)


def _check(fault, scene, catalog) -> None:
    det = scene.truth.detections
    kind = field_values(det, keys.KIND)
    sku = field_values(det, keys.SKU)
    here = [i for i in _at(det, fault["box"]) if det.data[keys.SHELF][i] == fault["shelf"]]
    t = fault["type"]
    if t == "gap":
        assert [kind[i] for i in here] == [keys.GAP]
        products = of_kind(det, keys.PRODUCT)
        x0, y0, x1, y1 = fault["box"]
        inner = (x0 + 0.25, y0, x1 - 0.25, y1)  # the JSON rounds boxes to 0.1 px
        assert all(_overlap(b, inner) == 0 for b in products.xyxy)
        x0, _, x1, _ = fault["box"]
        facing = (x1 - x0) / fault["missing_facings"]
        assert facing > 0
    elif t == "lying":
        (i,) = [i for i in here if kind[i] == keys.PRODUCT]
        assert det.data[keys.ORIENTATION][i] == keys.LYING
        x0, y0, x1, y1 = det.xyxy[i]
        assert x1 - x0 > y1 - y0
        assert catalog.sku(sku[i]).package in ("can", "bottle")
    elif t == "competitor":
        (i,) = [i for i in here if kind[i] == keys.PRODUCT]
        zone = next(z for z in scene.planogram.zones if z.id == fault["zone"])
        brand = det.data[keys.BRAND][i]
        assert brand == fault["brand"] != zone.brand
        assert catalog.sku(sku[i]).category == zone.category
        cx = (det.xyxy[i][0] + det.xyxy[i][2]) / 2 / scene.truth.width
        assert zone.contains(cx, 0.5, fault["shelf"])
    elif t == "misplaced":
        (i,) = [i for i in here if kind[i] == keys.PRODUCT]
        assert sku[i] == fault["sku"]
        planned_on = {s for s, _ in scene.planogram.blocks_of(sku[i])}
        assert fault["expected_shelf"] in planned_on and fault["shelf"] not in planned_on
    elif t == "missing_tag":
        tags = of_kind(det, keys.PRICE_TAG)
        assert all(_overlap(b, fault["box"]) == 0 for b in tags.xyxy)
        assert not any(kind[i] == keys.PRICE_TAG for i in here)
    elif t == "wrong_price":
        (i,) = [i for i in here if kind[i] == keys.PRICE_TAG]
        assert det.data[keys.PRICE][i] == fault["shown_price"] != fault["planned_price"]
        assert fault["planned_price"] == catalog.sku(sku[i]).price
    elif t == "missing_promo":
        promos = of_kind(det, keys.PROMO)
        assert all(_overlap(b, fault["box"]) == 0 for b in promos.xyxy)
        planned = [b.promo for _, b in scene.planogram.blocks_of(fault["sku"])]
        assert fault["text"] in planned
    elif t == "unknown":
        (i,) = [i for i in here if kind[i] == keys.PRODUCT]
        assert sku[i] == keys.UNKNOWN and det.data[keys.BRAND][i] is None
    else:  # pragma: no cover - a new fault type needs a check here
        pytest.fail(f"no check for fault type {t}")


def test_every_fault_matches_the_truth(faulty_scenes, catalog):
    checked = 0
    for scene in faulty_scenes:
        for fault in scene.faults:
            assert fault["type"] in FAULT_TYPES
            assert {"type", "shelf", "box", "sku"} <= set(fault)
            _check(fault, scene, catalog)
            checked += 1
    assert checked > 30


def test_gaps_and_unknowns_only_come_from_faults(faulty_scenes):
    for scene in faulty_scenes:
        det = scene.truth.detections
        n_gaps = int((field_values(det, keys.KIND) == keys.GAP).sum())
        assert n_gaps == sum(f["type"] == "gap" for f in scene.faults)
        n_unknown = int((field_values(det, keys.SKU) == keys.UNKNOWN).sum())
        assert n_unknown == sum(f["type"] == "unknown" for f in scene.faults)
        n_lying = int((field_values(det, keys.ORIENTATION) == keys.LYING).sum())
        assert n_lying == sum(f["type"] == "lying" for f in scene.faults)


def test_products_never_overlap_each_other(faulty_scenes):
    for scene in faulty_scenes:
        boxes = of_kind(scene.truth.detections, keys.PRODUCT).xyxy
        for i in range(len(boxes)):
            for j in range(i + 1, len(boxes)):
                assert _overlap(boxes[i], boxes[j]) < 0.5


def test_fault_rate_scaling():
    rates = FaultRates().scaled(2)
    assert rates.gap == pytest.approx(2 * FaultRates().gap)
    assert FaultRates().scaled(100).missing_promo == 1.0
    assert all(v == 0 for v in vars(FaultRates().scaled(0)).values())
    with pytest.raises(ValueError):
        FaultRates().scaled(-1)
