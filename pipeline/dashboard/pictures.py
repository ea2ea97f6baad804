"""Annotated shelf photos for the pages (cached), with toggleable layers.

Drawn by the vision package's annotator (:func:`pipeline.vision.annotate.annotate`) on every
page — Inspections, Upload, Today's fixes, the weekly report — with its one colour map
(``COLOURS`` there: products green, price tags blue, promo signs violet, gaps orange, shelf
rows grey, violation evidence and numbered markers red), and :func:`legend` says so beside each
photo. Shelf rows and gaps are the ones the rules used, kept with the inspection; an inspection
stored before they were kept has them found again from its boxes
(:func:`pipeline.rules.structure.structure_of`).
A photo whose file is gone (archived elsewhere, synthetic history) is drawn on a plain canvas.
Numbered markers (:func:`mark`) tie a box on the photo to the same number in a list (Today's
fixes); :func:`crops_jpeg` cuts each violation's boxes out of the photo.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import streamlit as st
import supervision as sv
from PIL import Image

from pipeline import keys
from pipeline.access.scope import ALL_STORES, Scope
from pipeline.detections import PhotoDetections
from pipeline.i18n import N_, _

LAYERS: dict[str, str] = {  # kind -> label (an English message id: show it through ``_``)
    keys.PRODUCT: N_("Products"),
    keys.PRICE_TAG: N_("Price tags"),
    keys.PROMO: N_("Promo signs"),
    keys.GAP: N_("Gaps"),
    keys.SHELF_ROWS: N_("Shelf rows"),
}
MAX_SIDE = 1600  # pixels: bigger photos are shown scaled down
WORST_SIDE = 640  # pixels: the weekly report's worst photos (drawn ahead by the Monday job)
VIOLATIONS = N_("Violation")  # the legend's word for red boxes and markers


def load_image(path: str | None, width: int, height: int) -> tuple[Image.Image, bool]:
    """The photo (upright RGB) and whether it is real, or a plain canvas of its size."""
    if path and Path(path).is_file():
        from pipeline.errors import PhotoError
        from pipeline.imaging import load_photo

        try:
            return load_photo(path).image, True
        except PhotoError:
            pass
    size = (max(int(width or 0), 64), max(int(height or 0), 64))
    return Image.new("RGB", size, (228, 226, 220)), False


def draw(image: Image.Image, photo: PhotoDetections, evidence: Sequence[Sequence[float]] = (),
         layers: Sequence[str] = tuple(LAYERS), structure: Any = None) -> Image.Image:
    """Boxes of the chosen layers in their kind's colour, shelf rows, violation evidence in
    thick red (:func:`pipeline.vision.annotate.annotate`; the colours :func:`legend` names).

    Shelf rows and inferred gaps: ``structure`` (a verdict's, for a photo not stored yet),
    else those kept with ``photo`` (:func:`pipeline.rules.structure.structure_of`)."""
    from pipeline.rules.structure import structure_of, with_structure
    from pipeline.vision.annotate import annotate as vision_annotate

    if structure is not None:
        photo = PhotoDetections.from_dict(with_structure(photo.to_dict(), structure))
    else:
        photo = structure_of(photo).photo
    violations = [{"boxes": [list(b) for b in evidence]}] if len(evidence) else None
    return vision_annotate(image, photo, violations=violations, layers=tuple(layers))


annotate = draw  # the name the pages used first


def legend(layers: Sequence[str] = tuple(LAYERS), violations: bool = True) -> None:
    """What the colours on the photo above mean, in the reader's words and the same colours
    as the boxes: one square per layer drawn, and red for violations (or numbered markers)."""
    from pipeline.vision.annotate import COLOURS, VIOLATION

    shown = [k for k in LAYERS if k in layers]
    words = [f":{COLOURS[k][1]}[:material/square:] {_(LAYERS[k])}" for k in shown]
    if violations:
        words.append(f":{COLOURS[VIOLATION][1]}[:material/square:] {_(VIOLATIONS)}")
    if words:
        st.caption("  ".join(words))


def _shrunk(image: Image.Image, photo: PhotoDetections, evidence: Sequence[Sequence[float]],
            max_side: int) -> tuple[Image.Image, PhotoDetections, list[list[float]]]:
    """The photo scaled to ``max_side`` with its boxes scaled alike (drawing small is cheap)."""
    scale = max_side / max(image.size)
    if scale >= 1:
        return image, photo, [list(b) for b in evidence]
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    det = photo.detections
    if len(det):
        det = sv.Detections(xyxy=det.xyxy * scale, confidence=det.confidence,
                            class_id=det.class_id, data=dict(det.data))
    rows = photo.extra.get(keys.SHELF_ROWS)
    extra = {keys.SHELF_ROWS: [_scaled(r, scale) for r in rows]} if isinstance(rows, list) \
        else {}
    small = PhotoDetections(path=photo.path, width=size[0], height=size[1], detections=det,
                            store=photo.store, camera=photo.camera,
                            captured_at=photo.captured_at, extra=extra)
    return (image.resize(size, Image.Resampling.BILINEAR), small,
            [[v * scale for v in b] for b in evidence])


def _scaled(row: Any, scale: float) -> Any:
    """A stored shelf row's pixel figures times ``scale`` (its ``shelf`` number kept)."""
    if not isinstance(row, dict):
        return row
    return {k: v * scale if k != keys.SHELF and isinstance(v, int | float)
            and not isinstance(v, bool) else v for k, v in row.items()}


def _red() -> sv.Color:
    from pipeline.vision.annotate import VIOLATION, colour

    return colour(VIOLATION)


def mark(image: Image.Image, markers: Sequence[tuple[str, Sequence[float]]]) -> Image.Image:
    """Numbered markers: each ``(label, box)`` as a red box with its label in a red tag at the
    top-left corner (moved aside where tags would overlap), so an entry of a list and its
    place on the photo carry the same number."""
    if not markers:
        return image
    det = sv.Detections(xyxy=np.asarray([list(b) for _, b in markers],
                                        dtype=np.float32).reshape(-1, 4))
    scale = max(0.6, max(image.size) / 800)
    image = sv.BoxAnnotator(color=_red(), thickness=max(2, round(3 * scale)),
                            color_lookup=sv.ColorLookup.INDEX).annotate(image.convert("RGB"), det)
    tags = sv.LabelAnnotator(color=_red(), text_color=sv.Color.WHITE,
                             text_scale=scale, text_thickness=max(1, round(2 * scale)),
                             text_padding=max(3, round(5 * scale)),
                             text_position=sv.Position.TOP_LEFT,
                             color_lookup=sv.ColorLookup.INDEX, smart_position=True)
    return tags.annotate(image, det, labels=[str(n) for n, _ in markers])


def _jpeg(image: Image.Image, quality: int = 88) -> bytes:
    buf = io.BytesIO()
    image.convert("RGB").save(buf, "JPEG", quality=quality)
    return buf.getvalue()


def render_jpeg(path: str | None, payload: dict[str, Any], evidence: tuple,
                layers: tuple[str, ...], width: int = 0, height: int = 0,
                max_side: int = MAX_SIDE, markers: tuple = ()) -> tuple[bytes, bool]:
    """JPEG bytes of the annotated photo, at most ``max_side`` pixels, and whether the photo
    file is real. ``markers``: ``(label, box)`` pairs drawn as numbered tags (:func:`mark`)."""
    from pipeline.rules.structure import structure_of

    photo = structure_of(PhotoDetections.from_dict(payload or {"detections": []})).photo
    image, real = load_image(path, width or photo.width, height or photo.height)
    scale = min(1.0, max_side / max(image.size))
    image, photo, boxes = _shrunk(image, photo, evidence, max_side)
    out = annotate(image, photo, boxes, layers)
    out = mark(out, [(n, [v * scale for v in b]) for n, b in markers])
    return _jpeg(out), real




@st.cache_data(ttl=600, max_entries=64, show_spinner=False)
def annotated_jpeg(path: str | None, payload: dict[str, Any], evidence: tuple,
                   layers: tuple[str, ...], width: int = 0, height: int = 0,
                   max_side: int = MAX_SIDE, markers: tuple = ()) -> tuple[bytes, bool]:
    """:func:`render_jpeg`, cached by its inputs; without ``markers`` also kept on disk for
    every process (:mod:`pipeline.dashboard.stored_pictures`)."""
    if markers:
        return render_jpeg(path, payload, evidence, layers, width, height, max_side, markers)
    from pipeline.dashboard.stored_pictures import stored_jpeg

    return stored_jpeg(render_jpeg, path, payload, evidence, layers, width, height, max_side)


@st.cache_data(ttl=600, max_entries=64, show_spinner=False)
def crops_jpeg(path: str | None, groups: tuple, width: int = 0, height: int = 0,
               pad: float = 0.35, max_side: int = 320) -> tuple[bytes | None, ...]:
    """For each group of boxes (one violation's evidence), the part of the photo they cover —
    their union, widened by ``pad`` of its size on every side, the boxes outlined in red — as
    JPEG of at most ``max_side`` pixels; ``None`` for a group without boxes or when the photo
    file is gone. The photo is read once for all groups."""
    image, real = load_image(path, width, height)
    if not real:
        return tuple(None for _ in groups)
    return tuple(_crop(image, boxes, pad, max_side) if boxes else None for boxes in groups)


def _crop(image: Image.Image, boxes: Sequence[Sequence[float]], pad: float,
          max_side: int) -> bytes | None:
    xyxy = np.asarray([list(b) for b in boxes], dtype=np.float32).reshape(-1, 4)
    x1, y1 = xyxy[:, :2].min(axis=0)
    x2, y2 = xyxy[:, 2:].max(axis=0)
    dx, dy = max(x2 - x1, 16) * pad, max(y2 - y1, 16) * pad
    area = np.array([max(0, x1 - dx), max(0, y1 - dy), min(image.width, x2 + dx),
                     min(image.height, y2 + dy)]).round().astype(int)
    if area[2] - area[0] < 2 or area[3] - area[1] < 2:
        return None
    part = sv.crop_image(image, area)
    outline = sv.Detections(xyxy=xyxy - np.array([area[0], area[1]] * 2, dtype=np.float32))
    part = sv.BoxAnnotator(color=_red(), thickness=max(2, round(max(part.size) / 150)),
                           color_lookup=sv.ColorLookup.INDEX).annotate(part, outline)
    part.thumbnail((max_side, max_side), Image.Resampling.BILINEAR)
    return _jpeg(part, quality=85)


def inspection_jpeg(inspection_id: int, scope: Scope, max_side: int = MAX_SIDE
                    ) -> bytes | None:
    """The annotated photo of one inspection (every layer, every violation's evidence) as JPEG,
    or ``None`` when it is not in ``scope``: cached like query results (a minute) by inspection,
    scope (its stores and role, :func:`pipeline.dashboard.loaders.shared`) and size, so a page
    showing it does not load and hash the detections on every run."""
    from pipeline.dashboard import loaders

    return _inspection_jpeg(loaders.db_url(), int(inspection_id), loaders.shared(scope),
                            max_side)


@st.cache_data(ttl=60, max_entries=128, show_spinner=False)
def _inspection_jpeg(url: str, inspection_id: int, scope: Scope, max_side: int
                     ) -> bytes | None:
    from pipeline.db import get_engine

    return _inspection_picture(inspection_id, scope, max_side, get_engine(url))


def _inspection_picture(inspection_id: int, scope: Scope, max_side: int, engine: Any
                        ) -> bytes | None:
    from pipeline.dashboard.stored_pictures import stored_jpeg
    from pipeline.queries import inspections

    detail = inspections.inspection_detail(inspection_id, scope, engine=engine)
    if detail is None:
        return None
    boxes = tuple(tuple(b) for ev in detail.violations["evidence"]
                  for b in inspections.evidence_boxes(ev))
    return stored_jpeg(render_jpeg, detail.photo_path, detail.detections, boxes, tuple(LAYERS),
                       detail.width, detail.height, max_side)[0]


def keep_worst_photos(inspection_ids: Sequence[int], url: str | None = None) -> int:
    """Draw these inspections' photos at :data:`WORST_SIDE` and keep them on disk (the weekly
    report job does it for the page's first visitors); how many were drawn or found."""
    from pipeline.db import get_engine

    engine = get_engine(url)
    return sum(_inspection_picture(i, ALL_STORES, WORST_SIDE, engine) is not None
               for i in inspection_ids)
