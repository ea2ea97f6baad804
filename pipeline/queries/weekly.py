"""The Weekly report page's data: the store's weekly report, in the reader's scope.

The figures are :func:`pipeline.reports.build.build_report`'s — the same object the CSV, Excel
and PDF downloads and the Monday job write — so the page and a forwarded file cannot disagree.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, select

from pipeline.access.scope import Scope
from pipeline.db.read import engine_for, rows
from pipeline.db.tables import Report
from pipeline.reports.build import build_report
from pipeline.reports.model import WeeklyReport


def weekly_report(store: str, week: str, scope: Scope, engine: Engine | None = None
                  ) -> WeeklyReport:
    """One store's week. Raises :class:`~pipeline.access.scope.ScopeError` outside scope."""
    scope.narrow(store)
    return build_report(store, week, engine=engine_for(engine))


def saved_at(store: str, week: str, scope: Scope, engine: Engine | None = None
             ) -> datetime | None:
    """When the weekly report job last saved this store's week (``None``: not yet)."""
    one = scope.narrow(store)
    found = rows(engine_for(engine), select(Report.created_at).where(
        Report.store_id == store, Report.iso_week == week, one.where(Report.store_id)))
    return found[0].created_at if found else None
