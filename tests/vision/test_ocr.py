"""Reading price tags and promo signs: noise-robust price parsing, real OCR on synthetic tags."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from pipeline import keys
from pipeline.detections import field_values, make_detections, of_kind
from pipeline.vision.ocr import TagReader, crop, parse_price


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


def test_no_tags_no_work(reader):
    det = make_detections([[0, 0, 10, 10]], kind=keys.PRODUCT)
    (out,) = reader.read([np.zeros((20, 20, 3), np.uint8)], [det])
    assert len(out) == 1 and field_values(out, keys.TEXT)[0] is None
