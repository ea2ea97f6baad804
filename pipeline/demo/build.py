"""``shelfaudit demo``: weeks of believable history through the real pipeline.

For every store and camera in ``stores.yaml`` the demo renders one synthetic photo per day at
02:00 store time (the camera's own planogram and a fixed view: the same shelf, light and
angle every day, only the stock and sensor noise change), drops it into the
inbox with the capture time in its file name, and runs the normal inspection job over the inbox
(real inspector and real rules by default), then builds each store's weekly reports.

Drift: fault rates are low right after the Monday shelf reset and build up day by day until
Sunday; the last store in ``stores.yaml`` is clearly worse (and slowly recovering), the first
one the best, the ones between slowly slipping week by week.
"""

from __future__ import annotations

import io
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import delete, func, select

from pipeline.context import EdgeContext, edge_context
from pipeline.db import session_scope, tables
from pipeline.errors import ShelfAuditError
from pipeline.i18n import _, ngettext
from pipeline.settings import Settings
from pipeline.sites import StoreSpec
from pipeline.weeks import iso_week

DEMO_HOUR = 2
STORE_FACTORS = (0.45, 0.9, 2.2)  # best ... clearly worst (last store)
DAY_FACTORS = (0.3, 0.55, 0.8, 1.05, 1.3, 1.6, 1.9)  # Monday reset -> Sunday


@dataclass
class DemoOptions:
    weeks: int = 8
    force: bool = False
    inspector: str = "models"
    width: int = 1024
    seed: int = 2026
    progress: bool = True
    stores: Sequence[StoreSpec] | None = None  # default: stores.yaml
    today: date | None = None  # default: today (UTC)
    job_run_id: int | None = None  # a progress row made for this build (serve), else a new one


def demo_days(weeks: int, today: date) -> list[date]:
    """The last ``weeks`` complete ISO weeks before ``today`` (Monday .. Sunday)."""
    this_monday = today - timedelta(days=today.weekday())
    first = this_monday - timedelta(weeks=weeks)
    return [first + timedelta(days=i) for i in range(weeks * 7)]


def store_factor(index: int, count: int) -> float:
    if count <= 1:
        return STORE_FACTORS[1]
    if index == count - 1:
        return STORE_FACTORS[-1]
    return STORE_FACTORS[0] if index == 0 else STORE_FACTORS[1]


def week_trend(store_index: int, store_count: int, week_index: int) -> float:
    """Slow change over the weeks: the middle stores slip, the worst one slowly recovers."""
    if store_index == 0 or store_count <= 1:
        return 1.0
    if store_index == store_count - 1:
        return max(0.6, 1.2 - 0.06 * week_index)
    return 1.0 + 0.1 * week_index


def drift_factor(store_index: int, store_count: int, day: date, rng: np.random.Generator,
                 week_index: int = 0) -> float:
    """How messy the shelf is that day: store level x week trend x day of week x noise."""
    noise = float(rng.uniform(0.85, 1.15))
    return (store_factor(store_index, store_count) * DAY_FACTORS[day.weekday()] * noise
            * week_trend(store_index, store_count, week_index))


def _prepare(options: DemoOptions, stores: Sequence[StoreSpec], keep: int,
             settings: Settings) -> None:
    with session_scope() as session:
        existing = session.scalar(select(func.count()).select_from(tables.Inspection))
        if existing and not options.force:
            raise ShelfAuditError(ngettext(
                "the database already has {n} inspection; use --force to replace it with the "
                "demo history", "the database already has {n} inspections; use --force to "
                "replace them with the demo history", existing).format(n=existing))
        if options.force:
            for model in (tables.Violation, tables.InspectionDetections, tables.Inspection,
                          tables.Photo, tables.Report, tables.Lease):
                session.execute(delete(model))
            session.execute(delete(tables.JobRun).where(tables.JobRun.id != keep))
    if options.force:
        home = settings.home_dir
        for sub in ("inbox", "archive", "quarantine", "failed", "reports"):
            for store in stores:
                shutil.rmtree(home / sub / store.id, ignore_errors=True)


def _camera_planograms(stores: Sequence[StoreSpec], catalog: Any, seed: int) -> dict:
    from pipeline.synth import make_planogram

    plans = {}
    for s_i, store in enumerate(stores):
        for c_i, cam in enumerate(store.cameras.values()):
            plan = cam.planogram
            if plan is None:
                plan = make_planogram(catalog, np.random.default_rng(seed + 97 * s_i + c_i))
            plans[(store.id, cam.id)] = plan
    return plans


def render_history(options: DemoOptions, stores: Sequence[StoreSpec], truth: Any,
                   context: EdgeContext, tracker: Any = None) -> int:
    """Render every camera's daily photo into the inbox of ``context``'s home, with its
    catalog; returns the number of photos."""
    from pipeline.imaging import content_hash
    from pipeline.synth import FaultRates, render_scene

    catalog = context.catalog
    plans = _camera_planograms(stores, catalog, options.seed)
    days = demo_days(options.weeks, options.today or tables.utcnow().date())
    inbox = context.settings.subdir("inbox")
    jobs = [(s_i, store, cam, day) for s_i, store in enumerate(stores)
            for cam in store.cameras.values() for day in days]
    # a shelf camera is fixed: the same view every day, only the stock (and noise) changes
    views = {(store.id, cam.id): options.seed * 7_919 + 101 * s_i + c_i
             for s_i, store in enumerate(stores) for c_i, cam in enumerate(store.cameras.values())}
    bar = _bar(len(jobs), "render", options.progress)
    if tracker is not None:
        tracker.start("render", len(jobs))
    for n, (s_i, store, cam, day) in enumerate(jobs):
        seed = options.seed * 1_000_003 + n
        rng = np.random.default_rng(seed)
        week_index = (day - days[0]).days // 7
        rates = FaultRates().scaled(drift_factor(s_i, len(stores), day, rng, week_index))
        scene = render_scene(catalog, seed, width=options.width,
                             planogram=plans[(store.id, cam.id)], fault_rates=rates,
                             view_seed=views[(store.id, cam.id)])
        stamp = datetime(day.year, day.month, day.day, DEMO_HOUR)  # store-local time
        buffer = io.BytesIO()
        scene.image.save(buffer, "JPEG", quality=scene.jpeg_quality)
        data = buffer.getvalue()
        folder = inbox / store.id / cam.id
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{cam.id}_{stamp:%Y%m%dT%H%M%S}.jpg").write_bytes(data)
        if truth is not None:
            truth.register(content_hash(data), scene.truth)
        bar.update(1)
        if tracker is not None:
            tracker.advance(1)
    bar.close()
    return len(jobs)


def _bar(total: int, label: str, enabled: bool) -> Any:
    from tqdm import tqdm

    return tqdm(total=total, desc=label, unit="photo", disable=not enabled, leave=True)


def _make_inspector(name: str) -> Any:
    from pipeline.inbox.inspectors import TruthInspector, shared_inspector

    if name == "truth":
        return TruthInspector()
    if name != "models":
        raise ShelfAuditError(_("demo inspector must be 'models' or 'truth', not {name}"
                                ).format(name=repr(name)))
    from pipeline.errors import ModelNotFoundError

    try:
        return shared_inspector("models")
    except ModelNotFoundError as exc:
        raise ModelNotFoundError(_("{problem} — or run `shelfaudit demo --inspector truth` to "
                                   "use the synthetic ground truth instead of models").format(
            problem=exc)) from None


def build_demo(options: DemoOptions, context: EdgeContext | None = None) -> dict[str, Any]:
    """Render, inspect and report the demo history; returns a summary with timings.

    ``context``: the edge's settings, catalog and sites (default: the demo is the edge and
    reads them, each once). Progress is kept in a ``job_runs`` row
    (:mod:`pipeline.demo.progress`) that the Overview page shows while the history is being
    built.
    """
    from pipeline.demo.progress import DemoTracker

    context = context if context is not None else edge_context()
    start = time.perf_counter()
    tracker = DemoTracker(run_id=options.job_run_id)  # "getting ready" while models load
    try:
        stores = list(options.stores or context.sites.stores)
        if not stores:
            raise ShelfAuditError(_("stores.yaml lists no stores; nothing to build a demo for"))
        inspector = _make_inspector(options.inspector)  # fail on missing models before deleting
        _prepare(options, stores, keep=tracker.run_id, settings=context.settings)
        summary = _build(options, stores, inspector, tracker, start, context)
    except BaseException as exc:
        tracker.finish(tables.ERROR, f"{type(exc).__name__}: {exc}")
        raise
    tracker.finish(tables.OK, f"{summary['inspections']} inspections, {summary['reports']} "
                   f"reports in {summary['seconds']:.0f}s", {"photos": summary["photos"]})
    return summary


def _build(options: DemoOptions, stores: list[StoreSpec], inspector: Any, tracker: Any,
           start: float, context: EdgeContext) -> dict[str, Any]:
    from pipeline.inbox.jobs import RunOptions, run_once
    from pipeline.reports.build import make_report

    truth = inspector if options.inspector == "truth" else None
    photos = render_history(options, stores, truth, context, tracker)
    rendered = time.perf_counter()
    bar = _bar(photos, "inspect", options.progress)
    tracker.start("inspect", photos)

    def inspected_some(n: int) -> None:
        bar.update(n)
        tracker.advance(n)

    results = run_once(stores, None, RunOptions(inspector=inspector, trigger="demo",
                                                progress=inspected_some, context=context))
    bar.close()
    inspected = time.perf_counter()
    weeks = sorted({iso_week(d) for d in demo_days(options.weeks, options.today
                                                   or tables.utcnow().date())})
    bar = _bar(len(weeks) * len(stores), "reports", options.progress)
    tracker.start("reports", len(weeks) * len(stores))
    reports = 0
    for store in stores:
        for week in weeks:
            make_report(store.id, week)
            reports += 1
            bar.update(1)
            tracker.advance(1)
    bar.close()
    done = time.perf_counter()
    return {
        "stores": len(stores), "cameras": sum(len(s.cameras) for s in stores),
        "weeks": options.weeks, "photos": photos,
        "inspections": sum(r.counts.get("inspected", 0) for r in results),
        "failed": sum(r.counts.get("failed", 0) + r.counts.get("retry", 0) for r in results),
        "reports": reports, "inspector": options.inspector, "width": options.width,
        "seconds": round(done - start, 1), "render_s": round(rendered - start, 1),
        "pipeline_s": round(inspected - rendered, 1), "reports_s": round(done - inspected, 1),
        "archive": str(Path(context.settings.home_dir) / "archive"),
    }
