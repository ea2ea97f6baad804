"""Tags and signs found in the photo's text, for detectors without tag and sign classes."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from pipeline import keys
from pipeline.detections import field_values, make_detections, of_kind
from pipeline.rules.score import overlap
from pipeline.settings import SHIPPED_RULES_DIR, Settings
from pipeline.vision.config import ModelsConfig
from pipeline.vision.detector import kind_map
from pipeline.vision.text_finder import (
    TagAndSignFinder,
    finder_kinds,
    is_promo_text,
    tag_price,
)

from .conftest import REPO_NAMES, save_tiny_checkpoint


@pytest.fixture(scope="module")
def finder():
    return TagAndSignFinder()


@pytest.mark.parametrize(("text", "price"), [
    ("¥3.50", 3.5), ("3.50", 3.5), ("3,50", 3.5), ("￥12.80", 12.8), ("Y6.90", 6.9),
    ("12元", 12.0), ("$ 2.99", 2.99),
    ("70g", None), ("Hot 75g", None), ("2 for 1", None), ("SALE -20%", None),
    ("¥3.50 ¥4.20", None),  # two tags read as one line: whose price is which is unknown
    ("", None),
])
def test_a_line_is_a_price_with_a_currency_sign_or_cents(text, price):
    assert tag_price(text)[0] == price


@pytest.mark.parametrize(("text", "promo"), [
    ("特价", True), ("SALE 2 for 1", True), ("SALE-20%", True), ("买一送一", True),
    ("2 for 1", True), ("30% off", True), ("8折", True), ("NEW", True), ("第二件半价", True),
    ("促销", True), ("Buy one get one", True),
    ("ChipKing", False), ("Hot 75g", False), ("休闲零食 SNACKS", False), ("Crunchy", False),
    ("乳制品 DAIRY", False), ("NEWS", False), ("¥3.50", False),
])
def test_promo_words(text, promo):
    assert is_promo_text(text) is promo


def test_a_planned_promo_text_counts_as_a_promo_word():
    assert not is_promo_text("Fresh Week")
    assert is_promo_text("Fresh Week", planned=["Fresh Week"])
    assert is_promo_text("Fresh Wek", planned=["Fresh Week"])  # misread, still near


@pytest.mark.parametrize(("mode", "names", "expected"), [
    ("auto", {0: "object"}, (keys.PRICE_TAG, keys.PROMO)),  # SKU-110K: one class
    ("auto", REPO_NAMES, ()),
    ("auto", {0: "product", 1: "price_tag"}, (keys.PROMO,)),
    ("on", REPO_NAMES, (keys.PRICE_TAG, keys.PROMO)),
    ("off", {0: "object"}, ()),
])
def test_auto_mode_finds_the_kinds_the_detector_lacks(mode, names, expected):
    assert finder_kinds(mode, kind_map(names).values()) == expected


def _tags_close(found, truth):
    """How many true tags a found tag lies on with the same price."""
    hits = 0
    for box, price in zip(truth.xyxy, field_values(truth, keys.PRICE), strict=True):
        hits += any(overlap(box, f) >= 0.5 and p == price
                    for f, p in zip(found.xyxy, field_values(found, keys.PRICE), strict=True))
    return hits


def test_finds_the_tags_and_signs_of_a_rendered_shelf(catalog, finder):
    from pipeline.synth import render_scene

    scene = render_scene(catalog, seed=31, width=1280)
    image = np.asarray(scene.image.convert("RGB"))
    products = of_kind(scene.truth.detections, keys.PRODUCT)
    found = finder.find([image], [products])[0]
    tags, true_tags = of_kind(found, keys.PRICE_TAG), of_kind(scene.truth.detections,
                                                              keys.PRICE_TAG)
    assert _tags_close(tags, true_tags) >= 0.9 * len(true_tags)
    assert len(tags) <= len(true_tags)  # nothing else read as a tag
    signs, true_signs = of_kind(found, keys.PROMO), of_kind(scene.truth.detections, keys.PROMO)
    for box, text in zip(true_signs.xyxy, field_values(true_signs, keys.TEXT), strict=True):
        near = [t for f, t in zip(signs.xyxy, field_values(signs, keys.TEXT), strict=True)
                if overlap(box, f) >= 0.5]
        assert near, f"sign {text!r} not found"
    assert len(signs) == len(true_signs)


def _shelf_photo() -> tuple[np.ndarray, list[list[float]], list[list[float]]]:
    """A plain shelf: six grey products standing on y=300, one tag under them, and the same
    kind of tag pinned above the products (on the back panel)."""
    from pipeline.synth.draw import price_tag

    photo = Image.new("RGB", (960, 480), (215, 215, 210))
    draw = ImageDraw.Draw(photo)
    products = [[40.0 + 150 * i, 150.0, 150.0 + 150 * i, 300.0] for i in range(6)]
    for box in products:
        draw.rectangle(box, fill=(120, 40, 40))
    draw.rectangle((0, 300, 960, 345), fill=(235, 235, 230))  # the shelf edge
    under, above = [200.0, 304.0, 300.0, 344.0], [500.0, 60.0, 600.0, 100.0]
    for box, text in ((under, "¥3.50"), (above, "¥4.20")):
        photo.paste(price_tag(100, 40, text, "cola-330", yellow=False),
                    (int(box[0]), int(box[1])))
    return np.asarray(photo), products, [under, above]


def test_a_price_above_the_products_is_no_tag(finder):
    image, products, (under, above) = _shelf_photo()
    found = finder.find([image], [make_detections(products)])[0]
    tags = of_kind(found, keys.PRICE_TAG)
    assert len(tags) == 1
    assert overlap(tags.xyxy[0], under) >= 0.5 and tags.data[keys.PRICE][0] == 3.5
    assert tags.data[keys.CURRENCY][0] == "CNY" and "3.50" in tags.data[keys.TEXT][0]


def test_the_input_is_not_changed_and_products_keep_their_fields(finder):
    image, products, _ = _shelf_photo()
    det = make_detections(products, sku=["cola-330"] * len(products))
    before = (det.xyxy.copy(), dict(det.data), {k: v.copy() for k, v in det.data.items()})
    found = finder.find([image], [det])[0]
    assert np.array_equal(det.xyxy, before[0]) and len(det) == len(products)
    assert set(det.data) == set(before[1])
    for name, values in before[2].items():
        assert list(det.data[name]) == list(values)
    assert list(field_values(found, keys.SKU)[:len(products)]) == ["cola-330"] * len(products)
    assert field_values(found, keys.SKU)[len(products):].tolist() == \
        [None] * (len(found) - len(products))


def test_only_the_wanted_kinds_are_added(finder):
    image, products, _ = _shelf_photo()
    signs_only = TagAndSignFinder(finder.engine, kinds=[keys.PROMO])
    found = signs_only.find([image], [make_detections(products)])[0]
    assert not (field_values(found, keys.KIND) == keys.PRICE_TAG).any()


def test_a_tag_the_detector_boxed_is_not_found_twice(finder):
    image, products, (under, _) = _shelf_photo()
    det = make_detections([*products, under], kind=[keys.PRODUCT] * len(products)
                          + [keys.PRICE_TAG])
    found = finder.find([image], [det])[0]
    assert (field_values(found, keys.KIND) == keys.PRICE_TAG).sum() == 1


class _Model:
    """Just what ShelfDetector reads from an ultralytics model: class names."""

    def __init__(self, names):
        self.names = names
        self.overrides = {}


class _Reader:
    engine = object()


@pytest.mark.parametrize(("names", "config", "finds"), [
    ({0: "object"}, {}, (keys.PRICE_TAG, keys.PROMO)),
    (REPO_NAMES, {}, None),
    (REPO_NAMES, {"detector_kinds": ["product"]}, (keys.PRICE_TAG, keys.PROMO)),
    (REPO_NAMES, {"detector_kinds": ["product", "price_tag"]}, (keys.PROMO,)),
    (REPO_NAMES, {"text_finder": "on"}, (keys.PRICE_TAG, keys.PROMO)),
    ({0: "object"}, {"text_finder": "off"}, None),
])
def test_the_finder_is_added_for_the_kinds_the_detector_lacks(names, config, finds):
    from pipeline.vision.detector import ShelfDetector
    from pipeline.vision.engine import load_text_finder

    config = ModelsConfig(**config)
    detector = ShelfDetector(_Model(names), "cpu", config, "tiny.pt")
    finder = load_text_finder(config, detector, _Reader(), SHIPPED_RULES_DIR)
    if finds is None:
        assert finder is None
    else:
        assert finder.kinds == finds and finder.engine is _Reader.engine  # OCR loaded once
        assert "特价" in finder.promo_texts  # the planograms' promo texts count too


def test_no_ocr_no_finder():
    from pipeline.vision.detector import ShelfDetector
    from pipeline.vision.engine import load_text_finder

    config = ModelsConfig(ocr=False)
    detector = ShelfDetector(_Model({0: "object"}), "cpu", config, "tiny.pt")
    assert load_text_finder(config, detector, None, SHIPPED_RULES_DIR) is None


def test_detector_kinds_drop_the_detectors_other_boxes():
    from pipeline.vision.detector import ShelfDetector

    config = ModelsConfig(detector_kinds=["product"])
    assert ShelfDetector(_Model(REPO_NAMES), "cpu", config, "tiny.pt").kinds == {0: "product"}


@pytest.mark.slow
def test_a_single_class_checkpoint_gets_the_finder_from_inspector_load(tmp_path):
    from pipeline.vision.engine import Inspector

    weights = save_tiny_checkpoint(tmp_path / "tiny1.pt", {0: "object"})
    inspector = Inspector.load(ModelsConfig(detector=str(weights), device="cpu"),
                               recognize=False, settings=Settings())
    assert inspector.finder.kinds == (keys.PRICE_TAG, keys.PROMO)
    assert inspector.finder.engine is inspector.reader.engine
    assert "text_finder" in inspector.models
