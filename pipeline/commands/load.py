"""CLI commands: ``shelfaudit bench load`` (many dashboard sessions and API clients at once; see
:mod:`pipeline.loadbench`) and ``shelfaudit bench pages`` (each page's first paint in a real
browser; :mod:`pipeline.loadbench.paint`)."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from pipeline.i18n import _


def register(app: typer.Typer) -> None:
    """Add ``bench load`` and ``bench pages`` to the ``bench`` group (made here if no module
    made it yet)."""
    from pipeline.commands import bench_group

    bench = bench_group(app)
    bench.command("load")(bench_load)
    bench.command("pages")(bench_pages)


def bench_load(
    sessions: list[int] = typer.Option([25], "--sessions", "-n", min=1, max=200,
                                       help="Sessions at once; repeat for several steps "
                                            "(e.g. -n 5 -n 15 -n 25) to find how many one "
                                            "server holds."),
    pages: str = typer.Option(",".join(p or "overview" for p in
                                       ("weekly_report", "inspections", "trends", "upload",
                                        "rules", "system", "")),
                              "--pages", help="Pages each session opens after signing in, "
                                              "by URL path, comma-separated."),
    rounds: int = typer.Option(1, "--rounds", min=1, max=10, help="Times through the pages."),
    ramp: float = typer.Option(0.0, "--ramp", min=0.0, help="Spread the sessions' starts over "
                                                            "this many seconds (0: all at once)."),
    think: float = typer.Option(0.0, "--think", min=0.0,
                                help="Seconds a person reads a page before the next one "
                                     "(each wait 0.5-1.5 x this; 0: click on at once)."),
    api_clients: int = typer.Option(10, "--api-clients", min=0, max=64,
                                    help="HTTP API clients at once (0: skip the API)."),
    api_rounds: int = typer.Option(5, "--api-rounds", min=1, max=100,
                                   help="Photos each API client pushes (with its pulls)."),
    weeks: int = typer.Option(8, "--weeks", min=1, max=52, help="Weeks of demo history."),
    home: Path | None = typer.Option(None, "--home", help="A SHELFAUDIT_HOME with inspections "
                                                          "to use as it is (default: a demo "
                                                          "kept in the temp folder)."),
    timeout: float = typer.Option(900.0, "--timeout", min=30.0, help="Seconds the whole run "
                                                                     "may take."),
    cold: bool = typer.Option(True, "--cold/--warm",
                              help="Empty the dashboard's caches before each step (as on Monday "
                                   "morning: last week's cached results have expired) or keep "
                                   "what earlier steps filled."),
    replicas: int = typer.Option(1, "--replicas", min=1, max=8,
                                 help="Dashboard processes; each session stays on one (as "
                                      "behind a proxy with sticky sessions)."),
    profile: Path | None = typer.Option(None, "--profile", help="Run the dashboard under "
                                                                "py-spy and write its stacks "
                                                                "(raw, collapsed) to this file."),
    as_json: bool = typer.Option(False, "--json", help="Print the figures as JSON."),
) -> None:
    """Monday 8:00: many supervisors at once. Starts its own dashboard (streamlit run, a free
    127.0.0.1 port, a demo database) and drives sessions over the app's websocket as a browser
    does: each signs in with its own account and opens the pages. Reports p50/p95/max seconds
    per page and for sign-in, the server's CPU and memory per session, errors, how many
    sessions stayed within the targets (page p95 < 2 s, sign-in p95 < 3 s); then HTTP API
    clients pushing photos and pulling results. Stops its servers by itself."""
    from pipeline.errors import ShelfAuditError
    from pipeline.loadbench.report import LoadOptions, format_report, run_load_bench

    wanted = tuple("" if p.strip() in ("", "overview") else p.strip()
                   for p in pages.split(","))
    if not wanted:
        raise ShelfAuditError(_("--pages names no page"))
    options = LoadOptions(sessions=tuple(sessions), pages=wanted, rounds=rounds, ramp_s=ramp,
                          think_s=think, api_clients=api_clients, api_rounds=api_rounds,
                          weeks=weeks, home=home, timeout_s=timeout,
                          profile=profile, replicas=replicas, cold=cold)
    report = run_load_bench(options, log=lambda line: typer.echo(line, err=True))
    typer.echo(json.dumps(report, indent=2) if as_json else format_report(report))


def bench_pages(
    weeks: int = typer.Option(8, "--weeks", min=1, max=52, help="Weeks of demo history."),
    home: Path | None = typer.Option(None, "--home", help="A SHELFAUDIT_HOME with inspections "
                                                          "to use as it is (default: the demo "
                                                          "bench load keeps in the temp "
                                                          "folder)."),
    pages: str = typer.Option("overview,fixes,weekly_report,inspections,trends,upload,rules,"
                              "system,admin", "--pages",
                              help="Pages to open, by URL path, comma-separated."),
    cold: bool = typer.Option(True, "--cold/--warm",
                              help="Empty the dashboard's caches before each page (as after a "
                                   "data change) or keep what earlier pages filled."),
    chromium: str = typer.Option("/usr/bin/chromium", "--chromium",
                                 help="The Chromium executable Playwright drives."),
    timeout: float = typer.Option(60.0, "--timeout", min=5.0,
                                  help="Seconds one page may take."),
    as_json: bool = typer.Option(False, "--json", help="Print the figures as JSON."),
) -> None:
    """Each page's first paint in a real browser (headless Chromium, 1440x900). Starts its own
    dashboard (as shelfaudit serve does, a free 127.0.0.1 port, a demo database), signs in as
    an admin and opens every page twice — by its URL (first contentful paint, heading shown,
    script run finished; from navigation start) and by its sidebar link (from the click) — once
    each, after an untimed round. Target: every page ready in under 1.5 s. Needs Playwright
    (the dev extra) and Chromium."""
    from pipeline.errors import ShelfAuditError
    from pipeline.loadbench.paint import PaintOptions, format_report, run_paint_bench

    wanted = tuple(dict.fromkeys("" if p.strip() in ("", "overview") else p.strip()
                                 for p in pages.split(",")))
    if not wanted:
        raise ShelfAuditError(_("--pages names no page"))
    options = PaintOptions(home=home, weeks=weeks, cold=cold, pages=wanted, chromium=chromium,
                           page_timeout_s=timeout)
    report = run_paint_bench(options, log=lambda line: typer.echo(line, err=True))
    typer.echo(json.dumps(report, indent=2) if as_json else format_report(report))
