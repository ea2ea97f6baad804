"""Draw what was found on a shelf photo (supervision annotators), for people to look at.

Boxes are coloured by kind — product green, price tag blue, promo violet, gap orange — and
labelled with the SKU and its score, the price text, or the promo text. The shelf rows kept
with a photo (``shelf_rows``, see :mod:`pipeline.rules.structure`) are drawn as grey lines where
the products stand, numbered 1 = top, under the boxes. When the rules
engine's violations are given, the evidence of each violation is drawn in red, twice as thick,
so a supervisor sees at once what is wrong. :data:`COLOURS` is the one colour map of every
annotated photo (dashboard pages, reports, the CLI) and of the legends beside them.
Chinese text is drawn with the bundled font (``pipeline/fonts/shelf-sans.ttf``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import supervision as sv
from PIL import Image

from pipeline import keys
from pipeline.detections import PhotoDetections, field_values

FONT_PATH = Path(__file__).resolve().parent.parent / "fonts" / "shelf-sans.ttf"
ROWS = keys.SHELF_ROWS  # the layer (and colour) of shelf rows
ALL_LAYERS = frozenset((*keys.KINDS, ROWS))

VIOLATION = "violation"
# What a colour on an annotated photo means: kind (or violation evidence) -> (the colour drawn,
# the Streamlit colour name a legend writes it with — the same hues as Streamlit's palette).
COLOURS: dict[str, tuple[str, str]] = {
    keys.PRODUCT: ("#21c354", "green"),
    keys.PRICE_TAG: ("#1c83e1", "blue"),
    keys.PROMO: ("#803df5", "violet"),
    keys.GAP: ("#ffa421", "orange"),
    ROWS: ("#808495", "gray"),
    VIOLATION: ("#ff4b4b", "red"),
}
_ROLES = [*keys.KINDS, VIOLATION]  # palette slots
_PALETTE = sv.ColorPalette([sv.Color.from_hex(COLOURS[role][0]) for role in _ROLES])
_KIND_SLOT = {kind: i for i, kind in enumerate(keys.KINDS)}
_RED = _ROLES.index(VIOLATION)


def colour(role: str) -> sv.Color:
    """The colour of a kind (``product`` ...) or of ``violation`` evidence."""
    return sv.Color.from_hex(COLOURS[role][0])


def label_of(kind: str, row: dict[str, Any]) -> str:
    """The short text drawn next to one box."""
    if kind == keys.PRODUCT:
        sku = row.get(keys.SKU)
        if sku is None:
            return ""
        score = row.get(keys.SKU_SCORE)
        text = f"{sku} {float(score):.2f}" if score is not None else str(sku)
        return text + (" (lying)" if row.get(keys.ORIENTATION) == keys.LYING else "")
    if kind == keys.PRICE_TAG:
        price = row.get(keys.PRICE)
        return str(row.get(keys.TEXT) or (f"{price:.2f}" if price is not None else ""))
    if kind == keys.PROMO:
        return str(row.get(keys.TEXT) or "promo")
    return kind


def _violation_boxes(violations: Iterable[Any] | None) -> list[tuple[np.ndarray, str]]:
    """``(box, label)`` of every piece of evidence (objects with ``.boxes`` or dicts)."""
    out = []
    for violation in violations or ():
        get = violation.get if isinstance(violation, dict) else \
            lambda name, v=violation: getattr(v, name, None)
        label = str(get("type") or get("rule") or "violation")
        for box in get("boxes") or ():
            out.append((np.asarray(box, dtype=np.float32).reshape(4), label))
    return out


def _flagged(xyxy: np.ndarray, evidence: Sequence[tuple[np.ndarray, str]]) -> np.ndarray:
    """Which detections are (nearly) the same box as some piece of evidence."""
    if len(xyxy) == 0 or not evidence:
        return np.zeros(len(xyxy), dtype=bool)
    ious = sv.box_iou_batch(xyxy.astype(np.float32), np.stack([b for b, _ in evidence]))
    return (ious >= 0.5).any(axis=1)


def _font_size(image: Image.Image) -> int:
    return int(np.clip(max(image.size) / 110, 10, 36))


def annotate(
    image: Image.Image | np.ndarray,
    photo: PhotoDetections | sv.Detections,
    violations: Iterable[Any] | None = None,
    layers: Iterable[str] = ALL_LAYERS,
) -> Image.Image:
    """A new annotated RGB image (the input is not changed).

    Args:
        image: the photo (PIL RGB or an RGB ``HxWx3`` array).
        photo: its detections.
        violations: the rules engine's violations (``.boxes``/``.type``, or dicts); their
            boxes are drawn red, everything else green or grey.
        layers: kinds to draw (``product``, ``price_tag``, ``promo``, ``gap``) and
            ``shelf_rows`` (the rows kept with ``photo``, if any).
    """
    scene = image.copy() if isinstance(image, Image.Image) else Image.fromarray(image)
    scene = scene.convert("RGB")
    layers = frozenset(layers)
    if ROWS in layers and isinstance(photo, PhotoDetections):
        scene = _draw_rows(scene, photo)
    det = photo.detections if isinstance(photo, PhotoDetections) else photo
    kinds = field_values(det, keys.KIND)
    det = det[np.isin(kinds.astype(str), list(layers))] if len(det) else det
    evidence = _violation_boxes(violations)
    flagged = _flagged(det.xyxy, evidence)
    # Evidence that is not one of the drawn boxes (a gap, a missing tag's place) is drawn too.
    extra = [(b, lbl) for b, lbl in evidence
             if len(det) == 0 or not (sv.box_iou_batch(b[None], det.xyxy) >= 0.5).any()]
    rows = _rows(det)
    kinds = [row[keys.KIND] for row in rows]
    labels = [label_of(k, row) for k, row in zip(kinds, rows, strict=True)]
    slots = [_slot(k, bool(f), violations is not None) for k, f in zip(kinds, flagged,
                                                                       strict=True)]
    boxes = [det.xyxy[i] for i in range(len(det))] + [b for b, _ in extra]
    labels += [lbl for _, lbl in extra]
    slots += [_RED] * len(extra)
    if not boxes:
        return scene
    drawn = sv.Detections(xyxy=np.asarray(boxes, dtype=np.float32).reshape(-1, 4))
    lookup = np.asarray(slots, dtype=np.int64)
    thickness = max(1, round(max(scene.size) / 600))
    red = lookup == _RED
    for part, width in ((~red, thickness), (red, thickness * 2)):  # evidence on top, thicker
        if part.any():
            scene = sv.BoxAnnotator(color=_PALETTE, thickness=width).annotate(
                scene, drawn[part], custom_color_lookup=lookup[part])
    has_text = np.array([bool(t) for t in labels])
    if has_text.any():
        scene = _label_annotator(scene).annotate(
            scene, drawn[has_text], labels=[t for t in labels if t],
            custom_color_lookup=lookup[has_text])
    return scene


def _draw_rows(scene: Image.Image, photo: PhotoDetections) -> Image.Image:
    """The shelf rows kept with ``photo``: a grey line along each, its number at the left."""
    from PIL import ImageDraw, ImageFont

    from pipeline.rules.structure import stored_rows

    rows = stored_rows(photo) or ()
    if not rows:
        return scene
    draw = ImageDraw.Draw(scene)
    grey = COLOURS[ROWS][0]
    width = max(2, round(max(scene.size) / 400))
    size = _font_size(scene)
    font = ImageFont.truetype(str(FONT_PATH), size) if FONT_PATH.exists() \
        else ImageFont.load_default()
    for row in rows:
        draw.line([(row.x0, row.line), (row.x1, row.line)], fill=grey, width=width)
        text = str(row.index)
        left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
        pad = max(2, size // 4)
        w, h = right - left + 2 * pad, bottom - top + 2 * pad
        x = row.x0 - w if row.x0 >= w else row.x0  # left of the shelf when there is room
        y = row.line - h / 2
        draw.rectangle([x, y, x + w, y + h], fill=grey)
        draw.text((x + pad - left, y + pad - top), text, fill="white", font=font)
    return scene


def _rows(det: sv.Detections) -> list[dict[str, Any]]:
    names = (keys.KIND, keys.SKU, keys.SKU_SCORE, keys.ORIENTATION, keys.TEXT, keys.PRICE)
    columns = {name: field_values(det, name) for name in names}
    return [{name: columns[name][i] for name in names} for i in range(len(det))]


def _slot(kind: str, flagged: bool, judged: bool) -> int:
    """Red for violation evidence, else the kind's colour (``judged``: violations were
    given — kept for callers; the colours do not depend on it)."""
    if flagged:
        return _RED
    return _KIND_SLOT.get(kind, _KIND_SLOT[keys.GAP])


def _label_annotator(scene: Image.Image) -> Any:
    size = _font_size(scene)
    if FONT_PATH.exists():
        return sv.RichLabelAnnotator(
            color=_PALETTE, font_path=str(FONT_PATH), font_size=size,
            text_padding=max(2, size // 4), text_color=sv.Color.WHITE)
    return sv.LabelAnnotator(color=_PALETTE, text_scale=size / 30, text_padding=max(2, size // 4))
