"""The Overview page: one week across the user's stores, compared with the week before."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pandas as pd
from sqlalchemy import Engine, and_, case, func, select

from pipeline import kpis
from pipeline.access.scope import Scope
from pipeline.db.read import engine_for, frame, rows
from pipeline.db.tables import Inspection, Store, Violation
from pipeline.i18n import N_
from pipeline.weeks import previous_week, week_start

KPI_COLUMNS: tuple[str, ...] = kpis.NAMES  # names and labels: pipeline.kpis
KPI_LABELS: dict[str, str] = {**kpis.LABELS, "open_high": N_("High severity, open")}


@dataclass(frozen=True)
class WeekKpis:
    """Average KPIs (%) of a week's inspections and the open high-severity violations."""

    week: str
    inspections: int
    compliance: float | None
    osa: float | None
    price_compliance: float | None
    promo_compliance: float | None
    open_high: int

    def value(self, name: str) -> float | None:
        return getattr(self, name)


def _kpi_averages(scope: Scope, week: str):
    return (select(func.count(Inspection.id).label("inspections"),
                   *[func.avg(getattr(Inspection, c)).label(c) for c in KPI_COLUMNS])
            .where(scope.where(Inspection.store_id), Inspection.iso_week == week))


def latest_per_camera(scope: Scope, week: str):
    """Subquery: the id of each camera's last inspection of ``week``."""
    last = (select(Inspection.store_id, Inspection.camera_id,
                   func.max(Inspection.captured_at).label("last_at"))
            .where(scope.where(Inspection.store_id), Inspection.iso_week == week)
            .group_by(Inspection.store_id, Inspection.camera_id).subquery())
    return (select(Inspection.id)
            .join(last, and_(Inspection.store_id == last.c.store_id,
                             Inspection.camera_id == last.c.camera_id,
                             Inspection.captured_at == last.c.last_at))
            .where(Inspection.iso_week == week))


def _open_high(engine: Engine, scope: Scope, week: str) -> int:
    """High-severity violations still on the shelf: those of each camera's last photo."""
    latest = latest_per_camera(scope, week).subquery()
    # Counted with CASE, not WHERE severity = 'high': a filter on severity tempts the planner to
    # walk every high violation ever recorded instead of the few photos in hand.
    high = func.sum(case((Violation.severity == "high", 1), else_=0))
    stmt = (select(high).select_from(latest)
            .join(Violation, Violation.inspection_id == latest.c.id))
    return int(rows(engine, stmt)[0][0] or 0)


def week_kpis(scope: Scope, week: str, engine: Engine | None = None) -> WeekKpis:
    """The week's KPIs across the stores in scope."""
    eng = engine_for(engine)
    row = rows(eng, _kpi_averages(scope, week))[0]
    return WeekKpis(week=week, inspections=int(row.inspections or 0),
                    **{c: _round(getattr(row, c)) for c in KPI_COLUMNS},
                    open_high=_open_high(eng, scope, week))


def kpi_changes(scope: Scope, week: str, engine: Engine | None = None
                ) -> tuple[WeekKpis, WeekKpis]:
    """This week's KPIs and last week's (for the deltas)."""
    eng = engine_for(engine)
    return week_kpis(scope, week, eng), week_kpis(scope, previous_week(week), eng)


RANKING_COLUMNS = ["rank", "store", "name", "compliance", "change", "trend", "osa",
                   "price_compliance", "promo_compliance", "violations", "inspections"]
TREND_WEEKS = 8


def _store_weeks(scope: Scope, first: str, last: str):
    return (select(Inspection.store_id.label("store"), Inspection.iso_week.label("week"),
                   func.count(Inspection.id).label("inspections"),
                   *[func.avg(getattr(Inspection, c)).label(c) for c in KPI_COLUMNS],
                   func.sum(Inspection.violation_count).label("violations"))
            .where(scope.where(Inspection.store_id), Inspection.iso_week >= first,
                   Inspection.iso_week <= last)
            .group_by(Inspection.store_id, Inspection.iso_week))


def store_ranking(scope: Scope, week: str, engine: Engine | None = None) -> pd.DataFrame:
    """Stores by compliance score (best first): the change from last week (points) and the
    weekly compliance of the last :data:`TREND_WEEKS` weeks (``trend``, oldest first)."""
    eng = engine_for(engine)
    first = (week_start(week) - timedelta(weeks=TREND_WEEKS - 1)).isocalendar()
    df = frame(eng, _store_weeks(scope, f"{first[0]}-W{first[1]:02d}", week))
    now = df[df["week"] == week].copy() if not df.empty else df
    if now.empty:
        return pd.DataFrame(columns=RANKING_COLUMNS)
    before = df[df["week"] == previous_week(week)].set_index("store")["compliance"]
    now["change"] = now["compliance"] - now["store"].map(before)
    trend = df.sort_values("week").groupby("store")["compliance"].apply(
        lambda v: [round(float(x), 1) for x in v if x is not None])
    now["trend"] = now["store"].map(trend)
    names = dict(rows(eng, select(Store.id, Store.name).where(scope.where(Store.id))))
    now["name"] = now["store"].map(lambda s: names.get(s) or s)
    now = now.sort_values(["compliance", "store"], ascending=[False, True]).reset_index(drop=True)
    now.insert(0, "rank", range(1, len(now) + 1))
    for col in (*KPI_COLUMNS, "change"):
        now[col] = pd.to_numeric(now[col], errors="coerce").round(1)
    return now[RANKING_COLUMNS]


def worst_cameras(scope: Scope, week: str, limit: int = 10, engine: Engine | None = None
                  ) -> pd.DataFrame:
    """The cameras with the lowest average compliance this week, with their violation counts."""
    high = func.sum(case((Violation.severity == "high", 1), else_=0))
    viol = (select(Violation.store_id, Violation.camera_id,
                   func.count(Violation.id).label("violations"), high.label("high"))
            .where(scope.where(Violation.store_id), Violation.iso_week == week)
            .group_by(Violation.store_id, Violation.camera_id).subquery())
    cams = (select(Inspection.store_id.label("store"), Inspection.camera_id.label("camera"),
                   func.avg(Inspection.compliance).label("compliance"),
                   func.avg(Inspection.osa).label("osa"),
                   func.count(Inspection.id).label("inspections"))
            .where(scope.where(Inspection.store_id), Inspection.iso_week == week)
            .group_by(Inspection.store_id, Inspection.camera_id).subquery())
    stmt = (select(cams.c.store, cams.c.camera, cams.c.compliance, cams.c.osa,
                   func.coalesce(viol.c.violations, 0).label("violations"),
                   func.coalesce(viol.c.high, 0).label("high_severity"), cams.c.inspections)
            .outerjoin(viol, and_(viol.c.store_id == cams.c.store,
                                  viol.c.camera_id == cams.c.camera))
            .order_by(cams.c.compliance.asc(), func.coalesce(viol.c.violations, 0).desc())
            .limit(limit))
    df = frame(engine_for(engine), stmt)
    for col in ("compliance", "osa"):
        df[col] = pd.to_numeric(df[col], errors="coerce").round(1)
    return df


def _round(value: float | None) -> float | None:
    return None if value is None else round(float(value), 1)
