"""The detections JSON contract (DESIGN.md) <-> ``supervision.Detections``.

``PhotoDetections`` pairs one photo's metadata with its ``sv.Detections``. Per-box fields
(``kind``, ``sku``, ``text``, ``price`` ...) live in ``detections.data`` under the names in
:mod:`pipeline.keys`; missing values are ``None`` in object arrays.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import supervision as sv

from pipeline import keys

# Per-box fields carried in JSON besides box/kind/score, in output order.
BOX_FIELDS: tuple[str, ...] = (
    keys.SKU,
    keys.BRAND,
    keys.CATEGORY,
    keys.SKU_SCORE,
    keys.ORIENTATION,
    keys.TEXT,
    keys.PRICE,
    keys.CURRENCY,
    keys.SHELF,
)


def make_detections(
    xyxy: Sequence[Sequence[float]],
    kind: Sequence[str] | str = keys.PRODUCT,
    score: Sequence[float] | None = None,
    **fields: Sequence[Any],
) -> sv.Detections:
    """Build ``sv.Detections`` from plain lists (tests, converters, synthetic ground truth).

    Args:
        xyxy: pixel boxes ``[[x1, y1, x2, y2], ...]``.
        kind: one kind for all boxes or one per box.
        score: detector confidence per box (default 1.0).
        **fields: per-box values keyed by names from :mod:`pipeline.keys` (``sku=[...]``).
    """
    n = len(xyxy)
    boxes = np.asarray(xyxy, dtype=np.float32).reshape(n, 4)
    kinds = [kind] * n if isinstance(kind, str) else list(kind)
    class_map = {k: i for i, k in enumerate(keys.KINDS)}
    data: dict[str, np.ndarray] = {keys.KIND: np.array(kinds, dtype=object)}
    for name, values in fields.items():
        values = list(values)
        if len(values) != n:
            raise ValueError(f"field {name!r} has {len(values)} values for {n} boxes")
        data[name] = np.array(values, dtype=object)
    return sv.Detections(
        xyxy=boxes,
        confidence=np.ones(n, dtype=np.float32) if score is None else np.asarray(score, np.float32),
        class_id=np.array([class_map.get(k, -1) for k in kinds], dtype=int),
        data=data,
    )


def field_values(detections: sv.Detections, name: str) -> np.ndarray:
    """Per-box values of ``name`` as an object array (``None`` where absent)."""
    if name in detections.data:
        return np.asarray(detections.data[name], dtype=object)
    return np.full(len(detections), None, dtype=object)


def merge_padded(parts: Sequence[sv.Detections]) -> sv.Detections:
    """One Detections of ``parts`` in order; data keys missing from a part are padded with
    ``None`` (supervision merges only parts with the same keys). The inputs are not changed."""
    names = set().union(*(set(p.data) for p in parts))
    padded = []
    for part in parts:
        part = part[np.arange(len(part))]
        for name in names:
            part.data[name] = field_values(part, name)
        padded.append(part)
    return sv.Detections.merge(padded)


def of_kind(detections: sv.Detections, kind: str) -> sv.Detections:
    """The boxes of one kind (a new Detections; the input is not changed)."""
    if len(detections) == 0:
        return detections
    return detections[field_values(detections, keys.KIND) == kind]


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    return value


@dataclass
class PhotoDetections:
    """One photo and what was found on it (the unit of the detections JSON)."""

    path: str
    width: int
    height: int
    detections: sv.Detections = field(default_factory=sv.Detections.empty)
    store: str | None = None
    camera: str | None = None
    captured_at: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        rows = []
        det = self.detections
        columns = {name: field_values(det, name) for name in (keys.KIND, *BOX_FIELDS)}
        extra_cols = {k: v for k, v in det.data.items() if k not in columns}
        for i in range(len(det)):
            row: dict[str, Any] = {
                "box": [round(float(v), 1) for v in det.xyxy[i]],
                "kind": columns[keys.KIND][i],
                "score": round(float(det.confidence[i]), 4) if det.confidence is not None else 1.0,
            }
            for name in BOX_FIELDS:
                value = _plain(columns[name][i])
                if value is not None:
                    row[name] = round(value, 4) if isinstance(value, float) else value
            for name, values in extra_cols.items():
                value = _plain(values[i])
                if value is not None:
                    row[name] = value
            rows.append(row)
        out: dict[str, Any] = {"path": self.path, "width": self.width, "height": self.height}
        for name in ("store", "camera", "captured_at"):
            if getattr(self, name) is not None:
                out[name] = getattr(self, name)
        out["detections"] = rows
        out.update(self.extra)
        return out

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> PhotoDetections:
        rows = doc.get("detections") or []
        names: list[str] = []
        for row in rows:
            for k in row:
                if k not in ("box", "kind", "score") and k not in names:
                    names.append(k)
        det = make_detections(
            [r["box"] for r in rows],
            kind=[r.get("kind", keys.PRODUCT) for r in rows],
            score=[float(r.get("score", 1.0)) for r in rows],
            **{n: [r.get(n) for r in rows] for n in names},
        )
        known = {"path", "width", "height", "store", "camera", "captured_at", "detections"}
        return cls(
            path=str(doc.get("path", "")),
            width=int(doc.get("width", 0)),
            height=int(doc.get("height", 0)),
            detections=det,
            store=doc.get("store"),
            camera=doc.get("camera"),
            captured_at=doc.get("captured_at"),
            extra={k: v for k, v in doc.items() if k not in known},
        )


def dumps(photos: Iterable[PhotoDetections], indent: int | None = None) -> str:
    """Serialise photos to the detections JSON contract ``{"photos": [...]}``."""
    return json.dumps(
        {"photos": [p.to_dict() for p in photos]}, ensure_ascii=False, indent=indent
    )


def loads(text: str) -> list[PhotoDetections]:
    """Parse the detections JSON contract (a ``{"photos": [...]}`` document or one photo)."""
    doc = json.loads(text)
    if isinstance(doc, dict) and "photos" in doc:
        return [PhotoDetections.from_dict(p) for p in doc["photos"]]
    if isinstance(doc, dict):
        return [PhotoDetections.from_dict(doc)]
    if isinstance(doc, list):
        return [PhotoDetections.from_dict(p) for p in doc]
    raise ValueError("detections JSON must be an object with a 'photos' list")


def load(path: str | Path) -> list[PhotoDetections]:
    """Read a detections JSON file."""
    return loads(Path(path).read_text(encoding="utf-8"))
