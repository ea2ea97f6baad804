"""One load run and its figures: :func:`run_load_bench` (JSON-ready) and :func:`format_report`.

Order: the demo home and its accounts; ``streamlit run`` on a free port; one admin session
through every page first (the first visitor after a start: imports, model-free resources,
timed apart); then each ``--sessions`` step — the server's caches emptied first, as on a
Monday morning when last week's cached results have expired (``--warm`` keeps them), then
that many supervisors (each with one store, round robin) sign in at once and open the pages
— with the server's CPU and memory sampled;
then the HTTP API clients on their own ``shelfaudit api``. The dashboard and the API are
measured one after the other, each with the machine to itself.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.i18n import _
from pipeline.loadbench.sessions import (
    PAGES,
    SIGN_IN,
    SessionTimes,
    clear_caches,
    page_label,
    run_sessions,
)

PAGE_TARGET_S, SIGN_IN_TARGET_S = 2.0, 3.0


@dataclass
class LoadOptions:
    sessions: Sequence[int] = (25,)  # one step per value, in order
    pages: Sequence[str] = PAGES
    rounds: int = 1
    ramp_s: float = 0.0
    think_s: float = 0.0
    api_clients: int = 10
    api_rounds: int = 5
    api_width: int = 1280
    weeks: int = 8
    home: Path | None = None
    timeout_s: float = 900.0  # the whole run
    page_timeout_s: float = 120.0
    profile: Path | None = None  # py-spy's raw stacks of the (first) dashboard go here
    replicas: int = 1  # dashboard processes; sessions spread over them, each stays on one
    cold: bool = True  # each step starts with the servers' caches emptied


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (``q`` in 0..100) of a non-empty list."""
    ranked = sorted(values)
    return ranked[max(0, min(len(ranked) - 1, -(-len(ranked) * q // 100) - 1))]


def spread(values: Sequence[float]) -> dict[str, float]:
    """``{n, p50, p95, max}`` in seconds (``n`` = 0 and no figures when empty)."""
    if not values:
        return {"n": 0}
    return {"n": len(values), "p50": round(statistics.median(values), 3),
            "p95": round(percentile(values, 95), 3), "max": round(max(values), 3)}


def _machine() -> dict[str, Any]:
    return {"cpus": os.cpu_count(), "load_avg_1m": round(os.getloadavg()[0], 2)}


def _step_figures(found: list[SessionTimes], wall: float, server: dict[str, float],
                  rss_before: float, rss_idle: float) -> dict[str, Any]:
    pooled: dict[str, list[float]] = {}
    for times in found:
        for name, seconds in times.seconds.items():
            pooled.setdefault(name, []).extend(seconds)
    pages = {name: spread(pooled.get(name, [])) for name in
             [SIGN_IN, *dict.fromkeys(page_label(p) for p in PAGES)] if name in pooled}
    opened = [s for name, v in pooled.items() if name not in (SIGN_IN, "form") for s in v]
    errors = [f"{t.user}: {e}" for t in found for e in t.errors]
    n = len(found)
    per_page_ok = all(v.get("p95", 0) < PAGE_TARGET_S for k, v in pages.items() if k != SIGN_IN)
    sign_in_ok = pages.get(SIGN_IN, {}).get("p95", float("inf")) < SIGN_IN_TARGET_S
    return {
        "sessions": n, "signed_in": sum(t.signed_in for t in found), "wall_s": round(wall, 2),
        "form": spread(pooled.get("form", [])), "pages": pages, "all_pages": spread(opened),
        "errors": len(errors), "error_samples": errors[:10],
        "server": {**server, "cpu_s_per_session": round(server["cpu_s"] / max(n, 1), 2),
                   "rss_before_mb": round(rss_before, 1), "rss_idle_mb": round(rss_idle, 1),
                   "rss_per_session_mb": round((rss_idle - rss_before) / max(n, 1), 2)},
        "met": {"pages_p95_under_2s": per_page_ok, "sign_in_p95_under_3s": sign_in_ok,
                "no_errors": not errors},
    }


def _step(urls: list[str], pids: list[int], users: list[str], options: LoadOptions,
          pages: Sequence[str], deadline_s: float) -> dict[str, Any]:
    from pipeline.loadbench.servers import PASSWORD, Sampler

    if options.cold:
        asyncio.run(clear_caches(urls))
    with Sampler(pids) as sampler:
        rss_before = sampler.rss_mb()
        found, rss_idle, wall = asyncio.run(run_sessions(
            urls, users, PASSWORD, pages, rounds=options.rounds, ramp_s=options.ramp_s,
            timeout=options.page_timeout_s, think=options.think_s, at_idle=sampler.rss_mb,
            deadline_s=deadline_s))
    return _step_figures(found, wall, sampler.figures(), rss_before,
                         rss_idle if rss_idle is not None else sampler.rss_mb())


def _capacity(steps: list[dict[str, Any]]) -> dict[str, Any]:
    held = [s["sessions"] for s in steps if all(s["met"].values())]
    missed = [s["sessions"] for s in steps if not all(s["met"].values())]
    return {"most_sessions_within_targets": max(held, default=0),
            "fewest_sessions_missing": min(missed, default=None),
            "steps_measured": [s["sessions"] for s in steps]}


def _api(home: Path, options: LoadOptions, log: Callable[[str], None]) -> dict[str, Any]:
    from pipeline.loadbench.api_clients import run_api_clients

    found, errors, wall, server = run_api_clients(home, options.api_clients, options.api_rounds,
                                                  options.api_width, log)
    every = [s for v in found.values() for s in v]
    return {"clients": options.api_clients, "rounds": options.api_rounds,
            "photo_width": options.api_width, "wall_s": round(wall, 2),
            "requests": len(every), "requests_per_s": round(len(every) / wall, 1) if wall else 0,
            "by_request": {k: spread(v) for k, v in found.items()}, "all": spread(every),
            "errors": len(errors), "error_samples": errors[:10], "server": server}


def run_load_bench(options: LoadOptions, log: Callable[[str], None] = print) -> dict[str, Any]:
    """The whole run (see the module notes); a JSON-ready report."""
    import psutil

    from pipeline.loadbench import servers

    started = time.perf_counter()
    me = psutil.Process()
    client_cpu = sum(me.cpu_times()[:2])
    report: dict[str, Any] = {"machine": _machine(), "options": {
        "sessions": list(options.sessions), "pages": [page_label(p) for p in options.pages],
        "rounds": options.rounds, "ramp_s": options.ramp_s, "think_s": options.think_s,
        "replicas": options.replicas, "cold": options.cold}}
    home = servers.prepare_home(options.home, options.weeks, log)
    accounts = servers.ensure_accounts(home, max(options.sessions, default=1))
    report["home"] = str(home)
    with servers.dashboards(home, options.replicas, options.profile) as running:
        urls, pids = [d.url for d in running], [d.pid for d in running]
        report["server"] = {"urls": urls, "replicas": len(running),
                            "start_s": round(time.perf_counter() - started, 1)}
        log(_("dashboard at {urls}; one admin session through every page first …").format(
            urls=", ".join(urls)))
        for i, (url, pid) in enumerate(zip(urls, pids, strict=True)):  # imports, resources
            first = _step([url], [pid], [accounts[0][0]], options, PAGES, options.timeout_s)
            if i == 0:
                report["first_visitor"] = first
        for n in options.sessions:
            left = options.timeout_s - (time.perf_counter() - started)
            if left <= 10:
                report.setdefault("skipped_steps", []).append(n)
                continue
            log(_("{n} sessions at once …").format(n=n))
            step = _step(urls, pids, [name for name, _ in accounts[1:n + 1]], options,
                         options.pages, left)
            log("  " + _("{n} sessions: pages p95 {pages} s, sign-in p95 {sign_in} s, errors "
                         "{errors}").format(n=n, pages=step["all_pages"].get("p95"),
                                            sign_in=step["pages"].get(SIGN_IN, {}).get("p95"),
                                            errors=step["errors"]))
            report.setdefault("steps", []).append(step)
        report["server"]["tracebacks_in_log"] = sum(
            d.log.read_text(errors="replace").count("Traceback") for d in running)
    report["capacity"] = _capacity(report.get("steps", []))
    if options.api_clients:
        report["api"] = _api(home, options, log)
    report["machine"]["load_avg_after"] = round(os.getloadavg()[0], 2)
    report["machine"]["client_cpu_s"] = round(sum(me.cpu_times()[:2]) - client_cpu, 1)
    report["wall_s"] = round(time.perf_counter() - started, 1)
    return report


def _figure(spread_: dict[str, float]) -> str:
    if not spread_.get("n"):
        return "—"
    return f"{spread_['p50']:.2f} / {spread_['p95']:.2f} / {spread_['max']:.2f}"


def format_report(report: dict[str, Any]) -> str:
    """The figures as a few tables."""
    m = report["machine"]
    lines = [f"Dashboard under load ({m['cpus']} CPUs, load average {m['load_avg_1m']} before, "
             f"{m.get('load_avg_after')} after; the harness's own CPU "
             f"{m.get('client_cpu_s')} s). Seconds p50 / p95 / max:"]
    steps = [("first visitor", report["first_visitor"]), *(
        (f"{s['sessions']} at once", s) for s in report.get("steps", []))]
    names = list(dict.fromkeys(k for _, s in steps for k in s["pages"]))
    lines.append(f"  {'page':<14}" + "".join(f"{label:>22}" for label, _ in steps))
    for name in names:
        lines.append(f"  {name:<14}" + "".join(f"{_figure(s['pages'].get(name, {})):>22}"
                                               for _, s in steps))
    for label, key, fmt in (("server CPU s/session", "cpu_s_per_session", "{}"),
                            ("server CPU mean %", "cpu_mean_pct", "{}"),
                            ("RSS idle MB", "rss_idle_mb", "{}"),
                            ("MB per session", "rss_per_session_mb", "{}")):
        lines.append(f"  {label:<14}" + "".join(f"{fmt.format(s['server'][key]):>22}"
                                                for _, s in steps))
    lines.append(f"  {'errors':<14}" + "".join(f"{s['errors']:>22}" for _, s in steps))
    for _n, s in steps:
        lines.extend(f"    ! {e}" for e in s["error_samples"][:3])
    cap = report["capacity"]
    lines.append(f"Targets: page p95 < {PAGE_TARGET_S:.0f} s, sign-in p95 < "
                 f"{SIGN_IN_TARGET_S:.0f} s, no errors — held up to "
                 f"{cap['most_sessions_within_targets']} sessions of {cap['steps_measured']}"
                 + (f"; missed at {cap['fewest_sessions_missing']}"
                    if cap["fewest_sessions_missing"] else ""))
    api = report.get("api")
    if api:
        lines.append(f"HTTP API, {api['clients']} clients at once ({api['requests']} requests, "
                     f"{api['requests_per_s']}/s, server CPU {api['server'].get('cpu_mean_pct')} "
                     f"%), seconds p50 / p95 / max:")
        for kind, figures in api["by_request"].items():
            lines.append(f"  {kind:<8} {_figure(figures)}")
        lines.append(f"  {'all':<8} {_figure(api['all'])}   errors {api['errors']}")
        lines.extend(f"    ! {e}" for e in api["error_samples"][:3])
    return "\n".join(lines)
