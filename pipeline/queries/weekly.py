"""The Weekly report page: one store and week, aggregated in SQL."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

import pandas as pd
from sqlalchemy import Engine, func, select

from pipeline.queries.db import engine_for, frame, rows
from pipeline.queries.overview import WeekKpis, week_kpis
from pipeline.queries.scope import Scope
from pipeline.store.calendar import previous_week
from pipeline.store.tables import Inspection, Report, Violation

WORST_PHOTOS = 4


@dataclass
class WeeklyReport:
    """What a store's weekly report shows (the page draws it; the store exports it)."""

    store: str
    week: str
    kpis: WeekKpis
    previous: WeekKpis
    daily: pd.DataFrame  # day, compliance, osa, inspections
    by_rule: pd.DataFrame  # rule, type, severity, violations
    recurring: pd.DataFrame  # rule, camera, days, violations, example
    share_of_shelf: pd.DataFrame  # brand, share
    cameras: pd.DataFrame  # camera, compliance, osa, violations
    worst: pd.DataFrame  # id, camera, captured_at, compliance, violations
    generated_at: datetime | None = None
    files: dict[str, str] = field(default_factory=dict)


def _daily(engine: Engine, scope: Scope, week: str) -> pd.DataFrame:
    stmt = (select(Inspection.captured_on.label("day"),
                   func.avg(Inspection.compliance).label("compliance"),
                   func.avg(Inspection.osa).label("osa"),
                   func.count(Inspection.id).label("inspections"))
            .where(scope.where(Inspection.store_id), Inspection.iso_week == week)
            .group_by(Inspection.captured_on).order_by(Inspection.captured_on))
    return frame(engine, stmt).round(1)


def _by_rule(engine: Engine, scope: Scope, week: str) -> pd.DataFrame:
    stmt = (select(Violation.rule_id.label("rule"), Violation.rule_type.label("type"),
                   Violation.severity, func.count(Violation.id).label("violations"))
            .where(scope.where(Violation.store_id), Violation.iso_week == week)
            .group_by(Violation.rule_id, Violation.rule_type, Violation.severity)
            .order_by(func.count(Violation.id).desc()))
    return frame(engine, stmt)


def _recurring(engine: Engine, scope: Scope, week: str, limit: int = 10) -> pd.DataFrame:
    stmt = (select(Violation.rule_id.label("rule"), Violation.camera_id.label("camera"),
                   func.count(func.distinct(Violation.captured_on)).label("days"),
                   func.count(Violation.id).label("violations"),
                   func.max(Violation.message).label("example"))
            .where(scope.where(Violation.store_id), Violation.iso_week == week)
            .group_by(Violation.rule_id, Violation.camera_id)
            .order_by(func.count(func.distinct(Violation.captured_on)).desc(),
                      func.count(Violation.id).desc())
            .limit(limit))
    return frame(engine, stmt)


def _share_of_shelf(engine: Engine, scope: Scope, week: str) -> pd.DataFrame:
    """Average share of shelf per brand over the week's photos (a photo without the brand = 0)."""
    stmt = (select(Inspection.share_of_shelf)
            .where(scope.where(Inspection.store_id), Inspection.iso_week == week))
    totals: dict[str, float] = defaultdict(float)
    photos = 0
    for (share,) in rows(engine, stmt):
        photos += 1
        for brand, value in (share or {}).items():
            totals[brand] += float(value or 0.0)
    data = sorted(((b, round(v / photos, 1)) for b, v in totals.items()), key=lambda x: -x[1])
    return pd.DataFrame(data, columns=["brand", "share"])


def _cameras(engine: Engine, scope: Scope, week: str) -> pd.DataFrame:
    stmt = (select(Inspection.camera_id.label("camera"),
                   func.avg(Inspection.compliance).label("compliance"),
                   func.avg(Inspection.osa).label("osa"),
                   func.sum(Inspection.violation_count).label("violations"),
                   func.count(Inspection.id).label("inspections"))
            .where(scope.where(Inspection.store_id), Inspection.iso_week == week)
            .group_by(Inspection.camera_id).order_by(Inspection.camera_id))
    return frame(engine, stmt).round(1)


def _worst(engine: Engine, scope: Scope, week: str, limit: int) -> pd.DataFrame:
    stmt = (select(Inspection.id, Inspection.camera_id.label("camera"), Inspection.captured_at,
                   Inspection.compliance, Inspection.violation_count.label("violations"))
            .where(scope.where(Inspection.store_id), Inspection.iso_week == week,
                   Inspection.compliance.is_not(None))
            .order_by(Inspection.compliance.asc(), Inspection.violation_count.desc(),
                      Inspection.id).limit(limit))
    return frame(engine, stmt)


def weekly_report(store: str, week: str, scope: Scope, engine: Engine | None = None
                  ) -> WeeklyReport:
    """One store's week. Raises :class:`~pipeline.queries.scope.ScopeError` outside scope."""
    eng = engine_for(engine)
    one = scope.narrow(store)
    saved = rows(eng, select(Report.created_at, Report.files)
                 .where(Report.store_id == store, Report.iso_week == week, one.where(Report.store_id)))
    return WeeklyReport(
        store=store, week=week, kpis=week_kpis(one, week, eng),
        previous=week_kpis(one, previous_week(week), eng),
        daily=_daily(eng, one, week), by_rule=_by_rule(eng, one, week),
        recurring=_recurring(eng, one, week), share_of_shelf=_share_of_shelf(eng, one, week),
        cameras=_cameras(eng, one, week), worst=_worst(eng, one, week, WORST_PHOTOS),
        generated_at=saved[0].created_at if saved else None,
        files=dict(saved[0].files or {}) if saved else {},
    )


def report_csv(report: WeeklyReport) -> bytes:
    """A plain CSV of the report's tables (used when the store's exporter is not available)."""
    parts = [
        pd.DataFrame([{"store": report.store, "week": report.week,
                       "inspections": report.kpis.inspections,
                       "compliance": report.kpis.compliance, "osa": report.kpis.osa,
                       "price_compliance": report.kpis.price_compliance,
                       "promo_compliance": report.kpis.promo_compliance,
                       "open_high": report.kpis.open_high}]),
        report.by_rule, report.cameras, report.share_of_shelf,
    ]
    return "\n".join(p.to_csv(index=False) for p in parts).encode("utf-8")
