"""The shelf-structure step: shelf rows, a shelf per box and the gaps, kept with the inspection.

Between reading text and the rules engine (DESIGN.md's data flow), :func:`shelf_structure` takes
one photo's detections (and the camera's planogram, whose planned spans say which empty span is
a gap) and returns new ones — a ``shelf`` index on every box and a ``gap`` box marked
``inferred: true`` for each empty span (the geometry is :mod:`pipeline.rules.shelves`) — with
the shelf rows. The rules read the scene built on it (:func:`pipeline.rules.scene.build_scene`).

The verdict carries what was found (:class:`ShelfStructure`, ``structure`` in
``ComplianceResult.to_dict()``) and the store writes it into the inspection's detections JSON
(:func:`with_structure`): ``shelf`` on each box, the inferred gaps, and ``shelf_rows`` for the
photo (index, ``line`` — the y products stand on —, ``top``, ``x0``-``x1`` and the row's
product sizes). Pictures draw those (:func:`structure_of`); an inspection stored before
structures were kept has them found again from its boxes, without a planogram.

Inferred gaps depend on the planogram, which may change since: judging detections again
(what-if, ``shelfaudit check`` on stored JSON) drops every gap marked ``inferred`` and the
stored rows, and finds them anew. Gap boxes a detector gave (no ``inferred``) stay, and then no
gaps are inferred.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import supervision as sv

from pipeline import keys
from pipeline.detections import PhotoDetections, field_values, merge_padded
from pipeline.planogram import Planogram
from pipeline.rules.result import Box
from pipeline.rules.shelves import (
    PlannedSpan,
    ShelfRow,
    assign_shelves,
    infer_gaps,
    infer_rows,
)

GAP_WIDTHS = 0.8  # an empty span wider than this many product widths is a gap
_ROW_FIELDS = ("line", "top", "x0", "x1", "product_height", "product_width", "rail")


def row_dict(row: ShelfRow) -> dict[str, Any]:
    """One shelf row as JSON (``shelf`` is its index, 1 = top; pixels to 0.1)."""
    return {keys.SHELF: row.index,
            **{name: round(float(getattr(row, name)), 1) for name in _ROW_FIELDS}}


def row_from_dict(doc: Mapping[str, Any]) -> ShelfRow:
    """A shelf row from :func:`row_dict`'s JSON.

    Raises:
        ValueError: not a shelf row (no integer ``shelf`` or no numeric ``line``).
    """
    index, line = doc.get(keys.SHELF), doc.get("line")
    if isinstance(index, bool) or not isinstance(index, int) or not _is_number(line):
        raise ValueError(f"not a shelf row: {dict(doc)!r}")
    values = {name: float(doc[name]) if _is_number(doc.get(name)) else 0.0
              for name in _ROW_FIELDS}
    return ShelfRow(index=index, **values)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) \
        and bool(np.isfinite(value))


@dataclass(frozen=True)
class ShelfStructure:
    """What the shelf-structure step found on one photo, as the verdict carries it.

    Attributes:
        rows: the shelf rows, top to bottom.
        shelves: the shelf of each box that was judged — the input's boxes in order, less the
            stale inferred gaps dropped (``None``: no row to put it on).
        gaps: the inferred gaps: box and shelf.
    """

    rows: tuple[ShelfRow, ...] = ()
    shelves: tuple[int | None, ...] = ()
    gaps: tuple[tuple[Box, int | None], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "rows": [row_dict(r) for r in self.rows],
            "shelves": list(self.shelves),
            "gaps": [{"box": [round(float(v), 1) for v in box], keys.SHELF: shelf}
                     for box, shelf in self.gaps],
        }

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any]) -> ShelfStructure:
        """Read :meth:`to_dict`'s JSON.

        Raises:
            ValueError: a part of it is not what :meth:`to_dict` writes.
        """
        try:
            rows = tuple(row_from_dict(r) for r in doc.get("rows") or [])
            shelves = tuple(_shelf(s) for s in doc.get("shelves") or [])
            gaps = tuple((_gap_box(g["box"]), _shelf(g.get(keys.SHELF)))
                         for g in doc.get("gaps") or [])
        except (AttributeError, KeyError, TypeError) as exc:
            raise ValueError(f"not a shelf structure: {exc}") from None
        return cls(rows, shelves, gaps)


def _shelf(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer):
        raise ValueError(f"not a shelf index: {value!r}")
    return int(value)


def _gap_box(value: Any) -> Box:
    box = tuple(float(v) for v in value)
    if len(box) != 4:
        raise ValueError(f"not a box: {value!r}")
    return box  # type: ignore[return-value]


@dataclass(frozen=True)
class Structured:
    """A photo after the shelf-structure step: its new detections and what was found."""

    photo: PhotoDetections  # a shelf per box, inferred gaps added, ``shelf_rows`` in extra
    structure: ShelfStructure

    @property
    def rows(self) -> tuple[ShelfRow, ...]:
        return self.structure.rows


def planned_spans(planogram: Planogram | None, width: float) -> dict[int, list[PlannedSpan]]:
    """Per shelf: each planned block's px span and the width of one of its facings."""
    return {s.index: [(b.x[0] * width, b.x[1] * width, (b.x[1] - b.x[0]) * width / b.facings)
                      for b in s.blocks]
            for s in (planogram.shelves if planogram else [])}


def inferred_mask(detections: sv.Detections) -> np.ndarray:
    """Which boxes are gaps an earlier shelf-structure step inferred."""
    return np.array([isinstance(v, bool | np.bool_) and bool(v)
                     for v in field_values(detections, keys.INFERRED)], dtype=bool)


def without_inferred(detections: sv.Detections) -> sv.Detections:
    """``detections`` less the gaps an earlier step inferred (the input itself when none
    were)."""
    if keys.INFERRED not in detections.data:
        return detections
    out = detections[~inferred_mask(detections)]
    out.data.pop(keys.INFERRED, None)
    return out


def shelf_structure(photo: PhotoDetections, planogram: Planogram | None = None, *,
                    trust_shelf: bool = False, gap_widths: float = GAP_WIDTHS) -> Structured:
    """The shelf-structure step (see the module docstring); ``photo`` is not changed.

    Args:
        photo: one photo's detections (gaps inferred before and stored rows are dropped).
        planogram: the camera's planogram: its planned spans decide which empty span is a gap.
        trust_shelf: keep ``shelf`` indices given in the input instead of inferring them.
        gap_widths: how many facings wide an empty span must be to count as a gap.
    """
    kept = without_inferred(photo.detections)
    rows = infer_rows(kept)
    det = assign_shelves(kept, rows, trust_input=trust_shelf)
    if not np.any(field_values(det, keys.KIND) == keys.GAP):
        gaps = infer_gaps(det, rows, gap_widths, planned_spans(planogram, photo.width))
        if len(gaps):
            gaps.data[keys.INFERRED] = np.full(len(gaps), True, dtype=object)
            det = merge_padded([det, gaps])
    extra = {**photo.extra, keys.SHELF_ROWS: [row_dict(r) for r in rows]}
    return Structured(replace(photo, detections=det, extra=extra), _found(det, rows))


def _found(det: sv.Detections, rows: Sequence[ShelfRow]) -> ShelfStructure:
    """The structure of detections that went through the step (inferred gaps marked)."""
    inferred = inferred_mask(det)
    gaps = det[inferred] if inferred.any() else None
    return ShelfStructure(
        tuple(rows),
        tuple(_shelf_or_none(s) for s, i in zip(field_values(det, keys.SHELF), inferred,
                                                strict=True) if not i),
        () if gaps is None else tuple(
            (tuple(float(v) for v in gaps.xyxy[i]), _shelf_or_none(s))  # type: ignore[misc]
            for i, s in enumerate(field_values(gaps, keys.SHELF))))


def _shelf_or_none(value: Any) -> int | None:
    try:
        return _shelf(value)
    except ValueError:
        return None


def with_structure(payload: Mapping[str, Any], structure: ShelfStructure | Mapping[str, Any]
                   ) -> dict[str, Any]:
    """One photo's detections JSON with the structure the rules used: ``shelf`` on each box,
    the inferred gaps (``inferred: true``) after the other boxes, ``shelf_rows``. Gaps
    inferred before are replaced, so applying it twice changes nothing. When the boxes are not
    the ones judged (another count), their shelves are left as they are.

    Raises:
        ValueError: ``structure`` is not a shelf structure.
    """
    found = structure if isinstance(structure, ShelfStructure) \
        else ShelfStructure.from_dict(structure)
    boxes = [dict(b) for b in payload.get("detections") or [] if b.get(keys.INFERRED) is not True]
    if len(boxes) == len(found.shelves):
        for box, shelf in zip(boxes, found.shelves, strict=True):
            box.pop(keys.SHELF, None)
            if shelf is not None:
                box[keys.SHELF] = shelf
    boxes += [{"box": [round(v, 1) for v in box], "kind": keys.GAP, "score": 1.0,
               keys.SHELF: shelf, keys.INFERRED: True} for box, shelf in found.gaps]
    return {**payload, "detections": boxes, keys.SHELF_ROWS: [row_dict(r) for r in found.rows]}


def stored_rows(photo: PhotoDetections) -> tuple[ShelfRow, ...] | None:
    """The shelf rows kept with a photo (``None``: none were kept, or they cannot be read)."""
    kept = photo.extra.get(keys.SHELF_ROWS)
    if not isinstance(kept, list):
        return None
    try:
        return tuple(row_from_dict(r) for r in kept if isinstance(r, Mapping))
    except ValueError:
        return None


def structure_of(photo: PhotoDetections) -> Structured:
    """The structure kept with a photo (as stored; nothing is found again), or, for one stored
    before structures were kept, the structure found from its boxes now — without the
    planogram, which the photo does not name, so such gaps are judged against neighbouring
    products, not planned facings."""
    rows = stored_rows(photo)
    if rows is None:
        return shelf_structure(photo)
    return Structured(photo, _found(photo.detections, rows))
