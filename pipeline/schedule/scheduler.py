"""``shelfaudit scheduler``: APScheduler 3 with a persistent SQLAlchemy job store.

Jobs (kept in the ``apscheduler_jobs`` table of the same database, so they survive restarts):

- ``inspect:<store>`` — the store's inspection run, on the ``schedule`` from ``stores.yaml``
  (a cron line in store time, e.g. ``0 2 * * *`` = nightly 02:00, or ``every 6h``).
- ``report:<store>`` — the weekly report of the last complete ISO week, Monday 06:00 store time.
- ``digest:<store>`` — the morning digest (``alerts: digest:`` in ``stores.yaml``, store time);
  each scheduled inspection run is followed by its immediate alerts (:mod:`pipeline.alerts`).

Every job: ``coalesce`` (runs missed while the scheduler was down collapse into one),
``misfire_grace_time`` one hour (a run more than an hour late is skipped and recorded as such),
``max_instances=1``. ``stores.yaml`` is re-read every few minutes, so schedule edits apply
without a restart. SIGTERM or Ctrl-C stops cleanly: no new jobs start, a running inspection
finishes its current batch and commits, then the process exits 0.
"""

from __future__ import annotations

import logging
import re
import signal
import threading
from collections.abc import Sequence
from typing import Any

from pipeline.sites import StoreSpec
from pipeline.weeks import zone

log = logging.getLogger("shelfaudit.scheduler")

STOP = threading.Event()
ENGINE: Any = None  # the engine scheduled inspections use (None: local; see run_scheduler)
MISFIRE_GRACE_S = 3600
SYNC_EVERY_S = 300
REPORT_CRON = {"day_of_week": "mon", "hour": 6, "minute": 0}
JOB_DEFAULTS = {"coalesce": True, "max_instances": 1, "misfire_grace_time": MISFIRE_GRACE_S}
_EVERY = re.compile(r"^every\s+([0-9.]+)\s*(h|hours?|m|min|minutes?)$", re.IGNORECASE)


def trigger_for(schedule: str, timezone: str) -> Any:
    """An APScheduler trigger from a schedule text (cron line or ``every 6h`` / ``every 30m``).

    Raises:
        ShelfAuditError: the text is neither.
    """
    from apscheduler.triggers.cron import CronTrigger
    from apscheduler.triggers.interval import IntervalTrigger

    from pipeline.errors import ShelfAuditError
    from pipeline.i18n import _

    tz = zone(timezone)
    match = _EVERY.match(schedule.strip())
    if match:
        amount, unit = float(match.group(1)), match.group(2).lower()
        seconds = amount * (3600 if unit.startswith("h") else 60)
        return IntervalTrigger(seconds=max(int(seconds), 60), timezone=tz)
    try:
        return CronTrigger.from_crontab(schedule, timezone=tz)
    except ValueError as exc:
        raise ShelfAuditError(_("bad schedule {schedule}: {problem} (use a cron line such as "
                                "'0 2 * * *' or 'every 6h')").format(
            schedule=repr(schedule), problem=exc)) from None


# -- the jobs (module-level so the persistent job store can reference them by name) ----------
def scheduled_inspection(store_id: str) -> None:
    from pipeline.context import edge_context
    from pipeline.inbox.jobs import RunOptions, run_once

    try:
        context = edge_context()  # this run's settings, catalog and sites, read once
        sites = context.sites
    except Exception as exc:  # noqa: BLE001 - recorded; the next scheduled run tries again
        from pipeline.db import tables
        from pipeline.inbox.jobs import finish_job_run, start_job_run

        run_id = start_job_run("inspect", store_id, "scheduled")
        finish_job_run(run_id, tables.ERROR, message=f"cannot read stores.yaml: {exc}")
        return
    if store_id not in {s.id for s in sites.stores}:
        log.warning("store %s is no longer in stores.yaml; skipping", store_id)
        return
    options = RunOptions(trigger="scheduled", stop=STOP, engine=ENGINE, context=context)
    for result in run_once(sites.stores, [store_id], options):
        log.info("%s: %s %s", result.store, result.status, result.message)
        _alert(sites, result)


def _alert(sites: Any, result: Any) -> None:
    """The run's immediate alerts; a failure is logged, never raised into the run."""
    store = sites.store(result.store)
    if store is None or store.alerts is None or result.job_run_id is None:
        return
    try:
        from pipeline.alerts.dispatch import after_run

        for sent in after_run(store, sites.smtp, result.job_run_id):
            log.info("%s: alert to %s: %s", store.id, sent.channel, sent.status)
    except Exception:  # noqa: BLE001 - alerts must not fail the inspection run
        log.exception("%s: immediate alerts failed", result.store)


def scheduled_digest(store_id: str) -> None:
    from pipeline.alerts.dispatch import send_digest
    from pipeline.context import edge_context
    from pipeline.db import tables
    from pipeline.inbox.jobs import finish_job_run, start_job_run

    run_id = start_job_run("digest", store_id, "scheduled")
    try:
        sites = edge_context().sites  # this job's sites, read once
        store = sites.store(store_id)
        sent = send_digest(store, sites.smtp) if store is not None else []
    except Exception as exc:  # noqa: BLE001 - recorded; tomorrow's digest tries again
        finish_job_run(run_id, tables.ERROR, message=f"{type(exc).__name__}: {exc}")
        return
    failed = [s for s in sent if s.status == "failed"]
    message = "; ".join(f"{s.channel}: {s.status}" + (f" ({s.error})" if s.error else "")
                        for s in sent) or "no channel takes the digest"
    finish_job_run(run_id, tables.PARTIAL if failed else tables.OK, message=message,
                   counts={"sent": sum(s.status == "sent" for s in sent),
                           "failed": len(failed)})


def scheduled_report(store_id: str) -> None:
    from pipeline.reports.build import last_week_of
    from pipeline.schedule.weekly_job import weekly_report_job

    # the week just ended on the store's clock: Monday 06:00 in Shanghai is still Sunday in UTC
    weekly_report_job(store_id, last_week_of(store_id), trigger="scheduled")


# -- wiring ---------------------------------------------------------------------------------
def build_scheduler(url: str | None = None, blocking: bool = False) -> Any:
    from apscheduler.executors.pool import ThreadPoolExecutor
    from apscheduler.jobstores.memory import MemoryJobStore
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
    from apscheduler.schedulers.background import BackgroundScheduler
    from apscheduler.schedulers.blocking import BlockingScheduler

    from pipeline.db import get_engine

    cls = BlockingScheduler if blocking else BackgroundScheduler
    return cls(
        jobstores={"default": SQLAlchemyJobStore(engine=get_engine(url)),
                   "memory": MemoryJobStore()},
        # one worker: inspections share one set of models and one accelerator
        executors={"default": ThreadPoolExecutor(1)},
        job_defaults=dict(JOB_DEFAULTS),
        timezone="UTC",
    )


def configure(scheduler: Any, stores: Sequence[StoreSpec]) -> list[str]:
    """Add/replace each store's jobs and remove jobs of stores that are gone; returns job ids."""
    from apscheduler.triggers.cron import CronTrigger

    wanted: list[str] = []
    for store in stores:
        if store.schedule:
            job_id = f"inspect:{store.id}"
            scheduler.add_job(scheduled_inspection, trigger_for(store.schedule_text, store.timezone),
                              args=[store.id], id=job_id, name=f"inspect {store.id}",
                              replace_existing=True, **JOB_DEFAULTS)
            wanted.append(job_id)
        job_id = f"report:{store.id}"
        scheduler.add_job(scheduled_report, CronTrigger(timezone=zone(store.timezone),
                                                        **REPORT_CRON),
                          args=[store.id], id=job_id, name=f"weekly report {store.id}",
                          replace_existing=True, **JOB_DEFAULTS)
        wanted.append(job_id)
        digest = store.alerts.digest_time if store.alerts is not None else None
        if digest is not None:
            job_id = f"digest:{store.id}"
            scheduler.add_job(scheduled_digest, CronTrigger(
                hour=digest.hour, minute=digest.minute, timezone=zone(store.timezone)),
                args=[store.id], id=job_id, name=f"morning digest {store.id}",
                replace_existing=True, **JOB_DEFAULTS)
            wanted.append(job_id)
    for job in scheduler.get_jobs(jobstore="default"):
        if job.id not in wanted:
            job.remove()
    return wanted


def _resync(scheduler: Any) -> None:
    from pipeline.context import edge_context

    try:
        configure(scheduler, edge_context().sites.stores)  # the re-read is this job's edge
    except Exception as exc:  # noqa: BLE001 - keep the last good schedule
        log.error("could not re-read stores.yaml (%s); keeping the current schedule", exc)


def _on_missed(event: Any) -> None:
    from pipeline.inbox.jobs import record_skip

    job_id = str(event.job_id)
    kind, _, store = job_id.partition(":")
    if kind in ("inspect", "report", "digest"):
        record_skip(kind, store or None, "scheduled",
                    f"skipped: the {event.scheduled_run_time:%Y-%m-%d %H:%M %Z} run was missed "
                    f"by more than {MISFIRE_GRACE_S // 60} minutes (scheduler down or busy)")


def _on_max_instances(event: Any) -> None:
    from pipeline.inbox.jobs import record_skip

    kind, _, store = str(event.job_id).partition(":")
    record_skip(kind, store or None, "scheduled",
                "skipped: the previous run of this job is still going")


def run_scheduler(url: str | None = None, stop: threading.Event | None = None,
                  engine: Any = None) -> list[str]:
    """Run until SIGTERM/SIGINT (or ``stop``); returns the job ids that were scheduled.

    ``engine``: who inspects (an :class:`~pipeline.inbox.engines.InspectionEngine`, e.g. the
    Ray engine; ``None`` = this process).
    """
    global ENGINE
    from apscheduler.events import EVENT_JOB_MAX_INSTANCES, EVENT_JOB_MISSED

    from pipeline import db
    from pipeline.context import edge_context

    STOP.clear()
    ENGINE = engine
    stop = stop or STOP
    db.upgrade(url)
    sites = edge_context(url=url).sites
    scheduler = build_scheduler(url)
    scheduler.add_listener(_on_missed, EVENT_JOB_MISSED)
    scheduler.add_listener(_on_max_instances, EVENT_JOB_MAX_INSTANCES)
    scheduler.start(paused=True)
    job_ids = configure(scheduler, sites.stores)
    scheduler.add_job(_resync, "interval", seconds=SYNC_EVERY_S, args=[scheduler],
                      id="sites:sync", jobstore="memory", replace_existing=True)
    scheduler.resume()
    previous = {}
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGINT):
            previous[sig] = signal.signal(sig, lambda *_: stop.set())
    try:
        _announce(scheduler, sites.problems)
        stop.wait()
    finally:
        STOP.set()  # running inspections stop after their current batch
        scheduler.shutdown(wait=True)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return job_ids


def _announce(scheduler: Any, problems: Sequence[str]) -> None:
    for problem in problems:
        print(f"warning: {problem}", flush=True)
    for job in sorted(scheduler.get_jobs(jobstore="default"), key=lambda j: j.id):
        print(f"scheduled {job.id:<24} next {job.next_run_time:%Y-%m-%d %H:%M %Z}", flush=True)
    print("scheduler running; Ctrl-C or SIGTERM stops it", flush=True)
