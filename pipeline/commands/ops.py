"""CLI commands of the operation: ``run-once``, ``scheduler``, ``report``, ``demo``, ``serve``
(:mod:`pipeline.commands.serve`), ``bigdb``. Every command upgrades the database schema to
the newest version first.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

from pipeline.commands.serve import serve
from pipeline.i18n import N_, _

STATUS_WORDS = {"ok": N_("ok"), "partial": N_("partial"), "skipped": N_("skipped"),
                "error": N_("error")}


def register(app: typer.Typer) -> None:
    """Add this group's commands to the shelfaudit app."""
    app.command("run-once")(run_once)
    app.command("scheduler")(scheduler)
    app.command("report")(report)
    app.command("demo")(demo)
    app.command("serve")(serve)
    app.command("bigdb")(bigdb)


ENGINE_OPTION = typer.Option(
    None, "--engine", help="local (this process, the default) or ray (a pool of Ray actors); "
    "or set SHELFAUDIT_ENGINE or engine: in $SHELFAUDIT_HOME/cluster.yaml.")
ADDRESS_OPTION = typer.Option(
    None, "--address", help="Ray cluster for --engine ray: auto (started on this machine), "
    "HOST:PORT or ray://HOST:PORT (default: SHELFAUDIT_RAY_ADDRESS, then auto).")
ACTORS_OPTION = typer.Option(
    None, "--actors", min=1, help="Ray inspection actors (default: one per GPU, else one per "
    "CPU of the cluster).")


def _engine(engine: str | None, address: str | None, actors: int | None,
            inspector: str | None):  # noqa: ANN202 - an InspectionEngine or None
    """The engine from the flags, the environment and the settings file (None: local)."""
    from pipeline.cluster import engine_settings, make_engine

    return make_engine(engine_settings(engine, address, actors), inspector)


def _upgrade(url: str | None = None) -> None:
    from pipeline import db

    db.upgrade(url)


def run_once(
    store: list[str] = typer.Option(None, "--store", "-s",
                                    help="Only this store (repeatable; default: every store)."),
    inspector: str | None = typer.Option(
        None, "--inspector", help="models (default), truth or fake[:SECONDS] (tests); "
        "or set SHELFAUDIT_INSPECTOR."),
    batch: int = typer.Option(16, "--batch", min=1, help="Photos per inspection batch."),
    max_attempts: int = typer.Option(3, "--max-attempts", min=1,
                                     help="Tries before a failing photo is parked in failed/."),
    as_json: bool = typer.Option(False, "--json", help="Print the results as JSON."),
    engine: str | None = ENGINE_OPTION,
    address: str | None = ADDRESS_OPTION,
    actors: int | None = ACTORS_OPTION,
) -> None:
    """Inspect the photos waiting in the inbox now (the scheduled job, run by hand).

    Photos are read from $SHELFAUDIT_HOME/inbox/<store>/<camera>/, inspected, judged against
    the rules and recorded; originals then move to archive/<store>/<camera>/<date>/. A store
    that another run is already inspecting is skipped, saying who holds it. Exit code 1 when a
    store's run failed or a photo was given up on.
    """
    from pipeline.context import edge_context
    from pipeline.inbox.inspectors import shared_inspector
    from pipeline.inbox.jobs import RunOptions, stray_inbox_notes
    from pipeline.inbox.jobs import run_once as run

    _upgrade()
    context = edge_context()  # this command's settings, catalog and sites, read once
    sites = context.sites
    notes = sites.problems + stray_inbox_notes(sites.stores, context.settings)
    cluster = _engine(engine, address, actors, inspector)
    options = RunOptions(inspector=shared_inspector(inspector) if inspector and not cluster
                         else None, batch_size=batch, max_attempts=max_attempts, engine=cluster,
                         context=context)
    try:
        results = run(sites.stores, store or None, options)
    finally:
        if cluster is not None:
            cluster.close()
    bad = any(r.status == "error" or r.counts.get("failed") for r in results)
    if as_json:
        typer.echo(json.dumps({"results": [r.to_dict() for r in results], "notes": notes},
                              ensure_ascii=False))
    else:
        for note in notes:
            typer.echo(_("note: {message}").format(message=note), err=True)
        for r in results:
            typer.echo(_("{store}: {status} — {message}").format(
                store=r.store, status=_(STATUS_WORDS.get(r.status, r.status)),
                message=_counts_text(r.counts) if r.counts else r.message))
            for note in r.notes:
                typer.echo(f"  {note}")
    if bad:
        raise typer.Exit(1)


def _counts_text(counts: dict[str, int]) -> str:
    """A store run's counts in the reader's language (the job-run row keeps English)."""
    return _("{inspected} inspected, {failed} failed, {retry} to retry, {quarantined} "
             "quarantined, {duplicates} duplicates of {seen} photos").format(**counts)


def scheduler(
    engine: str | None = ENGINE_OPTION,
    address: str | None = ADDRESS_OPTION,
    actors: int | None = ACTORS_OPTION,
) -> None:
    """Run the scheduler until SIGTERM or Ctrl-C: per-store inspections on the schedule in
    stores.yaml and the weekly reports on Monday 06:00 store time.

    Jobs live in the database (APScheduler SQLAlchemy job store): missed runs are coalesced
    into one, runs more than an hour late are skipped and recorded, and each job runs at most
    once at a time. Every run leaves a row in job_runs.
    """
    from pipeline.schedule.scheduler import run_scheduler

    cluster = _engine(engine, address, actors, None)
    try:
        run_scheduler(engine=cluster)
    finally:
        if cluster is not None:
            cluster.close()
    typer.echo(_("scheduler stopped"))


def report(
    store: str = typer.Option(..., "--store", "-s", help="Store id."),
    week: str | None = typer.Option(None, "--week", "-w",
                                    help="ISO week, e.g. 2026-W46 (default: last week)."),
    fmt: list[str] = typer.Option(None, "--format", "-f",
                                  help="csv, xlsx or pdf (repeatable; default: all three)."),
    out: Path | None = typer.Option(None, "--out", "-o",
                                    help="Output file (one format) or folder."),
    as_json: bool = typer.Option(False, "--json", help="Print the report document as JSON."),
    lang: str | None = typer.Option(
        None, "--lang", help="Language of the files and messages: en or zh (default: "
                             "SHELFAUDIT_LANG, then LANG)."),
) -> None:
    """Build a store's weekly report, store it and export it (CSV, Excel, PDF)."""
    from pipeline import i18n
    from pipeline.errors import ShelfAuditError
    from pipeline.i18n import _
    from pipeline.reports import build as reports

    if lang is not None and i18n.normalize(lang) is None:
        raise ShelfAuditError(_("unknown language {lang!r} (use {languages})").format(
            lang=lang, languages=", ".join(i18n.LANGUAGES)))
    _upgrade()
    with i18n.using(lang):
        formats = list(dict.fromkeys(fmt or reports.FORMATS))
        unknown = [f for f in formats if f not in reports.FORMATS]
        if unknown:
            raise ShelfAuditError(_("unknown format {format!r} (use csv, xlsx or pdf)").format(
                format=unknown[0]))
        week = week or reports.last_week_of(store)
        report = reports.build_report(store, week)
        files = reports.export_reports(report, formats, out)
        reports.save_report(report, files)
        if as_json:
            typer.echo(json.dumps({**report.document(), "files": files}, ensure_ascii=False))
            return
        k = report.kpis
        typer.echo(_("{store} {week}: {inspections} inspections, compliance {compliance}, OSA "
                     "{osa}, {violations} violations").format(
            store=store, week=week, inspections=report.inspections,
            compliance=i18n.percent(k["compliance"]), osa=i18n.percent(k["osa"]),
            violations=report.violations.total))
        for f, path in files.items():
            typer.echo(f"  {f}: {path}")


def demo(
    weeks: int = typer.Option(8, "--weeks", min=1, max=52, help="Weeks of history."),
    force: bool = typer.Option(False, "--force", help="Replace existing inspection history."),
    inspector: str = typer.Option(
        "models", "--inspector",
        help="models (the real pipeline, default) or truth (ground truth stands in for the "
        "detections; fast, labelled 'truth')."),
    width: int = typer.Option(1024, "--width", min=640, max=2000, help="Photo width (px)."),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON summary."),
    or_truth: bool = typer.Option(
        False, "--or-truth", help="When the models are missing, use the ground truth instead "
        "(what `shelfaudit serve` does on a fresh clone)."),
    progress_row: int | None = typer.Option(None, "--progress-row", hidden=True,
                                            help="job_runs row to keep the progress in (serve)"),
) -> None:
    """Build demo history: every store × camera in stores.yaml, a synthetic photo per day for
    WEEKS weeks (back-dated, nightly 02:00), through the real pipeline, then weekly reports.

    Shelves drift as real ones do: faults build up during the week and clear after the Monday
    shelf reset; one store is clearly worse than the others. The Overview page shows how far
    the build has got.
    """
    from pipeline.context import edge_context
    from pipeline.demo.build import DemoOptions, build_demo
    from pipeline.errors import ModelNotFoundError

    _upgrade()
    context = edge_context()  # this command's settings, catalog and sites, read once
    options = DemoOptions(weeks=weeks, force=force, inspector=inspector, width=width,
                          progress=not as_json, job_run_id=progress_row)
    try:
        summary = build_demo(options, context)
    except ModelNotFoundError as exc:
        if not or_truth:
            raise
        typer.echo(_("warning: {message}").format(message=exc) + "\n" + _(
            "building the demo from synthetic ground truth instead (inspections labelled "
            "inspector=truth)"), err=True)
        options.inspector = "truth"
        summary = build_demo(options, context)
    from pipeline.commands.users import announce_first_admin

    announce_first_admin()  # no account yet: create `admin`, print its password once
    if as_json:
        typer.echo(json.dumps(summary, ensure_ascii=False))
        return
    typer.echo(_("demo: {photos} photos, {inspections} inspections, {reports} reports in "
                 "{seconds} s (render {render} s, pipeline {pipeline} s, reports {reports_s} s; "
                 "inspector={inspector})").format(
        photos=summary["photos"], inspections=summary["inspections"],
        reports=summary["reports"], seconds=_whole(summary["seconds"]),
        render=_whole(summary["render_s"]), pipeline=_whole(summary["pipeline_s"]),
        reports_s=_whole(summary["reports_s"]), inspector=summary["inspector"]))


def _whole(seconds: float) -> str:
    from pipeline.i18n import number

    return number(float(seconds), decimals=0)


def bigdb(
    stores: int = typer.Option(200, "--stores", min=1, help="Number of stores."),
    cameras: int = typer.Option(10, "--cameras", min=1, help="Cameras per store."),
    weeks: int = typer.Option(52, "--weeks", min=1, help="Weeks of daily inspections."),
    url: str | None = typer.Option(None, "--url",
                                   help="Database URL (default: DATABASE_URL / the home's)."),
    seed: int = typer.Option(0, "--seed", help="Random seed."),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON summary."),
) -> None:
    """Write a large synthetic inspection history straight into a database (no photos), for
    dashboard speed tests: STORES × CAMERAS × WEEKS × 7 inspections with violations and
    weekly report rows.
    """
    from pipeline.demo.bigdb import BigDbOptions, build_bigdb

    _upgrade(url)
    summary = build_bigdb(BigDbOptions(stores=stores, cameras=cameras, weeks=weeks, seed=seed,
                                       url=url, progress=not as_json))
    if as_json:
        typer.echo(json.dumps(summary))
        return
    from pipeline.i18n import number

    typer.echo(_("bigdb: {inspections} inspections, {violations} violations, {reports} reports "
                 "in {seconds} s ({rate} rows/s) -> {url}").format(
        inspections=summary["inspections"], violations=summary["violations"],
        reports=summary["reports"], seconds=number(float(summary["seconds"])),
        rate=number(float(summary["rows_per_s"]), decimals=0), url=summary["url"]))
