"""Price tags are legible: the bundled OCR (rapidocr, offline) reads their prices."""

from __future__ import annotations

import io
import re

import numpy as np
import pytest
from PIL import Image

from pipeline import keys
from pipeline.detections import field_values, of_kind
from pipeline.synth import render_scene

rapidocr = pytest.importorskip("rapidocr_onnxruntime")
_PRICE = re.compile(r"(\d+)[.,](\d{2})")


def _read_price(engine, crop: Image.Image) -> float | None:
    scale = max(1.0, 96.0 / crop.height)
    crop = crop.resize((round(crop.width * scale), round(crop.height * scale)),
                       Image.Resampling.BICUBIC)
    result, _ = engine(np.asarray(crop)[..., ::-1])
    text = " ".join(line[1] for line in result or [])
    match = _PRICE.search(text.replace(" ", ""))
    return float(f"{match.group(1)}.{match.group(2)}") if match else None


@pytest.mark.slow
def test_ocr_reads_the_price_tags_of_a_photo(catalog):
    engine = rapidocr.RapidOCR(print_verbose=False)
    engine.text_det.limit_type = "max"  # a tag crop is small: never blow it up to 736 px
    right = total = 0
    for seed, width in ((3, 1280), (4, 960)):
        scene = render_scene(catalog, seed, width=width)
        buf = io.BytesIO()
        scene.image.save(buf, format="JPEG", quality=scene.jpeg_quality)
        photo = Image.open(io.BytesIO(buf.getvalue())).convert("RGB")
        tags = of_kind(scene.truth.detections, keys.PRICE_TAG)
        for box, price in zip(tags.xyxy, field_values(tags, keys.PRICE), strict=True):
            total += 1
            right += _read_price(engine, photo.crop(tuple(int(v) for v in box))) == price
    assert total >= 15
    assert right / total >= 0.9, f"OCR read {right} of {total} prices"
