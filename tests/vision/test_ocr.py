"""Reading price tags and promo signs: noise-robust price parsing, real OCR on synthetic tags."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from pipeline import keys
from pipeline.detections import field_values, make_detections, of_kind
from pipeline.vision.ocr import TagReader, crop, parse_price
from pipeline.vision.stage import Batch


@pytest.mark.parametrize(
    ("text", "price", "currency"),
    [
        ("¥3.50", 3.5, "CNY"),
        ("¥3.5O", 3.5, "CNY"),  # letter O read for a zero
        ("￥１２．９０", 12.9, "CNY"),  # full-width
        ("3.50元", 3.5, "CNY"),
        ("Y4.20", 4.2, "CNY"),  # PP-OCR often reads ¥ as Y
        ("$ 2.99", 2.99, "USD"),
        ("USD 3.20", 3.2, "USD"),
        ("€0.99", 0.99, "EUR"),
        ("2,49 €", 2.49, "EUR"),  # decimal comma
        ("1,299.00", 1299.0, None),  # thousands comma
        ("¥1.299,00", 1299.0, "CNY"),
        ("特价 ¥ 5. 90", 5.9, "CNY"),  # split around the point
        ("¥l2.9O", 12.9, "CNY"),
        ("Cola 330ml ¥3.50", 3.5, "CNY"),  # the size is not the price
        ("Col a330m1 $62.60", 62.6, "USD"),
        ("colaco-cola-330 3.50", 3.5, None),
        ("RMB 12", 12.0, "CNY"),
    ],
)
def test_parse_price(text, price, currency):
    assert parse_price(text) == (price, currency)


@pytest.mark.parametrize("text", ["", None, "SALE", "特价", "买一送一"])
def test_no_number_no_price(text):
    assert parse_price(text)[0] is None


def test_crop_is_a_view_clipped_to_the_photo():
    image = np.zeros((100, 200, 3), dtype=np.uint8)
    piece = crop(image, [-10, 90, 50, 130])
    assert piece.base is image  # numpy slicing: no copy, no temp file
    assert piece.shape[0] <= 14 and piece.shape[1] <= 54  # box + a 6 % margin, clipped


@pytest.fixture(scope="module")
def reader():
    return TagReader()


def _jpeg_roundtrip(image: Image.Image, quality: int) -> np.ndarray:
    buf = io.BytesIO()
    image.save(buf, format="JPEG", quality=quality)
    return np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("RGB"))


def test_reads_synthetic_price_tags(catalog, reader):
    """>= 90 % exact prices on the tags of rendered shelves (truth boxes, JPEG photos)."""
    from pipeline.synth import render_scene

    images, truths = [], []
    for seed, width in ((21, 1280), (22, 1024), (23, 1600)):
        scene = render_scene(catalog, seed, width=width)
        images.append(_jpeg_roundtrip(scene.image, scene.jpeg_quality))
        truths.append(scene.truth.detections)
    read = reader.read(images, truths)
    right = total = 0
    for got, truth in zip(read, truths, strict=True):
        tags, true_tags = of_kind(got, keys.PRICE_TAG), of_kind(truth, keys.PRICE_TAG)
        for price, expected in zip(field_values(tags, keys.PRICE),
                                   field_values(true_tags, keys.PRICE), strict=True):
            total += 1
            right += price is not None and abs(price - expected) < 0.005
    assert total >= 15
    assert right / total >= 0.9, f"read {right} of {total} prices exactly"


def test_promo_text_is_read_and_input_is_not_changed(catalog, reader):
    from pipeline.synth.draw import promo_sign

    sign = promo_sign(260, 90, "SALE 50%", style=0).convert("RGB")
    image = np.full((200, 400, 3), 200, dtype=np.uint8)
    image[50:140, 70:330] = np.asarray(sign)
    det = make_detections([[70, 50, 330, 140], [0, 0, 40, 40]], kind=[keys.PROMO, keys.PRODUCT])
    (out,) = reader.read([image], [det])
    assert keys.TEXT not in det.data  # the input is untouched
    text = field_values(out, keys.TEXT)
    assert "SALE" in text[0].upper() and "50" in text[0]
    assert text[1] is None  # products are not read
    assert field_values(out, keys.PRICE)[0] is None  # promos have no price


class _Unsure:
    """The real OCR engine, but every reading comes back with the given confidence."""

    def __init__(self, engine, score):
        self.engine, self.score = engine, score

    def __getattr__(self, name):
        return getattr(self.engine, name)

    def text_rec(self, lines):
        found, took = self.engine.text_rec(lines)
        return [(text, self.score) for text, _ in found], took


@pytest.mark.parametrize(("score", "sign_read", "tag_read"), [(0.95, True, True),
                                                              (0.5, False, True)])
def test_unsure_sign_readings_are_dropped_but_tags_kept(catalog, reader, score, sign_read,
                                                        tag_read):
    from pipeline.synth.draw import price_tag, promo_sign

    image = np.full((200, 400, 3), 200, dtype=np.uint8)
    image[20:110, 70:330] = np.asarray(promo_sign(260, 90, "SALE 50%", style=0).convert("RGB"))
    image[130:190, 100:260] = np.asarray(price_tag(160, 60, "¥3.50", "Cola 330ml", True))
    det = make_detections([[70, 20, 330, 110], [100, 130, 260, 190]],
                          kind=[keys.PROMO, keys.PRICE_TAG])
    (out,) = TagReader(engine=_Unsure(reader.engine, score), reuse=False).read([image], [det])
    sign, tag = field_values(out, keys.TEXT)
    assert (sign is not None) == sign_read
    assert (field_values(out, keys.PRICE)[1] == 3.5) == tag_read


def test_no_tags_no_work(reader):
    det = make_detections([[0, 0, 10, 10]], kind=keys.PRODUCT)
    (out,) = reader.read([np.zeros((20, 20, 3), np.uint8)], [det])
    assert len(out) == 1 and field_values(out, keys.TEXT)[0] is None


def _day(catalog, seed: int, rates, plan):
    from pipeline.synth import render_scene

    scene = render_scene(catalog, seed, width=1024, planogram=plan, fault_rates=rates,
                         view_seed=77)
    truth = scene.truth.detections
    rng = np.random.default_rng(seed)
    jittered = truth[np.arange(len(truth))]
    jittered.xyxy = truth.xyxy + rng.uniform(-1.0, 1.0, truth.xyxy.shape)  # detector jitter
    return _jpeg_roundtrip(scene.image, scene.jpeg_quality), jittered, scene


class _Counting:
    """The real OCR engine, counting how many text lines it was asked to recognise."""

    def __init__(self, engine):
        self.engine, self.lines = engine, 0

    def __getattr__(self, name):
        return getattr(self.engine, name)

    def text_rec(self, lines):
        self.lines += len(lines)
        return self.engine.text_rec(lines)


def _run(reader, image, det, camera, memory):
    """The reader as an engine stage: one photo of ``camera`` with ``memory``; returns the
    read detections and the memory that came back."""
    batch = reader.run(Batch.of([image], [det], cameras=[camera], memory=memory))
    return batch.detections[0], batch.memory


def test_a_fixed_camera_reuses_unchanged_tags_and_rereads_changed_ones(catalog, reader):
    """Day 2 of the same view with the same prices: nothing is read again and the texts are
    day 1's; day 3 with every price changed: every tag is read again and the new prices come
    out; another camera or no camera never reuses. The memory goes in and out of each call;
    the reader keeps none."""
    from pipeline.synth import FaultRates, make_planogram

    plan = make_planogram(catalog, np.random.default_rng(8), promo_rate=0.5)
    clean = FaultRates().scaled(0)
    repriced = FaultRates(**{**{f: 0.0 for f in clean.__dataclass_fields__}, "wrong_price": 1.0})
    counting = _Counting(reader.engine)
    fresh = TagReader(engine=counting)
    image1, det1, _ = _day(catalog, 1, clean, plan)
    image2, det2, _ = _day(catalog, 2, clean, plan)
    image3, det3, scene3 = _day(catalog, 3, repriced, plan)
    read1, day1 = _run(fresh, image1, det1, "s1/c1", {})
    regions = fresh.stats["regions"]
    assert regions >= 10 and fresh.stats["read"] == regions and counting.lines > 0

    counting.lines = 0
    read2, day2 = _run(fresh, image2, det2, "s1/c1", day1)
    assert fresh.stats["reused"] == regions and counting.lines == 0
    assert list(field_values(read2, keys.TEXT)) == list(field_values(read1, keys.TEXT))
    _run(fresh, image2, det2, "s1/c1", {})
    assert fresh.stats["reused"] == 0  # what counts is the memory given, not earlier calls

    read3, _ = _run(fresh, image3, det3, "s1/c1", day2)
    tags = field_values(det3, keys.KIND) == keys.PRICE_TAG
    assert fresh.stats["read"] >= tags.sum()  # every repriced tag is read again
    shown = np.array(field_values(scene3.truth.detections, keys.PRICE), dtype=object)[tags]
    got = np.array(field_values(read3, keys.PRICE), dtype=object)[tags]
    right = sum(g is not None and abs(g - s) < 0.005 for g, s in zip(got, shown, strict=True))
    assert right / len(shown) >= 0.9

    _run(fresh, image2, det2, "s2/c1", day1)
    assert fresh.stats["reused"] == 0  # another camera's memory is its own
    _, after = _run(fresh, image2, det2, None, day1)
    assert fresh.stats["reused"] == 0  # no camera: no reuse ...
    assert after["read_text"] is day1["read_text"]  # ... and nothing remembered
    fresh.read([image2], [det2])
    assert fresh.stats["reused"] == 0  # without a memory, no reuse


def test_a_camera_photo_without_tags_is_remembered_without_error(reader):
    """A shelf camera's photo with no tag or sign detected (an empty bay) must not break the
    next photo of that camera."""
    fresh = TagReader(engine=reader.engine)
    empty = make_detections([[0, 0, 10, 10]], kind=keys.PRODUCT)
    out, memory = _run(fresh, np.zeros((20, 20, 3), np.uint8), empty, "s1/c9", {})
    assert field_values(out, keys.TEXT)[0] is None
    out, _ = _run(fresh, np.zeros((20, 20, 3), np.uint8), empty, "s1/c9", memory)
    assert fresh.stats == {"regions": 0, "reused": 0, "read": 0}
