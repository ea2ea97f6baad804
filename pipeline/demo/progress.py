"""How far the demo history has got, for the Overview page while ``make run`` builds it.

:class:`DemoTracker` keeps a ``job_runs`` row (``job="demo"``) current while
:func:`pipeline.demo.build.build_demo` runs: the step (render, inspect, reports), how many of
its items are done, at most once a second, then ``ok`` or ``error``. :func:`latest` reads it
back as a :class:`DemoStatus`; a ``running`` row whose process is gone (killed, machine
restarted) reads as interrupted, not as running forever.
"""

from __future__ import annotations

import os
import socket
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, select

from pipeline.db import tables

STEPS: tuple[str, ...] = ("prepare", "render", "inspect", "reports")
WRITE_EVERY_S = 1.0
STALE_AFTER = timedelta(minutes=10)  # no word from a run on another host for this long


@dataclass(frozen=True)
class DemoStatus:
    """The newest demo build: where it is and whether it still runs."""

    status: str  # running | ok | error | interrupted
    step: str
    done: int
    total: int
    started_at: datetime
    message: str = ""

    @property
    def running(self) -> bool:
        return self.status == tables.RUNNING

    @property
    def step_number(self) -> int:
        return STEPS.index(self.step) + 1 if self.step in STEPS else 1

    @property
    def fraction(self) -> float:
        """Of the whole build: the finished steps and the share of this one."""
        within = self.done / self.total if self.total else 0.0
        return min(1.0, (self.step_number - 1 + within) / len(STEPS))


def begin(trigger: str = "serve", url: str | None = None) -> int:
    """A new demo build's ``job_runs`` row (``serve`` makes it before starting the build, so
    that Overview shows the build from the first second); its id."""
    from pipeline.inbox.jobs import start_job_run

    run_id = start_job_run("demo", None, trigger, url)
    DemoTracker(run_id=run_id, url=url)._write(force=True)
    return run_id


def fail_if_running(run_id: int, message: str, url: str | None = None) -> None:
    """Mark a build whose process ended without saying so (it could not even start)."""
    from pipeline.db import session_scope
    from pipeline.inbox.jobs import finish_job_run

    with session_scope(url) as session:
        row = session.get(tables.JobRun, run_id)
        running = row is not None and row.status == tables.RUNNING
    if running:
        finish_job_run(run_id, tables.ERROR, message=message, url=url)


class DemoTracker:
    """Writes a demo build's progress into its ``job_runs`` row (a new one, or ``run_id``
    made by :func:`begin`, taken over by this process)."""

    def __init__(self, trigger: str = "manual", url: str | None = None,
                 run_id: int | None = None) -> None:
        from pipeline.inbox.jobs import start_job_run

        self.url = url
        self.run_id = run_id if run_id is not None else start_job_run("demo", None, trigger,
                                                                       url)
        self.step, self.done, self.total = STEPS[0], 0, 0
        self._written = 0.0
        if run_id is not None:
            self._adopt()

    def _adopt(self) -> None:
        from pipeline.db import session_scope

        with session_scope(self.url) as session:
            row = session.get(tables.JobRun, self.run_id)
            if row is not None:
                row.status, row.pid, row.host = tables.RUNNING, os.getpid(), socket.gethostname()
                row.finished_at = None

    def start(self, step: str, total: int) -> None:
        self.step, self.done, self.total = step, 0, total
        self._write(force=True)

    def advance(self, n: int = 1) -> None:
        self.done += n
        self._write()

    def _write(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._written < WRITE_EVERY_S and self.done < self.total:
            return
        from pipeline.db import session_scope

        self._written = now
        with session_scope(self.url) as session:
            row = session.get(tables.JobRun, self.run_id)
            if row is not None:
                row.counts = {"step": self.step, "done": self.done, "total": self.total,
                              "updated_at": tables.utcnow().isoformat()}

    def finish(self, status: str, message: str = "", counts: dict | None = None) -> None:
        from pipeline.inbox.jobs import finish_job_run

        finish_job_run(self.run_id, status, message=message, url=self.url,
                       counts={"step": self.step, "done": self.done, "total": self.total,
                               **(counts or {})})


def _alive(row: tables.JobRun, now: datetime) -> bool:
    """Whether the process of a ``running`` row still works on it."""
    if row.host == socket.gethostname() and row.pid:
        try:
            os.kill(row.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    updated = (row.counts or {}).get("updated_at")
    try:
        seen = datetime.fromisoformat(updated) if updated else row.started_at
    except ValueError:
        seen = row.started_at
    return now - seen < STALE_AFTER


def latest(engine: Engine | None = None) -> DemoStatus | None:
    """The newest demo build, or ``None`` when none was ever started."""
    from sqlalchemy.orm import Session

    from pipeline.db import get_engine

    with Session(engine or get_engine()) as session:
        row = session.scalars(select(tables.JobRun).where(tables.JobRun.job == "demo")
                              .order_by(tables.JobRun.id.desc()).limit(1)).first()
        if row is None:
            return None
        counts = row.counts or {}
        status = row.status
        if status == tables.RUNNING and not _alive(row, tables.utcnow()):
            status = "interrupted"
        return DemoStatus(status, str(counts.get("step", STEPS[0])), int(counts.get("done", 0)),
                          int(counts.get("total", 0)), row.started_at, row.message or "")
