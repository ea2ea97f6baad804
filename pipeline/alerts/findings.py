"""What there is to tell a store: the new problems of a run, the shelves' state this morning.

A *finding* is one violation as a message shows it. Its *problem key* (camera, rule, product,
shelf) names the problem rather than the photo, so the same gap seen again on the next night's
photo has the same key. A finding is **new** when the camera's photo before it did not show
that problem: only new findings are pushed at once, so a problem that stays on the shelf is
alerted once (the morning digest lists it every day until it is fixed).

Only the cameras' own photos count (inbox and HTTP pushes); a photo saved from the Upload page
(``captured_from = "upload"``) never triggers an alert.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from pipeline.db.tables import Inspection, JobRun, Photo, Violation, utcnow
from pipeline.rules.result import SEVERITY_WEIGHT

UPLOAD = "upload"  # Photo.captured_from of photos saved from the Upload page


@dataclass(frozen=True)
class Finding:
    """One violation as a message shows it."""

    violation_id: int
    inspection_id: int
    store_id: str
    camera_id: str
    captured_at: datetime  # naive UTC
    rule_id: str
    severity: str
    message: str
    sku: str | None = None
    shelf: int | None = None
    wording: Any = None  # how to say it in another language (pipeline.rules.wording)

    @property
    def key(self) -> str:
        return problem_key(self.camera_id, self.rule_id, self.sku, self.shelf)

    @property
    def weight(self) -> int:
        return SEVERITY_WEIGHT.get(self.severity, 2)


@dataclass(frozen=True)
class CameraState:
    """A camera's latest photo and its open problems."""

    camera_id: str
    captured_at: datetime
    compliance: float | None
    osa: float | None
    findings: tuple[Finding, ...] = ()


@dataclass(frozen=True)
class StoreState:
    """Each camera's latest photo: what is on the shelves now."""

    store_id: str
    cameras: tuple[CameraState, ...] = ()
    findings: tuple[Finding, ...] = field(default=())

    def counts(self) -> dict[str, int]:
        out = {"high": 0, "medium": 0, "low": 0}
        for f in self.findings:
            out[f.severity] = out.get(f.severity, 0) + 1
        return out


def problem_key(camera: str, rule: str, sku: str | None, shelf: Any) -> str:
    return f"{camera}|{rule}|{sku or ''}|{'' if shelf is None else shelf}"[:400]


def most_severe_first(findings: list[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: (-f.weight, f.camera_id, f.shelf or 0, f.rule_id,
                                           f.violation_id))


def _finding(row: Any) -> Finding:
    evidence = row.evidence if isinstance(row.evidence, dict) else {}
    sku = evidence.get("sku") or evidence.get("brand")
    shelf = evidence.get("shelf")
    return Finding(row.id, row.inspection_id, row.store_id, row.camera_id, row.captured_at,
                   row.rule_id, row.severity, row.message or "",
                   str(sku) if sku else None, shelf if isinstance(shelf, int) else None,
                   evidence.get("wording"))


_COLUMNS = (Violation.id, Violation.inspection_id, Violation.store_id, Violation.camera_id,
            Violation.captured_at, Violation.rule_id, Violation.severity, Violation.message,
            Violation.evidence)


def _camera_photos():
    """Inspections of camera photos (not Upload-page saves)."""
    return (select(Inspection.id).join(Photo, Photo.id == Inspection.photo_id)
            .where(Photo.captured_from != UPLOAD))


def run_findings(session: Session, store_id: str, job_run_id: int,
                 severities: tuple[str, ...]) -> list[Finding]:
    """The violations of ``severities`` found by one inspection run of ``store_id``."""
    run = session.get(JobRun, job_run_id)
    if run is None or not severities:
        return []
    end = run.finished_at or utcnow()
    inspections = _camera_photos().where(Inspection.store_id == store_id,
                                         Inspection.created_at >= run.started_at,
                                         Inspection.created_at <= end)
    rows = session.execute(select(*_COLUMNS).where(
        Violation.inspection_id.in_(inspections), Violation.severity.in_(severities))
        .order_by(Violation.id)).all()
    return [_finding(r) for r in rows]


def previous_keys(session: Session, finding: Finding) -> set[str]:
    """The problem keys of the camera's photo just before ``finding``'s."""
    before = session.scalar(
        _camera_photos().where(Inspection.store_id == finding.store_id,
                               Inspection.camera_id == finding.camera_id,
                               Inspection.captured_at < finding.captured_at)
        .order_by(Inspection.captured_at.desc()).limit(1))
    if before is None:
        return set()
    rows = session.execute(select(*_COLUMNS).where(Violation.inspection_id == before)).all()
    return {_finding(r).key for r in rows}


def new_findings(session: Session, findings: list[Finding]) -> list[Finding]:
    """The findings whose problem the camera's previous photo did not show."""
    cache: dict[int, set[str]] = {}
    out = []
    for f in findings:
        if f.inspection_id not in cache:
            cache[f.inspection_id] = previous_keys(session, f)
        if f.key not in cache[f.inspection_id]:
            out.append(f)
    return out


def store_state(session: Session, store_id: str) -> StoreState:
    """Each camera's latest photo of ``store_id`` with its violations."""
    latest = (select(Inspection.camera_id, func.max(Inspection.captured_at).label("last_at"))
              .where(Inspection.store_id == store_id, Inspection.id.in_(_camera_photos()))
              .group_by(Inspection.camera_id).subquery())
    inspections = session.execute(
        select(Inspection.id, Inspection.camera_id, Inspection.captured_at,
               Inspection.compliance, Inspection.osa)
        .join(latest, and_(Inspection.camera_id == latest.c.camera_id,
                           Inspection.captured_at == latest.c.last_at))
        .where(Inspection.store_id == store_id).order_by(Inspection.camera_id)).all()
    ids = [i.id for i in inspections]
    rows = session.execute(select(*_COLUMNS).where(Violation.inspection_id.in_(ids))).all() \
        if ids else []
    findings = [_finding(r) for r in rows]
    cameras = tuple(CameraState(i.camera_id, i.captured_at, i.compliance, i.osa,
                                tuple(f for f in findings if f.inspection_id == i.id))
                    for i in inspections)
    return StoreState(store_id, cameras, tuple(most_severe_first(findings)))
