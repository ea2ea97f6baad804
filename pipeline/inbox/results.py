"""Writing one photo's result: the inspection row, its detections JSON and its violations.

The verdict is ``ComplianceResult.to_dict()`` of the rules engine: ``kpis`` (compliance, osa,
share_of_shelf, facings, price, promo), ``rules`` (per-rule outcome), ``violations``
(rule, type, severity, message, boxes ...) and ``structure``: the shelf rows, shelf per box and
inferred gaps the rules used, written into the stored detections JSON
(:func:`pipeline.rules.structure.with_structure`) so pictures draw what was judged.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import insert
from sqlalchemy.orm import Session

from pipeline.db import tables
from pipeline.detections import PhotoDetections
from pipeline.kpis import FROM_VERDICT
from pipeline.rules.structure import with_structure
from pipeline.weeks import iso_week

KPI_COLUMNS = FROM_VERDICT  # the engine's ``price``/``promo`` -> ``*_compliance`` columns


class _Named(Protocol):
    name: str

    def versions(self) -> dict[str, str]: ...


class _Versioned(Protocol):
    hash: str
    versions: dict[str, int]


def _timings(detections: PhotoDetections, duration_ms: float) -> dict[str, Any]:
    timings = detections.extra.get("timings")
    if isinstance(timings, dict):
        return {str(k): float(v) for k, v in timings.items() if isinstance(v, int | float)}
    return {"total_ms": round(duration_ms, 1)}


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def record_inspection(session: Session, photo: tables.Photo, detections: PhotoDetections,
                      verdict: dict[str, Any], *, inspector: _Named, rules: _Versioned,
                      local_day: date, duration_ms: float, final_path: Path,
                      planogram_id: str | None = None,
                      violations_out: list[tuple[tables.Inspection, dict[str, Any]]] | None = None
                      ) -> tables.Inspection:
    """Add the inspection of ``photo`` and mark the photo inspected (in the caller's session).

    ``violations_out``: collect the violation rows there instead of adding ORM objects; the
    caller flushes and inserts them in one statement (:func:`insert_violations`, the batch
    runner's fast path).
    """
    kpis = dict(verdict.get("kpis") or {})
    outcomes = list(verdict.get("rules") or [])
    models = detections.extra.get("models")
    inspection = tables.Inspection(
        photo_id=photo.id, store_id=photo.store_id, camera_id=photo.camera_id,
        captured_at=photo.captured_at, captured_on=local_day, iso_week=iso_week(local_day),
        planogram_id=planogram_id, inspector=inspector.name,
        models=models if isinstance(models, dict) else inspector.versions(),
        rule_set_hash=rules.hash, rule_versions=dict(rules.versions),
        timings=_timings(detections, duration_ms), duration_ms=round(duration_ms, 1),
        width=detections.width or photo.width or 0, height=detections.height or photo.height or 0,
        share_of_shelf=dict(kpis.get("share_of_shelf") or {}),
        facings=dict(kpis.get("facings") or {}),
        kpis={k: v for k, v in kpis.items() if k not in ("share_of_shelf", "facings")},
        rule_results=outcomes,
        rules_passed=sum(1 for o in outcomes if o.get("applicable", True) and o.get("passed")),
        rules_failed=sum(1 for o in outcomes if not o.get("passed")),
        violation_count=len(verdict.get("violations") or []),
        **{column: _float(kpis.get(key)) for key, column in KPI_COLUMNS.items()},
    )
    payload = detections.to_dict()
    payload.pop("timings", None)
    payload.pop("models", None)
    payload["path"] = str(final_path)
    if verdict.get("structure") is not None:
        payload = with_structure(payload, verdict["structure"])
    inspection.detections = tables.InspectionDetections(count=len(payload["detections"]),
                                                        payload=payload)
    for v in verdict.get("violations") or []:
        row = dict(store_id=photo.store_id, camera_id=photo.camera_id,
                   captured_at=photo.captured_at, captured_on=local_day,
                   iso_week=inspection.iso_week, rule_id=str(v.get("rule", "")),
                   rule_type=str(v.get("type", "")), severity=str(v.get("severity", "medium")),
                   message=str(v.get("message", "")), evidence=_evidence(v))
        if violations_out is None:
            inspection.violations.append(tables.Violation(**row))
        else:
            violations_out.append((inspection, row))
    session.add(inspection)
    photo.state, photo.last_error, photo.path = tables.INSPECTED, None, str(final_path)
    return inspection


def insert_violations(session: Session,
                      rows: list[tuple[tables.Inspection, dict[str, Any]]]) -> None:
    """Insert violation rows collected by :func:`record_inspection` (flushes the inspections
    first for their ids): one executemany instead of an ORM object per row."""
    if not rows:
        return
    session.flush()
    session.execute(insert(tables.Violation),
                    [{**row, "inspection_id": inspection.id} for inspection, row in rows])


def _evidence(violation: dict[str, Any]) -> dict[str, Any]:
    """``{"boxes": [[x1, y1, x2, y2], ...]}`` plus ``shelf``/``sku``/``brand`` when known, and
    ``wording``: how to say the message in the reader's language
    (:func:`pipeline.rules.wording.violation_text`)."""
    out: dict[str, Any] = {"boxes": [list(b) for b in violation.get("boxes") or []]}
    out.update({k: violation[k] for k in ("shelf", "sku", "brand", "wording")
                if violation.get(k) is not None})
    return out


def record_failure(photo: tables.Photo, error: str, final_path: Path | None = None) -> None:
    """Mark a photo failed with the reason; ``final_path`` when it will not be retried."""
    photo.state, photo.last_error = tables.FAILED, error[:4000]
    if final_path is not None:
        photo.path = str(final_path)
