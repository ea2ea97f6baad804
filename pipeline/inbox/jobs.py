"""The jobs the scheduler and ``run-once`` start: inspect a store's inbox, build weekly reports.

Every job writes a ``job_runs`` row (status, counts, duration, message, error). A store is
inspected by at most one run at a time: a second run finds the store's lease taken, records a
``skipped`` row saying who holds it, and moves on to the next store.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from pipeline.context import EdgeContext, edge_context
from pipeline.db import session_scope, tables
from pipeline.db.locks import Lease, store_lease_name
from pipeline.inbox import ingest
from pipeline.inbox.engines import InspectionEngine
from pipeline.inbox.inspectors import PhotoInspector, shared_inspector
from pipeline.inbox.runner import DEFAULT_BATCH, DEFAULT_MAX_ATTEMPTS, StoreRunner
from pipeline.settings import Settings
from pipeline.sites import StoreSpec, sync_sites

RulesLoader = Callable[[StoreSpec], Any]


@dataclass
class StoreRunResult:
    """What one store's run did (also in its ``job_runs`` row)."""

    store: str
    status: str
    counts: dict[str, int] = field(default_factory=dict)
    message: str = ""
    job_run_id: int | None = None
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"store": self.store, "status": self.status, "counts": self.counts,
                "message": self.message, "job_run": self.job_run_id, "notes": self.notes}


@dataclass
class RunOptions:
    inspector: PhotoInspector | None = None  # default: shared_inspector() on first photo
    rules_loader: RulesLoader | None = None  # default: rulebook.in_force.load_store_rules
    trigger: str = "manual"
    batch_size: int = DEFAULT_BATCH
    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    url: str | None = None
    stop: threading.Event | None = None
    progress: Callable[[int], None] | None = None
    lease_ttl_s: float = 60.0
    engine: InspectionEngine | None = None  # default: local, with ``inspector``
    context: EdgeContext | None = None  # the edge's settings and catalog (default: run_once's)


def start_job_run(job: str, store: str | None, trigger: str, url: str | None = None) -> int:
    with session_scope(url) as session:
        row = tables.JobRun(job=job, store_id=store, trigger=trigger, status=tables.RUNNING,
                            pid=os.getpid(), host=socket.gethostname(), counts={})
        session.add(row)
        session.flush()
        return row.id


def finish_job_run(run_id: int, status: str, *, counts: dict[str, Any] | None = None,
                   message: str = "", error: str | None = None, url: str | None = None) -> None:
    with session_scope(url) as session:
        row = session.get(tables.JobRun, run_id)
        if row is None:
            return
        row.status, row.message, row.error = status, message[:8000], error
        row.counts = dict(counts or {})
        row.finished_at = tables.utcnow()
        row.duration_s = round((row.finished_at - row.started_at).total_seconds(), 3)


def record_skip(job: str, store: str | None, trigger: str, reason: str,
                url: str | None = None) -> int:
    run_id = start_job_run(job, store, trigger, url)
    finish_job_run(run_id, tables.SKIPPED, message=reason, url=url)
    return run_id


def _default_rules_loader(context: EdgeContext, url: str | None) -> RulesLoader:
    """Each store's rules in force, from the context's rules folder and catalog, their
    versions recorded in the run's database ``url``."""
    from pipeline.rulebook.in_force import load_store_rules

    return lambda store: load_store_rules(store, context.settings.rules_dir, url,
                                          catalog=context.catalog)


class _LazyInspector:
    """Loads the real inspector only when a batch needs it (an empty inbox loads no models)."""

    def __init__(self, given: PhotoInspector | None) -> None:
        self._given = given

    @property
    def _it(self) -> PhotoInspector:
        if self._given is None:
            self._given = shared_inspector()
        return self._given

    @property
    def name(self) -> str:
        return self._it.name

    def inspect(self, photos, metas):  # noqa: ANN001, ANN201 - PhotoInspector protocol
        return self._it.inspect(photos, metas)

    def versions(self) -> dict[str, str]:
        return self._it.versions()


def inspect_store(store: StoreSpec, options: RunOptions) -> StoreRunResult:
    """One store's inspection run under its lease, with its job-run row."""
    lease = Lease(store_lease_name(store.id), purpose=f"{options.trigger} inspection run",
                  ttl_s=options.lease_ttl_s, url=options.url)
    holder = lease.try_acquire()
    if holder is not None:
        reason = f"skipped: another run is inspecting store {store.id}: {holder.describe()}"
        run_id = record_skip("inspect", store.id, options.trigger, reason, options.url)
        return StoreRunResult(store.id, tables.SKIPPED, message=reason, job_run_id=run_id)
    run_id = start_job_run("inspect", store.id, options.trigger, options.url)
    try:
        return _inspect_held(store, options, run_id)
    except Exception as exc:  # noqa: BLE001 - recorded in the job-run row; other stores go on
        message = f"{type(exc).__name__}: {exc}"
        finish_job_run(run_id, tables.ERROR, message=message, error=traceback.format_exc(),
                       url=options.url)
        return StoreRunResult(store.id, tables.ERROR, message=message, job_run_id=run_id)
    finally:
        lease.release()


def _inspect_held(store: StoreSpec, options: RunOptions, run_id: int) -> StoreRunResult:
    context = options.context or edge_context(url=options.url)  # run_once gives one
    settings = context.settings
    scan = ingest.scan_inbox(settings.subdir("inbox"), {store.id: set(store.cameras)},
                             only_stores={store.id})
    notes = list(scan.unknown)
    rules = (options.rules_loader or _default_rules_loader(context, options.url))(store)
    notes.extend(getattr(rules, "problems", []) or [])
    runner = StoreRunner(store, _LazyInspector(options.inspector), rules, settings.home_dir,
                         batch_size=options.batch_size, max_attempts=options.max_attempts,
                         url=options.url, stop=options.stop, progress=options.progress,
                         engine=options.engine)
    counts = runner.run(scan.files).as_dict()
    notes.extend(runner.notes)
    status = tables.OK
    if counts["failed"] or counts["retry"] or counts["left"] or notes:
        status = tables.PARTIAL
    message = (f"{store.id}: {counts['inspected']} inspected, {counts['failed']} failed, "
               f"{counts['retry']} to retry, {counts['quarantined']} quarantined, "
               f"{counts['duplicates']} duplicates of {counts['seen']} photos")
    text = "\n".join([message, *notes])
    finish_job_run(run_id, status, counts=counts, message=text, url=options.url)
    return StoreRunResult(store.id, status, counts, message, run_id, notes)


def run_once(sites: Sequence[StoreSpec], stores: Sequence[str] | None = None,
             options: RunOptions | None = None) -> list[StoreRunResult]:
    """Inspect the inbox of every store (or the given ones) now; one result per store.

    Raises:
        ShelfAuditError: a requested store is not in ``stores.yaml``.
    """
    from pipeline.errors import ShelfAuditError
    from pipeline.i18n import _

    options = options or RunOptions()
    if options.context is None:  # a caller without a context: this run is the edge
        options = replace(options, context=edge_context(url=options.url))
    known = {s.id: s for s in sites}
    wanted = list(stores) if stores else sorted(known)
    missing = [s for s in wanted if s not in known]
    if missing:
        raise ShelfAuditError(_("unknown store(s) {stores}; stores.yaml has {known}").format(
            stores=", ".join(missing), known=", ".join(sorted(known)) or _("none")))
    with session_scope(options.url) as session:
        sync_sites(session, sites)
    results = []
    for store_id in wanted:
        if options.stop is not None and options.stop.is_set():
            break
        results.append(inspect_store(known[store_id], options))
    return results


def stray_inbox_notes(sites: Sequence[StoreSpec], settings: Settings) -> list[str]:
    """Inbox folders (under ``settings``' home) of stores or cameras that ``stores.yaml`` does
    not know."""
    cameras = {s.id: set(s.cameras) for s in sites}
    return ingest.scan_inbox(settings.subdir("inbox"), cameras).unknown


def elapsed(start: float) -> float:
    return round(time.perf_counter() - start, 2)
