"""Scheduler health and run history (Overview and System pages)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pandas as pd
from sqlalchemy import Engine, func, inspect, or_, select, text

from pipeline.queries.db import engine_for, frame, rows
from pipeline.queries.scope import Scope
from pipeline.store.tables import JobRun, Store

FAILED_STATUSES = ("error", "partial")
APSCHEDULER_TABLE = "apscheduler_jobs"


@dataclass(frozen=True)
class SchedulerHealth:
    """When jobs last ran and will next run, and how many failed lately."""

    last_job: str | None
    last_status: str | None
    last_started: datetime | None
    last_finished: datetime | None
    next_run: datetime | None
    running: int
    failures_7d: int
    runs_7d: int

    @property
    def healthy(self) -> bool:
        return self.failures_7d == 0 and self.last_status not in FAILED_STATUSES


def _visible(scope: Scope):
    """Job runs of stores in scope, and store-less (whole-system) runs."""
    return or_(JobRun.store_id.is_(None), scope.where(JobRun.store_id))


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def next_run(scope: Scope, engine: Engine | None = None) -> datetime | None:
    """The next scheduled run: APScheduler's job store, else the stores' cron schedules."""
    eng = engine_for(engine)
    if inspect(eng).has_table(APSCHEDULER_TABLE):
        value = rows(eng, text(f"SELECT MIN(next_run_time) FROM {APSCHEDULER_TABLE}"))[0][0]
        if value is not None:
            return datetime.fromtimestamp(float(value), UTC).replace(tzinfo=None)
    return _next_from_cron(eng, scope)


def _next_from_cron(engine: Engine, scope: Scope) -> datetime | None:
    from apscheduler.triggers.cron import CronTrigger

    found = []
    now = datetime.now(UTC)
    stmt = select(Store.schedule).where(scope.where(Store.id), Store.schedule.is_not(None))
    for (schedule,) in rows(engine, stmt):
        try:
            fire = CronTrigger.from_crontab(schedule, timezone=UTC).get_next_fire_time(None, now)
        except (ValueError, TypeError):
            continue
        if fire is not None:
            found.append(fire.replace(tzinfo=None))
    return min(found) if found else None


def scheduler_health(scope: Scope, engine: Engine | None = None) -> SchedulerHealth:
    """Last run, next run and failures in the last 7 days."""
    eng = engine_for(engine)
    last = rows(eng, select(JobRun.job, JobRun.status, JobRun.started_at, JobRun.finished_at)
                .where(_visible(scope)).order_by(JobRun.started_at.desc()).limit(1))
    since = _now() - timedelta(days=7)
    counts = rows(eng, select(JobRun.status, func.count(JobRun.id))
                  .where(_visible(scope), JobRun.started_at >= since).group_by(JobRun.status))
    by_status = {status: n for status, n in counts}
    running = rows(eng, select(func.count(JobRun.id))
                   .where(_visible(scope), JobRun.status == "running"))[0][0]
    row = last[0] if last else None
    return SchedulerHealth(
        last_job=row.job if row else None, last_status=row.status if row else None,
        last_started=row.started_at if row else None,
        last_finished=row.finished_at if row else None,
        next_run=next_run(scope, eng), running=int(running or 0),
        failures_7d=sum(by_status.get(s, 0) for s in FAILED_STATUSES),
        runs_7d=sum(by_status.values()),
    )


def job_runs(scope: Scope, limit: int = 200, engine: Engine | None = None) -> pd.DataFrame:
    """The latest job runs, newest first."""
    stmt = (select(JobRun.id, JobRun.job, JobRun.store_id.label("store"), JobRun.trigger,
                   JobRun.status, JobRun.started_at, JobRun.duration_s, JobRun.counts,
                   JobRun.message, JobRun.error)
            .where(_visible(scope)).order_by(JobRun.started_at.desc()).limit(limit))
    df = frame(engine_for(engine), stmt)
    if not df.empty:
        df["counts"] = df["counts"].map(
            lambda c: ", ".join(f"{k} {v}" for k, v in (c or {}).items()))
    return df


def schedules(scope: Scope, engine: Engine | None = None) -> pd.DataFrame:
    """Each store's inspection schedule (cron text) and its next fire time."""
    from apscheduler.triggers.cron import CronTrigger

    stmt = (select(Store.id.label("store"), Store.name, Store.schedule, Store.timezone)
            .where(scope.where(Store.id)).order_by(Store.id))
    df = frame(engine_for(engine), stmt)
    now = datetime.now(UTC)

    def fire(row: pd.Series) -> datetime | None:
        try:
            when = CronTrigger.from_crontab(row["schedule"], timezone=row["timezone"] or "UTC")
            found = when.get_next_fire_time(None, now)
            return found.astimezone(UTC).replace(tzinfo=None) if found else None
        except (ValueError, TypeError, LookupError):
            return None

    df["next_run_utc"] = df.apply(fire, axis=1) if not df.empty else pd.Series(dtype=object)
    return df
