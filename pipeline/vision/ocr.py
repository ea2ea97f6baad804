"""Read price tags and promo signs with rapidocr-onnxruntime (PP-OCRv4, bundled, offline).

:class:`TagReader` crops each ``price_tag`` and ``promo`` box in memory (numpy slicing), finds
the text lines inside each crop, then recognises the lines of *all* crops of *all* photos in one
batched recognition call. Price tags get ``text`` (their largest text line: the price),
``price`` and ``currency``; promo signs get ``text`` (all lines). :func:`parse_price` turns
noisy OCR text (``¥3.5O``, ``3.50元``, ``$ 2.99``, ``1,299.00``, ``2,49 €``) into a number and
an ISO currency.

Fixed shelf cameras see the same tags every day: given camera ids and the camera memory, a tag
or sign whose box and pixels did not change since that camera's last photo keeps the text read
then (compared at the remembered box, so detector jitter does not count; one changed digit does
— see ``TAG_PEAK``). As an engine stage (:meth:`TagReader.run`, the shape of
:mod:`pipeline.vision.stage`) the memory comes in the batch and goes back in the new one; the
reader keeps none.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import supervision as sv

from pipeline import keys
from pipeline.detections import field_values
from pipeline.vision.stage import Batch, Stage

if TYPE_CHECKING:
    from pipeline.vision.reuse import CameraMemory

_CURRENCIES: tuple[tuple[str, str], ...] = (
    ("¥", "CNY"), ("元", "CNY"), ("RMB", "CNY"), ("CNY", "CNY"),
    ("$", "USD"), ("USD", "USD"), ("€", "EUR"), ("EUR", "EUR"),
)
# Letters OCR confuses with digits, fixed only inside tokens that already hold a digit.
_DIGIT_LOOKALIKES = str.maketrans({"O": "0", "o": "0", "D": "0", "Q": "0", "l": "1", "I": "1",
                                   "|": "1", "i": "1", "S": "5", "s": "5", "B": "8", "Z": "2"})
_TOKEN = re.compile(r"[0-9OoDQlI|iSsBZ]*[0-9][0-9OoDQlI|iSsBZ.,:]*")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_SIGN_GAP = re.compile(r"[\s¥$€:：]*(?:RMB|CNY|USD|EUR)?[\s:：]*")
# A promo sign's text is kept only when the recogniser is this sure of it: a sign too small to
# read comes out as a confident-looking wrong word ("国" for "NEW") at 0.1-0.7, which the rules
# would take for another promo; an unread sign (no text) still counts as a sign. Chosen on the
# tuning scenes (seed 98): right readings score 0.83 or more in 95 % of cases.
SIGN_MIN_SCORE = 0.7
_MIN_LINE_PX = 48  # crops are upscaled so text lines reach the recogniser's input height
# Unchanged-tag signature: a 12 x 32 RGB thumbnail per tag or sign (each value averages a few
# photo pixels: sensor noise fades, another digit does not). Reused when the mean difference is
# at most TAG_TOLERANCE and no value differs by more than TAG_PEAK (0-255 scale).
TAG_THUMB = (12, 32)
TAG_TOLERANCE = 4.0
TAG_PEAK = 40.0
TAG_MIN_IOU = 0.7  # small boxes: 1 px of detector jitter costs a 20 px tag ~10 % IoU


def _normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)  # full-width ￥ ３ ． -> ¥ 3 .
    text = re.sub(r"(?<![A-Za-z])Y(?=\s*\d)", "¥", text)  # PP-OCR often reads ¥ as Y
    # "3 .50" / "3. 50" / "$ 2.99": OCR splits numbers around the decimal point
    return re.sub(r"(?<=\d)\s*([.,])\s*(?=\d)", r"\1", text)


def _fix_token(match: re.Match[str]) -> str:
    token = match.group(0)
    stripped = token.rstrip(".,:")
    return stripped.translate(_DIGIT_LOOKALIKES).replace(":", ".") + token[len(stripped):]


def _to_number(raw: str) -> float | None:
    """``1,299.00`` -> 1299.0, ``2,49`` -> 2.49, ``3.5`` -> 3.5, ``1.299,00`` -> 1299.0."""
    if "," in raw and "." in raw:
        raw = raw.replace(",", "") if raw.rfind(".") > raw.rfind(",") else \
            raw.replace(".", "").replace(",", ".")
    elif "," in raw:
        head, _, tail = raw.rpartition(",")
        raw = raw.replace(",", "") if len(tail) == 3 else head.replace(",", "") + "." + tail
    elif raw.count(".") > 1:
        head, _, tail = raw.rpartition(".")
        raw = head.replace(".", "") + ("." + tail if len(tail) != 3 else tail)
    try:
        return float(raw)
    except ValueError:
        return None


def _currency(text: str) -> tuple[str | None, int]:
    """The currency named in ``text`` and where (-1 if none)."""
    best: tuple[str | None, int] = (None, -1)
    for symbol, code in _CURRENCIES:
        at = text.find(symbol)
        if at >= 0 and (best[1] < 0 or at < best[1]):
            best = (code, at)
    return best


def parse_price(text: str | None) -> tuple[float | None, str | None]:
    """The price and currency on a tag, robust to common OCR noise.

    When several numbers appear, the one next to the currency sign wins, then one with a
    decimal part, then the first. Returns ``(None, currency)`` when no number is found.
    """
    if not text:
        return None, None
    text = _normalise(text)
    code, at = _currency(text)
    fixed = _TOKEN.sub(_fix_token, text)
    numbers = [(m, _to_number(m.group(0))) for m in _NUMBER.finditer(fixed)]
    numbers = [(m, v) for m, v in numbers if v is not None]
    if not numbers:
        return None, code
    return round(min(numbers, key=lambda mv: _rank(mv[0], fixed, at))[1], 2), code


def _rank(match: re.Match[str], text: str, at: int) -> tuple[int, int, int]:
    """Sort key of a candidate number: next to the currency sign, then with cents, then first.

    A prefix sign (``¥3.50``) binds to the number after it, a suffix one (``3.50元``, ``2,49 €``)
    to the number before it.
    """
    has_cents = re.search(r"[.,]\d{1,2}$", match.group(0)) is not None
    if at < 0:
        return (0, 0 if has_cents else 1, match.start())
    after = match.start() >= at and _SIGN_GAP.fullmatch(text[at:match.start()])
    before = match.end() <= at and not text[match.end():at].strip()
    distance = match.start() - at if after else at - match.end() if before else 10_000
    return (0 if after or before else 1, distance + (0 if has_cents else 1), match.start())


def crop(image: np.ndarray, box: Sequence[float], pad: float = 0.06) -> np.ndarray:
    """The pixels of ``box`` plus a small margin (a view; nothing is copied or written)."""
    h, w = image.shape[:2]
    x1, y1, x2, y2 = (float(v) for v in box)
    px, py = (x2 - x1) * pad, (y2 - y1) * pad
    x1, y1 = max(0, int(x1 - px)), max(0, int(y1 - py))
    x2, y2 = min(w, int(np.ceil(x2 + px))), min(h, int(np.ceil(y2 + py)))
    return image[y1:y2, x1:x2]


class TagReader(Stage):
    """Reads the text of price tags and promo signs (:meth:`read`; as a stage, :meth:`run`)."""

    name = "read_text"

    def __init__(self, engine: object | None = None, min_score: float = 0.3,
                 reuse: bool = True, sign_min_score: float = SIGN_MIN_SCORE):
        if engine is None:
            from rapidocr_onnxruntime import RapidOCR

            engine = RapidOCR(print_verbose=False)
            engine.text_det.limit_type = "max"  # tags are small: never blow them up to 736 px
        self.engine = engine
        self.min_score = min_score
        self.sign_min_score = sign_min_score
        self.reuse = reuse  # texts of unchanged tags kept, given a camera and its memory
        self.stats: dict[str, int] = {}

    @property
    def version(self) -> str:
        try:
            from importlib.metadata import version

            return f"rapidocr-onnxruntime {version('rapidocr-onnxruntime')} (PP-OCRv4)"
        except Exception:  # noqa: BLE001 - provenance only
            return "rapidocr-onnxruntime"

    def read_texts(self, crops: Sequence[np.ndarray], is_tag: Sequence[bool]) -> list[str]:
        """The text of each RGB crop (lines top to bottom, joined by spaces).

        On a price tag (``is_tag[i]``) only the crop's largest text is recognised — the price;
        the small product-name line costs recognition time (most of the OCR time on a shelf
        photo) for nothing — and a line is kept from ``min_score`` confidence. On a promo sign
        every line is read and kept from ``sign_min_score``.
        """
        lines: list[np.ndarray] = []
        owner: list[int] = []
        for i, rgb in enumerate(crops):
            found = self._lines(rgb)
            if is_tag[i] and len(found) > 1:
                tallest = max(line.shape[0] for line in found)
                found = [line for line in found if line.shape[0] >= 0.6 * tallest]
            for line in found:
                lines.append(line)
                owner.append(i)
        texts: list[list[str]] = [[] for _ in crops]
        if lines:
            recognised, _ = self.engine.text_rec(lines)
            for i, (text, score) in zip(owner, recognised, strict=True):
                floor = self.min_score if is_tag[i] else self.sign_min_score
                if text and float(score) >= floor:
                    texts[i].append(text.strip())
        return [" ".join(t for t in parts if t) for parts in texts]

    def _lines(self, rgb: np.ndarray) -> list[np.ndarray]:
        """Text-line crops (BGR, the recogniser's order) of one tag, top to bottom."""
        if rgb.size == 0 or min(rgb.shape[:2]) < 4:
            return []
        bgr = np.ascontiguousarray(rgb[..., ::-1])
        scale = max(1.0, 96.0 / rgb.shape[0], 2.0 * _MIN_LINE_PX / rgb.shape[0])
        if scale > 1.0:
            import cv2

            bgr = cv2.resize(bgr, None, fx=min(scale, 4.0), fy=min(scale, 4.0),
                             interpolation=cv2.INTER_CUBIC)
        padded = np.pad(bgr, ((8, 8), (8, 8), (0, 0)), mode="edge")
        boxes, _ = self.engine.text_det(padded)
        if boxes is None or len(boxes) == 0:
            return [bgr]  # no line found: let the recogniser try the whole crop
        boxes = self.engine.sorted_boxes(boxes)
        return self.engine.get_crop_img_list(padded, boxes)

    def run(self, batch: Batch) -> Batch:
        """The engine stage: texts read, those of tags and signs unchanged since a camera's
        last photo kept from ``batch.memory`` (the new memory comes back in the batch)."""
        out, memory = self.read_with_memory(batch.images, batch.detections, batch.cameras,
                                            batch.memory.get(self.name))
        return batch.with_detections(out).remembering(self.name, memory)

    def read(self, images: Sequence[np.ndarray], detections: Sequence[sv.Detections],
             ) -> list[sv.Detections]:
        """New detections with text/price/currency filled on price_tag and promo boxes."""
        return self.read_with_memory(images, detections)[0]

    @staticmethod
    def new_memory() -> CameraMemory:
        """An empty memory of the tags and signs each camera showed, and what they said."""
        from pipeline.vision.reuse import CameraMemory  # (torch)

        return CameraMemory(tolerance=TAG_TOLERANCE, peak=TAG_PEAK, min_iou=TAG_MIN_IOU)

    def read_with_memory(
        self, images: Sequence[np.ndarray], detections: Sequence[sv.Detections],
        cameras: Sequence[str | None] | None = None, memory: CameraMemory | None = None,
    ) -> tuple[list[sv.Detections], CameraMemory]:
        """:meth:`read`, and with ``cameras`` (one id or ``None`` per photo; with ``reuse``) a
        tag or sign whose box and pixels did not change since that camera's last photo in
        ``memory`` keeps the text read then, without running OCR again. Returns the detections
        and the memory after these photos."""
        memory = memory if memory is not None else self.new_memory()
        wanted: list[tuple[int, int]] = []
        per_photo: list[np.ndarray] = []
        for p, det in enumerate(detections):
            kinds = field_values(det, keys.KIND)
            rows = np.flatnonzero((kinds == keys.PRICE_TAG) | (kinds == keys.PROMO))
            per_photo.append(rows)
            wanted += [(p, int(b)) for b in rows]
        texts: list[str | None] = [None] * len(wanted)
        cams = list(cameras) if cameras is not None and self.reuse else [None] * len(images)
        signatures = [_thumbs(images[p], detections[p].xyxy[per_photo[p]])
                      if cams[p] is not None else None
                      for p in range(len(images))]
        starts = np.cumsum([0, *(len(r) for r in per_photo)])
        for p, camera in enumerate(cams):
            if camera is None or not len(per_photo[p]):
                continue
            match, seen = memory.recall_in_place(
                camera, detections[p].xyxy[per_photo[p]],
                lambda at, image=images[p]: _thumbs(image, at))
            kinds = field_values(detections[p], keys.KIND)[per_photo[p]]
            for j in np.flatnonzero(match >= 0):
                text = seen[match[j]]
                if kinds[j] == keys.PRICE_TAG and parse_price(text)[0] is None:
                    continue  # last time's reading found no price: read it again
                if text:
                    texts[starts[p] + j] = text
        todo = [i for i, t in enumerate(texts) if t is None]
        read = self.read_texts(
            [crop(images[wanted[i][0]], detections[wanted[i][0]].xyxy[wanted[i][1]])
             for i in todo],
            [detections[wanted[i][0]].data[keys.KIND][wanted[i][1]] == keys.PRICE_TAG
             for i in todo])
        for i, text in zip(todo, read, strict=True):
            texts[i] = text
        self.stats = {"regions": len(wanted), "reused": len(wanted) - len(todo),
                      "read": len(todo)}
        for p, camera in enumerate(cams):
            if camera is not None:
                memory = memory.remember(camera, detections[p].xyxy[per_photo[p]],
                                         signatures[p],
                                         np.array(texts[starts[p]:starts[p + 1]], dtype=object))
        out = []
        for det in detections:
            det = det[np.arange(len(det))]  # a copy: the input is never changed
            for name in (keys.TEXT, keys.PRICE, keys.CURRENCY):
                det.data[name] = field_values(det, name).copy()
            out.append(det)
        for (p, b), text in zip(wanted, texts, strict=True):
            det = out[p]
            det.data[keys.TEXT][b] = text or None
            if det.data[keys.KIND][b] == keys.PRICE_TAG:
                price, currency = parse_price(text)
                det.data[keys.PRICE][b] = price
                det.data[keys.CURRENCY][b] = currency
        return out, memory

def _thumbs(image: np.ndarray, boxes: np.ndarray) -> Any:
    from pipeline.vision.crops import thumbnails

    return thumbnails([image], [np.asarray(boxes, np.float32)], TAG_THUMB)
