"""Pack text: the words printed on each product, read by OCR, as a second signal for its name.

Image models mistake look-alike packs; the brand printed on the pack rarely lies, and PP-OCR
(rapidocr, offline) reads it on real photos ("Coca-Cola", "IBC ROOT BEER"). For every product
box the words read are kept (``pack_text``) and matched against the catalog's brand names and
aliases (English and Chinese) and then against the names of that brand's SKUs (fuzzy, rapidfuzz):

* a brand is *read* when one of its names appears in the text with a partial similarity of at
  least ``brand_min`` (0-100; names under 3 characters, or 2 for Chinese, are not matched);
* the image's answer stands when it names a SKU of that brand (``named_by``
  ``image+pack_text``; its score becomes the noisy-OR of both) or when no brand is read
  (``image``);
* otherwise — the image said ``unknown``, or another brand less surely than the text reads —
  the product is named the brand's SKU whose name matches the text best (``pack_text``, score
  ``text_weight`` x brand similarity).

On a photo unlike the models' training photos (out of domain) the words are still shown, but
nobody is named from them: a real "Coca-Cola" must not become a catalog's "ColaCo" by spelling.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import supervision as sv

from pipeline import keys
from pipeline.catalog import Catalog
from pipeline.detections import field_values
from pipeline.vision.stage import Batch, Stage

_CJK = re.compile(r"[\u3400-\u9fff]")


def normal(text: str) -> str:
    """Lower-case NFKC text with punctuation turned to spaces (CJK kept)."""
    text = unicodedata.normalize("NFKC", text or "").lower()
    return " ".join(re.sub(r"[^\w\u3400-\u9fff]+", " ", text).split())


def _long_enough(name: str) -> bool:
    return len(name) >= (2 if _CJK.search(name) else 3)


@dataclass
class NameIndex:
    """The catalog's brand and SKU names, normalised for matching."""

    catalog: Catalog
    brand_names: dict[str, list[str]]
    sku_names: dict[str, list[str]]

    @classmethod
    def from_catalog(cls, catalog: Catalog) -> NameIndex:
        brands = {b.id: [n for n in (normal(x) for x in (b.name, b.name_zh, *b.aliases))
                         if _long_enough(n)] for b in catalog.brands}
        skus = {s.id: [normal(x) for x in (s.name.en, s.name.zh, *s.aliases)]
                for s in catalog.skus}
        return cls(catalog, brands, skus)

    def brand_of(self, text: str, brand_min: float) -> tuple[str | None, float]:
        """The brand whose name is read best in ``text`` and how well (0-1)."""
        from rapidfuzz import fuzz

        text = normal(text)
        best: tuple[str | None, float] = (None, 0.0)
        if len(text) < 2:
            return best
        for brand, names in self.brand_names.items():
            for name in names:
                score = fuzz.partial_ratio(name, text) if len(text) >= len(name) else \
                    fuzz.ratio(name, text)
                if score >= brand_min and score / 100 > best[1]:
                    best = (brand, score / 100)
        return best

    def sku_of(self, brand: str, text: str) -> str:
        """The SKU of ``brand`` whose names match ``text`` best."""
        from rapidfuzz import fuzz

        text = normal(text)
        skus = self.catalog.skus_of_brand(brand)
        return max(skus, key=lambda s: max(fuzz.token_set_ratio(n, text)
                                           for n in self.sku_names[s.id])).id


class PackTextReader(Stage):
    """Reads each product's pack text and names products by it where the image could not."""

    name = "pack_text"

    def __init__(self, catalog: Catalog, reader: object | None = None, brand_min: float = 85,
                 text_weight: float = 0.9, min_side_px: int = 24):
        if reader is None:
            from pipeline.vision.ocr import TagReader

            reader = TagReader(reuse=False)
        self.reader = reader
        self.index = NameIndex.from_catalog(catalog)
        self.brand_min = brand_min
        self.text_weight = text_weight
        self.min_side_px = min_side_px

    def run(self, batch: Batch) -> Batch:
        """The engine stage: pack texts read; names from them only on trusted photos."""
        return batch.with_detections(self.recognize(batch.images, batch.detections,
                                                    trusted=batch.trusted))

    def recognize(self, images: Sequence[np.ndarray], detections: Sequence[sv.Detections],
                  trusted: Sequence[bool] | None = None) -> list[sv.Detections]:
        """New detections with ``pack_text`` and ``named_by`` on every product box.

        Args:
            trusted: per photo, whether names may be given from the text (false on photos out
                of the models' domain: the words are only recorded).
        """
        from pipeline.vision.ocr import crop

        trusted = list(trusted) if trusted is not None else [True] * len(images)
        out = []
        for image, det, trust in zip(images, detections, trusted, strict=True):
            rows = np.flatnonzero(field_values(det, keys.KIND) == keys.PRODUCT)
            sides = [min(det.xyxy[r, 2] - det.xyxy[r, 0], det.xyxy[r, 3] - det.xyxy[r, 1])
                     for r in rows]
            readable = [r for r, side in zip(rows, sides, strict=True)
                        if side >= self.min_side_px]
            texts = self.reader.read_texts([crop(image, det.xyxy[r], pad=0.0) for r in readable],
                                           [False] * len(readable))
            out.append(self._named(det, rows, dict(zip(readable, texts, strict=True)), trust))
        return out

    def _named(self, det: sv.Detections, rows: np.ndarray, texts: dict[int, str],
               trust: bool) -> sv.Detections:
        out = det[np.arange(len(det))] if len(det) else det
        columns = {name: np.array(field_values(det, name), dtype=object) for name in
                   (keys.SKU, keys.BRAND, keys.CATEGORY, keys.SKU_SCORE, keys.PACK_TEXT,
                    keys.NAMED_BY)}
        for row in rows:
            text = texts.get(row, "")
            columns[keys.PACK_TEXT][row] = text or None
            columns[keys.NAMED_BY][row] = keys.NAMED_BY_IMAGE
            brand, strength = self.index.brand_of(text, self.brand_min) if text else (None, 0.0)
            if brand is None or not trust:
                continue
            sku, score = columns[keys.SKU][row], columns[keys.SKU_SCORE][row]
            score = float(score) if score is not None else 0.0
            if columns[keys.BRAND][row] == brand:
                columns[keys.SKU_SCORE][row] = round(1 - (1 - score) * (1 - strength), 4)
                columns[keys.NAMED_BY][row] = keys.NAMED_BY_BOTH
            elif sku in (None, keys.UNKNOWN) or score < self.text_weight * strength:
                named = self.index.catalog.by_id[self.index.sku_of(brand, text)]
                columns[keys.SKU][row], columns[keys.BRAND][row] = named.id, named.brand
                columns[keys.CATEGORY][row] = named.category
                columns[keys.SKU_SCORE][row] = round(self.text_weight * strength, 4)
                columns[keys.NAMED_BY][row] = keys.NAMED_BY_TEXT
        if len(det):
            for name, values in columns.items():
                out.data[name] = values
        return out
