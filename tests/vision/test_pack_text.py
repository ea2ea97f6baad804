"""Pack text: words on a product matched to catalog brands and SKUs, fused with the image."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline import keys
from pipeline.detections import field_values, make_detections
from pipeline.vision.pack_text import NameIndex, PackTextReader, normal


class FakeReader:
    """Returns fixed texts for the crops, in order (stands in for rapidocr)."""

    def __init__(self, texts):
        self.texts = list(texts)
        self.calls = 0

    def read_texts(self, crops, is_tag):
        self.calls += 1
        assert not any(is_tag)
        out, self.texts = self.texts[:len(crops)], self.texts[len(crops):]
        return out


def _products(skus, scores):
    n = len(skus)
    return make_detections([[10 + 60 * i, 10, 60 + 60 * i, 150] for i in range(n)],
                           kind=[keys.PRODUCT] * n, sku=skus, sku_score=scores,
                           brand=[None if s == keys.UNKNOWN else s.split("-")[0] for s in skus],
                           category=[None] * n)


def test_normal_keeps_chinese_and_drops_punctuation():
    assert normal("Coca-Cola®  ZERO!") == "coca cola zero"
    assert normal("可乐可·可乐") == "可乐可 可乐"


@pytest.mark.parametrize("text, brand", [
    ("COLACO cola 330ml", "colaco"),
    ("可乐可 可乐", "colaco"),
    ("clear spring water", "clearspring"),  # OCR often splits a brand in two words
    ("ClearSpring", "clearspring"),
    ("Coca-Cola", None),  # a real brand is not the catalog's ColaCo
    ("ok", None),  # too short to mean anything
])
def test_brand_is_read_from_text(catalog, text, brand):
    found, strength = NameIndex.from_catalog(catalog).brand_of(text, 85)
    assert found == brand
    assert (strength >= 0.85) == (brand is not None)


def test_an_unknown_product_is_named_by_its_pack_text(catalog):
    photo = np.zeros((200, 300, 3), dtype=np.uint8)
    det = _products([keys.UNKNOWN, "colaco-cola-330"], [0.3, 0.9])
    reader = PackTextReader(catalog, FakeReader(["ChipKing salted", "ColaCo Cola"]))
    (out,) = reader.recognize([photo], [det])
    sku = field_values(out, keys.SKU)
    assert sku[0].startswith("chipking-") and field_values(out, keys.BRAND)[0] == "chipking"
    assert list(field_values(out, keys.NAMED_BY)) == [keys.NAMED_BY_TEXT, keys.NAMED_BY_BOTH]
    assert field_values(out, keys.SKU_SCORE)[1] > 0.9  # both signals agree: surer
    assert list(field_values(out, keys.PACK_TEXT)) == ["ChipKing salted", "ColaCo Cola"]
    assert list(field_values(det, keys.SKU)) == [keys.UNKNOWN, "colaco-cola-330"]  # not mutated


def test_sku_of_the_brand_is_chosen_by_the_rest_of_the_name(catalog):
    index = NameIndex.from_catalog(catalog)
    assert index.sku_of("colaco", "ColaCo Zero 330ml") == "colaco-zero-330"


def test_no_names_from_text_on_an_untrusted_photo(catalog):
    photo = np.zeros((200, 300, 3), dtype=np.uint8)
    det = _products([keys.UNKNOWN], [None])
    (out,) = PackTextReader(catalog, FakeReader(["ColaCo Cola"])).recognize(
        [photo], [det], trusted=[False])
    assert field_values(out, keys.SKU)[0] == keys.UNKNOWN
    assert field_values(out, keys.PACK_TEXT)[0] == "ColaCo Cola"  # still shown


def test_tiny_boxes_are_not_read(catalog):
    photo = np.zeros((200, 300, 3), dtype=np.uint8)
    det = make_detections([[0, 0, 10, 10]], kind=[keys.PRODUCT], sku=[keys.UNKNOWN])
    fake = FakeReader([])
    (out,) = PackTextReader(catalog, fake, min_side_px=24).recognize([photo], [det])
    assert field_values(out, keys.PACK_TEXT)[0] is None


def test_real_ocr_reads_a_rendered_brand(catalog):
    """rapidocr (offline, in the wheel) reads a brand printed on a synthetic pack."""
    from PIL import Image, ImageDraw, ImageFont

    from pipeline.settings import REPO_ROOT

    image = Image.new("RGB", (220, 300), "white")
    font = ImageFont.truetype(str(REPO_ROOT / "pipeline/fonts/shelf-sans.ttf"), 40)
    ImageDraw.Draw(image).text((10, 120), "ChipKing", fill="black", font=font)
    det = make_detections([[0, 0, 220, 300]], kind=[keys.PRODUCT], sku=[keys.UNKNOWN],
                          sku_score=[0.2])
    (out,) = PackTextReader(catalog).recognize([np.asarray(image)], [det])
    assert field_values(out, keys.BRAND)[0] == "chipking"
