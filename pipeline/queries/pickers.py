"""Choices for the dashboard's pickers: stores, cameras, weeks with data, rules."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, exists, select

from pipeline.access.scope import Scope
from pipeline.db.read import engine_for, rows, scalar
from pipeline.db.tables import Camera, Inspection, Photo, Report, Store, Violation, utcnow
from pipeline.weeks import iso_week, local_day

UPLOADED = "upload"  # photos.captured_from of a saved upload (Upload page, API inspect=now)

SEVERITIES: tuple[str, ...] = ("high", "medium", "low")


def stores(scope: Scope, engine: Engine | None = None) -> list[tuple[str, str]]:
    """``(id, name)`` of the stores in scope, by id."""
    stmt = select(Store.id, Store.name).where(scope.where(Store.id)).order_by(Store.id)
    return [(r.id, r.name or r.id) for r in rows(engine_for(engine), stmt)]


def store_zones(scope: Scope, engine: Engine | None = None) -> dict[str, str]:
    """Store id -> its time zone (IANA name, ``UTC`` when unset), for the stores in scope."""
    stmt = select(Store.id, Store.timezone).where(scope.where(Store.id)).order_by(Store.id)
    return {r.id: r.timezone or "UTC" for r in rows(engine_for(engine), stmt)}


def camera_names(scope: Scope, engine: Engine | None = None) -> dict[tuple[str, str], str]:
    """(store id, camera id) -> the camera's name from ``stores.yaml`` (the id when unnamed)."""
    stmt = select(Camera.store_id, Camera.id, Camera.name).where(scope.where(Camera.store_id))
    return {(r.store_id, r.id): r.name or r.id for r in rows(engine_for(engine), stmt)}


def cameras(scope: Scope, store: str | None = None, engine: Engine | None = None
            ) -> list[tuple[str, str]]:
    """``(store_id, camera_id)`` of the cameras in scope (of one store when given)."""
    stmt = select(Camera.store_id, Camera.id).where(scope.where(Camera.store_id))
    if store:
        stmt = stmt.where(Camera.store_id == store)
    stmt = stmt.order_by(Camera.store_id, Camera.id)
    return [(r.store_id, r.id) for r in rows(engine_for(engine), stmt)]


def weeks(scope: Scope, engine: Engine | None = None) -> list[str]:
    """ISO weeks that have inspections or reports in scope, newest first."""
    eng = engine_for(engine)
    found = {r[0] for r in rows(eng, select(Report.iso_week).distinct()
                                .where(scope.where(Report.store_id)))}
    # Recent weeks may have inspections before their report exists: look at the newest ones.
    recent = (select(Inspection.iso_week).where(scope.where(Inspection.store_id))
              .order_by(Inspection.captured_at.desc()).limit(1))
    found |= {r[0] for r in rows(eng, recent)}
    if len(found) <= 1:
        found |= {r[0] for r in rows(eng, select(Inspection.iso_week).distinct()
                                     .where(scope.where(Inspection.store_id)))}
    return sorted(found, reverse=True)


def default_week(scope: Scope, now: datetime | None = None, engine: Engine | None = None
                 ) -> str | None:
    """The week pages open on: the latest **complete** ISO week (over on the clock of every
    store in scope) that has **scheduled** inspections. Saved uploads never move it — an
    upload is counted in its week, but a week of uploads alone is nobody's default. Before
    any week is complete: the newest week with scheduled inspections; with uploads only: the
    newest week there is (``None`` without inspections).

    Args:
        now: naive UTC (default: now).
    """
    eng = engine_for(engine)
    found = weeks(scope, eng)
    if not found:
        return None
    moment = now or utcnow()
    current = min(iso_week(local_day(moment, tz)) for tz in
                  (store_zones(scope, eng).values() or ["UTC"]))
    fallback = None
    for week in found:  # newest first; usually the first or second one answers
        if not _scheduled_in(eng, scope, week):
            continue
        if week < current:
            return week
        fallback = fallback or week
    return fallback or found[0]


def _scheduled_in(engine: Engine, scope: Scope, week: str) -> bool:
    """Whether ``week`` has an inspection in scope that is not a saved upload."""
    return bool(scalar(engine, select(exists().where(
        Inspection.iso_week == week, scope.where(Inspection.store_id),
        Photo.id == Inspection.photo_id, Photo.captured_from != UPLOADED))))


def rule_ids(scope: Scope, engine: Engine | None = None) -> list[str]:
    """Rule ids that ever produced a violation in scope."""
    stmt = (select(Violation.rule_id).distinct().where(scope.where(Violation.store_id))
            .order_by(Violation.rule_id))
    return [r[0] for r in rows(engine_for(engine), stmt)]
