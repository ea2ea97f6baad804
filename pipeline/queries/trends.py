"""The Trends page: KPIs, rules and brands over weeks (aggregated in SQL, per store x week)."""

from __future__ import annotations

from collections import defaultdict

import pandas as pd
from sqlalchemy import Engine, func, select

from pipeline.access.scope import Scope
from pipeline.db.read import engine_for, frame, rows
from pipeline.db.tables import Inspection, Report, Violation
from pipeline.queries.overview import KPI_COLUMNS


def _weeks(column, first: str | None, last: str | None) -> list:
    cond = []
    if first:
        cond.append(column >= first)
    if last:
        cond.append(column <= last)
    return cond


def store_weeks(scope: Scope, first: str | None = None, last: str | None = None,
                engine: Engine | None = None) -> pd.DataFrame:
    """Average KPIs per store and week: ``store, week, compliance, osa, price_compliance,
    promo_compliance, violations, inspections``."""
    stmt = (select(Inspection.store_id.label("store"), Inspection.iso_week.label("week"),
                   *[func.avg(getattr(Inspection, c)).label(c) for c in KPI_COLUMNS],
                   func.sum(Inspection.violation_count).label("violations"),
                   func.count(Inspection.id).label("inspections"))
            .where(scope.where(Inspection.store_id),
                   *_weeks(Inspection.iso_week, first, last))
            .group_by(Inspection.store_id, Inspection.iso_week)
            .order_by(Inspection.iso_week, Inspection.store_id))
    df = frame(engine_for(engine), stmt)
    return df.round({c: 1 for c in KPI_COLUMNS})


def group_weeks(per_store: pd.DataFrame) -> pd.DataFrame:
    """All stores together per week, weighted by inspections (from :func:`store_weeks`)."""
    if per_store.empty:
        return pd.DataFrame(columns=["week", *KPI_COLUMNS, "violations", "inspections"])
    df = per_store.copy()
    for col in KPI_COLUMNS:
        df[col] = df[col] * df["inspections"]
    out = df.groupby("week", as_index=False)[[*KPI_COLUMNS, "violations", "inspections"]].sum()
    for col in KPI_COLUMNS:
        out[col] = (out[col] / out["inspections"]).round(1)
    return out


def rule_weeks(scope: Scope, first: str | None = None, last: str | None = None,
               engine: Engine | None = None) -> pd.DataFrame:
    """Violations per rule and week, with their type and severity: ``week, rule, type,
    severity, violations``."""
    stmt = (select(Violation.iso_week.label("week"), Violation.rule_id.label("rule"),
                   Violation.rule_type.label("type"), Violation.severity,
                   func.count(Violation.id).label("violations"))
            .where(scope.where(Violation.store_id), *_weeks(Violation.iso_week, first, last))
            .group_by(Violation.iso_week, Violation.rule_id, Violation.rule_type,
                      Violation.severity)
            .order_by(Violation.iso_week))
    return frame(engine_for(engine), stmt)


def type_weeks(rules: pd.DataFrame) -> pd.DataFrame:
    """Violations per rule type and week (from :func:`rule_weeks`)."""
    if rules.empty:
        return pd.DataFrame(columns=["week", "type", "violations"])
    return rules.groupby(["week", "type"], as_index=False)["violations"].sum()


def brand_weeks(scope: Scope, first: str | None = None, last: str | None = None,
                engine: Engine | None = None) -> pd.DataFrame:
    """Share of shelf per brand and week (% of recognised facings): ``week, brand, share``.

    Saved weekly reports carry it per store; weeks without a saved report are averaged from
    their inspections.
    """
    eng = engine_for(engine)
    totals: dict[tuple[str, str], float] = defaultdict(float)
    counts: dict[str, int] = defaultdict(int)
    covered: set[tuple[str, str]] = set()
    stmt = (select(Report.store_id, Report.iso_week, Report.inspections, Report.kpis)
            .where(scope.where(Report.store_id), *_weeks(Report.iso_week, first, last)))
    for store, week, n, kpis in rows(eng, stmt):
        share = (kpis or {}).get("share_of_shelf")
        if not isinstance(share, dict) or not n:
            continue
        covered.add((store, week))
        counts[week] += n
        for brand, value in share.items():
            totals[(week, brand)] += float(value or 0.0) * n
    _add_live(eng, scope, first, last, covered, totals, counts)
    data = [(w, b, round(v / counts[w], 1)) for (w, b), v in totals.items() if counts[w]]
    return pd.DataFrame(sorted(data), columns=["week", "brand", "share"])


def _add_live(eng: Engine, scope: Scope, first: str | None, last: str | None,
              covered: set[tuple[str, str]], totals: dict, counts: dict) -> None:
    stmt = (select(Inspection.store_id, Inspection.iso_week, Inspection.share_of_shelf)
            .where(scope.where(Inspection.store_id), *_weeks(Inspection.iso_week, first, last)))
    if covered:
        weeks = {w for _, w in covered}
        full = [w for w in weeks if all((s, w) in covered for s, _ in covered)]
        if full:
            stmt = stmt.where(Inspection.iso_week.not_in(full))
    for store, week, share in rows(eng, stmt):
        if (store, week) in covered:
            continue
        counts[week] += 1
        for brand, value in (share or {}).items():
            totals[(week, brand)] += float(value or 0.0)
