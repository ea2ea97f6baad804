"""Find price tags and promo signs by OCR text detection, for detectors without those classes.

Most public shelf detectors (SKU-110K style) have one class: every box is a product. With such a
detector :class:`TagAndSignFinder` (one verb: :meth:`~TagAndSignFinder.find`) looks for the tags
and signs in the photo's text instead:

1. rapidocr's PP-OCR text detector runs over the whole photo at a few sizes
   (:data:`DETECT_SIDES`; one size misses some big bold prices that another finds), and the
   text lines of all sizes are pooled;
2. lines on a product (its label) or on a tag or sign the detector already boxed are left out;
   the rest are recognised in one batched call;
3. a **price tag** is a line that reads as a price (a currency sign, or a number with cents:
   ``¥3.50``, ``3.50``, ``3,50``) hanging just under a shelf row's products — rows come from
   product bottoms alone (:func:`pipeline.rules.shelves.infer_rows`); a price anywhere else
   (a poster, the header board, above the products) is no tag;
4. a **promo sign** is a line with promo words (:data:`PROMO_WORDS`, ``SALE``, ``2 for 1``,
   ``-20%``, ``8折`` ...) or a planned promo text, together with the text lines touching it.

The new boxes carry the same keys as the tag reader writes (``text``; ``price`` and
``currency`` on tags), so the rules cannot tell how a tag was found. The input detections are
never changed.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import supervision as sv

from pipeline import keys
from pipeline.detections import field_values, make_detections, merge_padded, of_kind
from pipeline.rules.shelves import ShelfRow, infer_rows
from pipeline.vision.ocr import SIGN_MIN_SCORE, parse_price
from pipeline.vision.stage import Batch, Stage

# Long side (px) of the photo at each text-detection pass. PP-OCR's detector misses some large
# bold prices at one size and finds them at another: on the tuning scenes (seed 88, 1920 px,
# 544 tags) one pass at full size missed 4-6 tags, the union of these three sizes none, at
# half the cost of one full-size pass.
DETECT_SIDES: tuple[int, ...] = (1344, 960, 672)
TAG_ABOVE = 0.1  # a tag line's top may start this many product heights above its shelf line
TAG_REACH = 0.5  # ... and at most this many below it (signs hang lower, under the tag strip)
ON_PRODUCT = 0.5  # a line this much inside a product box (intersection / line area) is a label
ON_KNOWN = 0.5  # ... or inside a tag or sign the detector boxed: already read by the reader
TAG_MIN_SCORE = 0.5  # recogniser confidence a price line needs
SIMILAR_PROMO = 0.6  # difflib ratio at which a line counts as a planned promo text

PROMO_WORDS: tuple[str, ...] = (
    "特价", "促销", "折扣", "打折", "优惠", "半价", "买一送一", "买二送一", "送", "新品", "新上市",
    "限时", "特惠", "秒杀", "清仓", "满减", "降价", "热卖", "第二件", "加量", "惊爆", "爆款",
)
_PROMO_LATIN = re.compile(
    r"(?<![a-z])(?:sale|offer|promo|promotion|deal|new|special|discount|clearance|bogo|save|"
    r"free|half\s*price)(?![a-z])|\d\s*%|(?<![0-9])\d+\s*for\s*\d+|buy\s*(?:one|1|2|two)\s*get|"
    r"\d(?:\.\d)?\s*折",
)
_PRICE_MARK = re.compile(r"[¥$€元]|(?<![A-Za-z])Y(?=\s*\d)|\d\s*[.,]\s*\d{1,2}(?!\d)")
_AMOUNT = re.compile(r"\d+\s*[.,]\s*\d{2}(?!\d)")


def _plain(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip()


def tag_price(text: str | None) -> tuple[float | None, str | None]:
    """The price and currency a text line shows, if it reads as one price (``None`` if not).

    A price has a currency sign or a decimal part (``¥3.50``, ``3.50``, ``3,50``, ``12元``);
    ``70g`` or ``2 for 1`` is no price, and a line with two amounts (two tags read as one
    line) is left out: which belongs to which block is unknown.
    """
    if not text:
        return None, None
    text = _plain(text)
    if not _PRICE_MARK.search(text) or len(_AMOUNT.findall(text)) > 1:
        return None, None
    return parse_price(text)


def is_promo_text(text: str | None, planned: Iterable[str] = ()) -> bool:
    """Whether a line carries promo words (:data:`PROMO_WORDS`, ``SALE``, ``-20%`` ...) or is
    close to one of the ``planned`` promo texts."""
    if not text:
        return False
    low = _plain(text).lower()
    squeezed = "".join(low.split())
    if any(word in squeezed for word in PROMO_WORDS) or _PROMO_LATIN.search(low):
        return True
    for wanted in planned:
        want = "".join(_plain(wanted).lower().split())
        if want and (want in squeezed or difflib.SequenceMatcher(
                None, want, squeezed).ratio() >= SIMILAR_PROMO):
            return True
    return False


@dataclass(frozen=True)
class Line:
    """One recognised text line: its axis-aligned box (photo px), text and confidence."""

    box: tuple[float, float, float, float]
    text: str
    score: float

    @property
    def height(self) -> float:
        return self.box[3] - self.box[1]


@dataclass(frozen=True)
class Tag:
    """A price line hanging under a shelf row, and the price it shows."""

    line: Line
    price: float
    currency: str | None


def _inside(boxes: np.ndarray, holders: np.ndarray) -> np.ndarray:
    """For each box, the largest share of its area inside any holder box."""
    if not len(boxes) or not len(holders):
        return np.zeros(len(boxes))
    x1 = np.maximum(boxes[:, None, 0], holders[None, :, 0])
    y1 = np.maximum(boxes[:, None, 1], holders[None, :, 1])
    x2 = np.minimum(boxes[:, None, 2], holders[None, :, 2])
    y2 = np.minimum(boxes[:, None, 3], holders[None, :, 3])
    inter = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
    area = np.maximum(1e-6, (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1]))
    return (inter / area[:, None]).max(axis=1)


def _dedupe(boxes: np.ndarray, passes: np.ndarray, share: float = 0.6) -> np.ndarray:
    """The lines found at several sizes, once. Boxes of the larger sizes come first (their
    boxes fit the text tighter, which the recogniser reads better); a box lying ``share`` or
    more inside one already kept (the same line, or a piece of it) is dropped."""
    if len(boxes) < 2:
        return boxes
    area = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    kept: list[int] = []
    for i in np.lexsort((-area, passes)):
        if not kept or _inside(boxes[i:i + 1], boxes[kept])[0] < share:
            kept.append(int(i))
    return boxes[kept]


def _one_per_place(tags: list[Tag]) -> list[Tag]:
    """Of price lines on top of each other (a tag read whole and in part), the widest."""
    kept: list[Tag] = []
    for tag in sorted(tags, key=lambda t: t.line.box[0] - t.line.box[2]):
        box = np.array([tag.line.box])
        if not kept or _inside(box, np.array([k.line.box for k in kept]))[0] < 0.5:
            kept.append(tag)
    return kept


def _tag_row(box: Sequence[float], rows: Sequence[ShelfRow]) -> ShelfRow | None:
    """The shelf row whose tag strip holds a line: its top just under the row's products."""
    for row in rows:
        ph = row.product_height
        if not row.line - TAG_ABOVE * ph <= box[1] <= row.line + TAG_REACH * ph:
            continue
        if box[2] >= row.x0 - row.product_width and box[0] <= row.x1 + row.product_width:
            return row
    return None


def _touches(a: Sequence[float], b: Sequence[float], margin: float) -> bool:
    return (a[0] - margin <= b[2] and b[0] <= a[2] + margin
            and a[1] - margin <= b[3] and b[1] <= a[3] + margin)


def _signs(seeds: list[Line], others: list[Line]) -> list[list[Line]]:
    """Promo-word lines grouped with the lines touching them (one sign, several lines)."""
    groups: list[list[Line]] = []
    for seed in sorted(seeds, key=lambda line: -line.height):
        margin = 0.5 * seed.height
        home = next((g for g in groups if any(_touches(seed.box, m.box, margin) for m in g)),
                    None)
        if home is None:
            groups.append([seed])
        else:
            home.append(seed)
    for group in groups:
        margin = 0.5 * max(line.height for line in group)
        group += [o for o in others if any(_touches(o.box, m.box, margin) for m in group)]
    return groups


class TagAndSignFinder(Stage):
    """Finds price tags and promo signs in a photo's text (:meth:`find`; as a stage,
    :meth:`run`).

    Args:
        engine: a ``rapidocr_onnxruntime.RapidOCR`` (default: a new one; share the tag
            reader's to load the models once).
        kinds: which kinds to add (``price_tag``, ``promo``): those the detector lacks.
        promo_texts: planned promo texts (the planograms') counted as promo words too.
        sides: long side (px) of the photo at each text-detection pass.
    """

    name = "find_text"

    def __init__(self, engine: Any = None, kinds: Sequence[str] = (keys.PRICE_TAG, keys.PROMO),
                 promo_texts: Iterable[str] = (), sides: Sequence[int] = DETECT_SIDES,
                 sign_min_score: float = SIGN_MIN_SCORE):
        if engine is None:
            from rapidocr_onnxruntime import RapidOCR

            engine = RapidOCR(print_verbose=False)
        self.engine = engine
        self.kinds = tuple(k for k in (keys.PRICE_TAG, keys.PROMO) if k in kinds)
        self.promo_texts = tuple(t for t in promo_texts if t)
        self.sides = tuple(sides)
        self.sign_min_score = sign_min_score
        self.stats: dict[str, int] = {}

    @property
    def version(self) -> str:
        return "text-finder (PP-OCRv4 text detection) " + "+".join(self.kinds)

    def run(self, batch: Batch) -> Batch:
        """The engine stage (after the tag reader: what it adds comes read already)."""
        return batch.with_detections(self.find(batch.images, batch.detections))

    def find(self, images: Sequence[np.ndarray], detections: Sequence[sv.Detections],
             ) -> list[sv.Detections]:
        """New detections: each photo's boxes plus the tags and signs found in its text.

        ``images`` are RGB uint8 arrays; ``detections`` need product boxes (for the shelf
        rows and to skip product labels) and are not changed.
        """
        candidates = [self._candidates(image, det) for image, det in zip(images, detections,
                                                                         strict=True)]
        lines = self._recognise(images, candidates)
        out = [_with_found(det, self._classify(found, det))
               for det, found in zip(detections, lines, strict=True)]
        self.stats = {"lines": sum(len(c) for c in candidates),
                      "found": sum(len(o) - len(d) for o, d in zip(out, detections, strict=True))}
        return out

    def detect_lines(self, image: np.ndarray) -> np.ndarray:
        """Axis-aligned boxes (N x 4, photo px) of the text lines found at every size."""
        import cv2

        bgr = np.ascontiguousarray(image[..., ::-1])
        found, passes = [], []
        # a photo smaller than a pass's size is not blown up (two such passes would be one)
        scales = sorted({min(1.0, side / max(image.shape[:2])) for side in self.sides},
                        reverse=True)
        for number, scale in enumerate(scales):
            small = bgr if scale == 1.0 else cv2.resize(
                bgr, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
            quads = self._detect(np.ascontiguousarray(small))
            found += [(*(q.min(0) / scale), *(q.max(0) / scale)) for q in quads]
            passes += [number] * len(quads)
        return _dedupe(np.array(found, dtype=np.float32).reshape(-1, 4), np.array(passes))

    def _detect(self, bgr: np.ndarray) -> list[np.ndarray]:
        """PP-OCR text detection at the image's own size (rapidocr's default would resize)."""
        from rapidocr_onnxruntime.ch_ppocr_det.utils import DetPreProcess

        det = self.engine.text_det
        tensor = DetPreProcess(max(bgr.shape[:2]) + 32, "max", det.mean, det.std)(bgr)
        if tensor is None:
            return []
        boxes, _ = det.postprocess_op(det.infer(tensor)[0], bgr.shape[:2])
        return list(boxes) if boxes is not None else []

    def _candidates(self, image: np.ndarray, det: sv.Detections) -> np.ndarray:
        """Text-line boxes not on a product nor on a tag or sign the detector boxed."""
        boxes = self.detect_lines(image)
        kinds = field_values(det, keys.KIND)
        keep = _inside(boxes, det.xyxy[kinds == keys.PRODUCT]) < ON_PRODUCT
        known = det.xyxy[(kinds == keys.PRICE_TAG) | (kinds == keys.PROMO)]
        keep &= _inside(boxes, known) < ON_KNOWN
        return boxes[keep]

    def _recognise(self, images: Sequence[np.ndarray], boxes: Sequence[np.ndarray],
                   ) -> list[list[Line]]:
        """Read every candidate line of every photo in one recognition call."""
        from pipeline.vision.ocr import crop

        crops, owner = [], []
        for p, (image, found) in enumerate(zip(images, boxes, strict=True)):
            for box in found:
                piece = crop(image, box, pad=0.0)  # the detector's box has a margin
                if min(piece.shape[:2]) >= 4:
                    crops.append(np.ascontiguousarray(piece[..., ::-1]))
                    owner.append((p, box))
        out: list[list[Line]] = [[] for _ in images]
        if crops:
            read, _ = self.engine.text_rec(crops)
            for (p, box), (text, score) in zip(owner, read, strict=True):
                if text and text.strip():
                    out[p].append(Line(tuple(float(v) for v in box), text.strip(),
                                       float(score)))
        return out

    def _sort(self, lines: list[Line], rows: Sequence[ShelfRow],
              ) -> tuple[list[Tag], list[Line], list[Line]]:
        """One photo's lines as price tags, promo-word lines and other readable lines."""
        tags: list[Tag] = []
        seeds, others = [], []
        for line in lines:
            price, currency = tag_price(line.text)
            row = _tag_row(line.box, rows) if price is not None else None
            if row is not None and line.score >= TAG_MIN_SCORE:
                x1, y1, x2, y2 = line.box  # the text box's margin may reach above the edge
                tags.append(Tag(Line((x1, max(y1, row.line), x2, y2), line.text, line.score),
                                price, currency))
            elif line.score < self.sign_min_score:
                continue
            elif is_promo_text(line.text, self.promo_texts):
                seeds.append(line)
            else:
                others.append(line)
        return _one_per_place(tags), seeds, others

    def _classify(self, lines: list[Line], det: sv.Detections) -> sv.Detections:
        """The tags and signs among one photo's recognised lines, as detections."""
        tags, seeds, others = self._sort(lines, infer_rows(of_kind(det, keys.PRODUCT)))
        rows: list[tuple[Any, ...]] = []
        if keys.PRICE_TAG in self.kinds:
            rows += [(t.line.box, keys.PRICE_TAG, t.line.score, t.line.text, t.price,
                      t.currency) for t in tags]
        if keys.PROMO in self.kinds:
            for group in _signs(seeds, others):
                group.sort(key=lambda m: (round(m.box[1] / max(1.0, m.height)), m.box[0]))
                xyxy = np.array([m.box for m in group])
                score = max(m.score for m in group if is_promo_text(m.text, self.promo_texts))
                rows.append(((*xyxy[:, :2].min(0), *xyxy[:, 2:].max(0)), keys.PROMO, score,
                             " ".join(m.text for m in group), None, None))
        return make_detections([r[0] for r in rows], kind=[r[1] for r in rows],
                               score=[r[2] for r in rows], text=[r[3] for r in rows],
                               price=[r[4] for r in rows], currency=[r[5] for r in rows])


def _with_found(det: sv.Detections, found: sv.Detections) -> sv.Detections:
    """A copy of ``det`` with ``found`` appended (data keys padded with ``None``)."""
    if not len(found):
        return det[np.arange(len(det))]
    return merge_padded([det, found])


def finder_kinds(mode: str, detector_kinds: Iterable[str]) -> tuple[str, ...]:
    """Which kinds the finder adds: ``off`` none, ``on`` tags and signs, ``auto`` those the
    detector cannot report (all of them for a single-class, product-only detector)."""
    if mode == "off":
        return ()
    wanted = (keys.PRICE_TAG, keys.PROMO)
    if mode == "on":
        return wanted
    have = set(detector_kinds)
    return tuple(k for k in wanted if k not in have)


def planned_promo_texts(folder: Any) -> list[str]:
    """Every promo text planned in the planograms of ``folder`` (unreadable files skipped)."""
    from pipeline.rules.loading import load_planograms

    texts = []
    for loaded in load_planograms(folder):
        for shelf in getattr(loaded.value, "shelves", None) or []:
            texts += [b.promo for b in shelf.blocks if b.promo]
    return sorted(set(texts))
