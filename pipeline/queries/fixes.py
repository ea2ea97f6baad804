"""Today's fixes: what to put right on each camera's shelf now, and how often each rule is right.

For every camera in scope its **latest inspection** (the newest photo: a scheduled one or a
saved upload) and that photo's violations, grouped by shelf — the shelf with the most severe
violation first, the most severe first within a shelf — and numbered 1, 2, ... in that order
(the numbers drawn on the photo; they stay put while people mark violations).

A person marks a violation **done** (put right on the shelf) or **not a problem** (the rule was
wrong): :func:`record_feedback` keeps who and when (one row per violation, the latest word
counts; audited) and the violation leaves the open list. Those marks give the **precision** of
each rule (:func:`rule_precision`): the share of its marked violations that were done.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy import Engine, and_, case, func, select

from pipeline.access.scope import Scope
from pipeline.db.read import engine_for, frame, rows
from pipeline.db.tables import (
    DONE,
    NOT_A_PROBLEM,
    Camera,
    FixFeedback,
    Inspection,
    InspectionDetections,
    Photo,
    Store,
    Violation,
)

SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2}
SUMMARY_COLUMNS = ["store", "store_name", "camera", "camera_name", "inspection_id",
                   "captured_at", "timezone", "open", "high", "medium", "low", "marked"]
PRECISION_COLUMNS = ["rule", "type", "done", "not_a_problem", "marked", "precision"]


@dataclass(frozen=True)
class Fix:
    """One violation on a camera's latest photo, with its number and any mark on it."""

    number: int  # as drawn on the photo
    violation_id: int
    rule: str
    type: str
    severity: str
    message: str
    shelf: int | None  # 1 = top; None: not tied to one shelf
    sku: str | None
    boxes: tuple[tuple[float, float, float, float], ...]
    # how to say it in the reader's language (pipeline.rules.wording.violation_text)
    wording: dict[str, Any] | None = field(default=None, repr=False, compare=False)
    verdict: str | None = None  # done | not_a_problem, once marked
    marked_by: str | None = None
    marked_at: datetime | None = None  # naive UTC

    @property
    def open(self) -> bool:
        return self.verdict is None


@dataclass(frozen=True)
class ShelfFixes:
    """The open violations of one shelf (``shelf=None``: the whole photo), most severe first."""

    shelf: int | None
    fixes: tuple[Fix, ...]


@dataclass(frozen=True)
class CameraFixes:
    """One camera's latest photo and what to fix on it."""

    store: str
    store_name: str
    camera: str
    camera_name: str
    inspection_id: int
    captured_at: datetime  # naive UTC
    timezone: str
    photo_path: str | None
    width: int
    height: int
    detections: dict[str, Any] = field(repr=False)  # the photo object of the detections JSON
    shelves: tuple[ShelfFixes, ...] = ()  # open violations, grouped
    marked: tuple[Fix, ...] = ()  # already marked done / not a problem

    @property
    def fixes(self) -> list[Fix]:
        """The open violations in the order shown."""
        return [f for group in self.shelves for f in group.fixes]


def _latest_inspection():
    """Correlated scalar subquery: the newest inspection of the camera row in hand (one index
    lookup per camera on ``(store_id, camera_id, captured_at)``)."""
    return (select(Inspection.id)
            .where(Inspection.store_id == Camera.store_id, Inspection.camera_id == Camera.id)
            .order_by(Inspection.captured_at.desc(), Inspection.id.desc()).limit(1)
            .correlate(Camera).scalar_subquery())


def camera_summary(scope: Scope, engine: Engine | None = None) -> pd.DataFrame:
    """Every active camera in scope with its latest inspection and how many of that photo's
    violations are open (by severity) and marked; the worst cameras first."""
    eng = engine_for(engine)
    cams = (select(Camera.store_id.label("store"), Store.name.label("store_name"),
                   Camera.id.label("camera"), Camera.name.label("camera_name"),
                   Store.timezone, _latest_inspection().label("inspection_id"))
            .join(Store, Store.id == Camera.store_id)
            .where(scope.where(Camera.store_id), Camera.active.is_not(False)).subquery())
    df = frame(eng, select(cams, Inspection.captured_at)
               .outerjoin(Inspection, Inspection.id == cams.c.inspection_id))
    if df.empty:
        return pd.DataFrame(columns=SUMMARY_COLUMNS)
    counts = _open_counts(eng, [int(i) for i in df["inspection_id"].dropna()])
    df = df.merge(counts, on="inspection_id", how="left")
    for col in ("open", "high", "medium", "low", "marked"):
        df[col] = df[col].fillna(0).astype(int)
    df["inspection_id"] = df["inspection_id"].astype("Int64")
    df["timezone"] = df["timezone"].fillna("UTC")
    for name, code in (("store_name", "store"), ("camera_name", "camera")):
        df[name] = df[name].where(df[name].fillna("").astype(bool), df[code])
    df = df.sort_values(["high", "open", "store", "camera"], ascending=[False, False, True, True])
    return df[SUMMARY_COLUMNS].reset_index(drop=True)


def _open_counts(engine: Engine, ids: Sequence[int]) -> pd.DataFrame:
    """Per inspection: its open violations (all, and by severity) and its marked ones."""
    columns = ["inspection_id", "open", "high", "medium", "low", "marked"]
    if not ids:
        return pd.DataFrame(columns=columns)
    marked = FixFeedback.id.is_not(None)

    def open_of(severity: str):
        return func.sum(case((and_(~marked, Violation.severity == severity), 1), else_=0))

    stmt = (select(Violation.inspection_id, func.sum(case((marked, 0), else_=1)).label("open"),
                   *[open_of(s).label(s) for s in SEVERITY_ORDER],
                   func.sum(case((marked, 1), else_=0)).label("marked"))
            .outerjoin(FixFeedback, FixFeedback.violation_id == Violation.id)
            .where(Violation.inspection_id.in_(list(ids)))
            .group_by(Violation.inspection_id))
    return frame(engine, stmt, columns)


def open_fix_count(scope: Scope, engine: Engine | None = None) -> tuple[int, int]:
    """``(open violations, of which high severity)`` on the latest photos in scope (for the
    link on Overview)."""
    summary = camera_summary(scope, engine)
    return int(summary["open"].sum()), int(summary["high"].sum())


def camera_fixes(scope: Scope, store: str, camera: str, engine: Engine | None = None
                 ) -> CameraFixes | None:
    """The latest photo of ``store``/``camera`` and its violations (``None``: not in scope, or
    no inspection yet)."""
    eng = engine_for(engine)
    latest = (select(Inspection.id).where(Inspection.store_id == store,
                                          Inspection.camera_id == camera,
                                          scope.where(Inspection.store_id))
              .order_by(Inspection.captured_at.desc(), Inspection.id.desc()).limit(1))
    stmt = (select(Inspection.id, Inspection.captured_at, Inspection.width, Inspection.height,
                   Photo.path, InspectionDetections.payload, Store.name.label("store_name"),
                   Store.timezone, Camera.name.label("camera_name"))
            .join(Photo, Photo.id == Inspection.photo_id)
            .outerjoin(InspectionDetections, InspectionDetections.inspection_id == Inspection.id)
            .outerjoin(Store, Store.id == Inspection.store_id)
            .outerjoin(Camera, and_(Camera.store_id == Inspection.store_id,
                                    Camera.id == Inspection.camera_id))
            .where(Inspection.id == latest.scalar_subquery()))
    found = rows(eng, stmt)
    if not found:
        return None
    r = found[0]
    payload = dict(r.payload or {})
    fixes = _fixes(eng, int(r.id), payload)
    return CameraFixes(
        store=store, store_name=r.store_name or store, camera=camera,
        camera_name=r.camera_name or camera, inspection_id=int(r.id), captured_at=r.captured_at,
        timezone=r.timezone or "UTC", photo_path=r.path, width=int(r.width or 0),
        height=int(r.height or 0), detections=payload,
        shelves=_grouped([f for f in fixes if f.open]),
        marked=tuple(f for f in fixes if not f.open))


def _fixes(engine: Engine, inspection_id: int, payload: dict[str, Any]) -> list[Fix]:
    """Every violation of one inspection, numbered in the order shown (grouped by shelf)."""
    stmt = (select(Violation.id, Violation.rule_id, Violation.rule_type, Violation.severity,
                   Violation.message, Violation.evidence, FixFeedback.verdict,
                   FixFeedback.actor, FixFeedback.at)
            .outerjoin(FixFeedback, FixFeedback.violation_id == Violation.id)
            .where(Violation.inspection_id == inspection_id))
    found = []
    for r in rows(engine, stmt):
        evidence = r.evidence if isinstance(r.evidence, dict) else {"boxes": r.evidence or []}
        boxes = tuple(tuple(float(v) for v in b) for b in evidence.get("boxes") or []
                      if isinstance(b, (list, tuple)) and len(b) == 4)
        shelf = evidence.get("shelf")
        shelf = int(shelf) if isinstance(shelf, (int, float)) else shelf_of(boxes, payload)
        found.append(dict(violation_id=int(r.id), rule=r.rule_id, type=r.rule_type,
                          severity=r.severity, message=r.message or "", shelf=shelf,
                          sku=evidence.get("sku"), boxes=boxes,
                          wording=evidence.get("wording"), verdict=r.verdict,
                          marked_by=r.actor, marked_at=r.at))
    ordered = [f for group in _group_dicts(found) for f in group]
    return [Fix(number=i, **f) for i, f in enumerate(ordered, start=1)]


def _rank(severity: str) -> int:
    return SEVERITY_ORDER.get(severity, len(SEVERITY_ORDER))


def _group_dicts(found: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Violations by shelf: the shelf with the most severe violation first (then by shelf
    number, the whole-photo group last among equals); most severe first within a shelf."""
    groups: dict[int | None, list[dict[str, Any]]] = {}
    for f in found:
        groups.setdefault(f["shelf"], []).append(f)
    for items in groups.values():
        items.sort(key=lambda f: (_rank(f["severity"]), f["rule"], f["violation_id"]))
    order = sorted(groups, key=lambda s: (_rank(groups[s][0]["severity"]), s is None, s or 0))
    return [groups[s] for s in order]


def _grouped(fixes: list[Fix]) -> tuple[ShelfFixes, ...]:
    out: list[ShelfFixes] = []
    for f in fixes:  # already in group order
        if out and out[-1].shelf == f.shelf:
            out[-1] = ShelfFixes(f.shelf, (*out[-1].fixes, f))
        else:
            out.append(ShelfFixes(f.shelf, (f,)))
    return tuple(out)


def shelf_of(boxes: Sequence[Sequence[float]], payload: dict[str, Any]) -> int | None:
    """The shelf of the detection that is (nearly) the violation's first box, if known."""
    if not boxes:
        return None
    x1, y1, x2, y2 = boxes[0]
    best, shelf = 0.5, None
    for det in payload.get("detections") or []:
        box, s = det.get("box"), det.get("shelf")
        if not isinstance(s, int) or not isinstance(box, list) or len(box) != 4:
            continue
        ix = max(0.0, min(x2, box[2]) - max(x1, box[0]))
        iy = max(0.0, min(y2, box[3]) - max(y1, box[1]))
        inter = ix * iy
        union = (x2 - x1) * (y2 - y1) + (box[2] - box[0]) * (box[3] - box[1]) - inter
        if union > 0 and inter / union >= best:
            best, shelf = inter / union, s
    return shelf








def rule_precision(scope: Scope, since: datetime | None = None,
                   engine: Engine | None = None) -> pd.DataFrame:
    """Per rule: how many of its violations people marked ``done`` and ``not_a_problem``, and
    its precision — the share marked done, in % (``None`` until marked); least precise first.

    Args:
        since: count marks made at or after this naive UTC moment (default: all).
    """
    done = func.sum(case((FixFeedback.verdict == DONE, 1), else_=0))
    wrong = func.sum(case((FixFeedback.verdict == NOT_A_PROBLEM, 1), else_=0))
    stmt = (select(FixFeedback.rule_id.label("rule"), func.max(FixFeedback.rule_type)
                   .label("type"), done.label("done"), wrong.label("not_a_problem"))
            .where(scope.where(FixFeedback.store_id))
            .group_by(FixFeedback.rule_id))
    if since is not None:
        stmt = stmt.where(FixFeedback.at >= since)
    df = frame(engine_for(engine), stmt)
    if df.empty:
        return pd.DataFrame(columns=PRECISION_COLUMNS)
    df["done"] = df["done"].astype(int)
    df["not_a_problem"] = df["not_a_problem"].astype(int)
    df["marked"] = df["done"] + df["not_a_problem"]
    df["precision"] = (100.0 * df["done"] / df["marked"]).round(1)
    df = df.sort_values(["precision", "marked", "rule"], ascending=[True, False, True])
    return df[PRECISION_COLUMNS].reset_index(drop=True)
