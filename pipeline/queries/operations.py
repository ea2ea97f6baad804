"""Scheduler health and run history (Overview and System pages)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pandas as pd
from sqlalchemy import Engine, func, inspect, or_, select, text

from pipeline.access.scope import Scope
from pipeline.db.read import engine_for, frame, rows
from pipeline.db.tables import JobRun, Store
from pipeline.weeks import utc_to_local

FAILED_STATUSES = ("error", "partial")
SCHEDULE_COLUMNS = ["store", "name", "schedule", "timezone", "next_run", "next_run_utc"]
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


def next_fire(schedule: str | None, timezone: str | None,
              now: datetime | None = None) -> datetime | None:
    """When a store's schedule text (a cron line in store time, or ``every 6h``) fires next
    after ``now``, as naive UTC (``None`` for no or a broken schedule). An ``every`` schedule
    counts from ``now`` here; the running scheduler's job store knows the real next time."""
    from pipeline.errors import ShelfAuditError
    from pipeline.schedule.scheduler import trigger_for

    if not isinstance(schedule, str) or not schedule.strip():  # None, or NaN from a frame
        return None
    if not isinstance(timezone, str) or not timezone:
        timezone = "UTC"
    now = (now or _now()).replace(tzinfo=UTC)
    try:
        fire = trigger_for(schedule, timezone).get_next_fire_time(None, now)
    except (ShelfAuditError, ValueError, TypeError, LookupError):
        return None
    return fire.astimezone(UTC).replace(tzinfo=None) if fire is not None else None


def _job_store(engine: Engine) -> dict[str, datetime]:
    """APScheduler's persisted jobs (``inspect:<store>``, ``report:<store>``) -> next run."""
    if not inspect(engine).has_table(APSCHEDULER_TABLE):
        return {}
    found = rows(engine, text(f"SELECT id, next_run_time FROM {APSCHEDULER_TABLE}"))
    return {str(job): datetime.fromtimestamp(float(at), UTC).replace(tzinfo=None)
            for job, at in found if at is not None}


def _store_schedules(engine: Engine, scope: Scope) -> pd.DataFrame:
    stmt = (select(Store.id.label("store"), Store.name, Store.schedule, Store.timezone)
            .where(scope.where(Store.id)).order_by(Store.id))
    return frame(engine, stmt)


def next_run(scope: Scope, engine: Engine | None = None) -> datetime | None:
    """The next scheduled run of a store in scope (naive UTC): the running scheduler's job
    store, else the stores' schedules — the same times the System page lists."""
    table = schedules(scope, engine)
    found = [t for t in table["next_run_utc"] if t is not None and not pd.isna(t)] \
        if not table.empty else []
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
    """Each store's inspection schedule (cron text in store time, or ``every 6h``), its time
    zone and its next run, on the store's clock (``next_run``, naive) and in UTC."""
    eng = engine_for(engine)
    df = _store_schedules(eng, scope)
    if df.empty:
        return pd.DataFrame(columns=SCHEDULE_COLUMNS)
    jobs = _job_store(eng)
    now = _now()

    def fire(row: pd.Series) -> datetime | None:
        return jobs.get(f"inspect:{row['store']}") or next_fire(row["schedule"],
                                                                row["timezone"], now)

    df["timezone"] = df["timezone"].fillna("UTC")
    df["next_run_utc"] = df.apply(fire, axis=1).astype(object)
    df["next_run"] = [None if t is None or pd.isna(t) else utc_to_local(t, tz)
                      for t, tz in zip(df["next_run_utc"], df["timezone"], strict=True)]
    return df[SCHEDULE_COLUMNS]
