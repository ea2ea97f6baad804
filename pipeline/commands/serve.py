"""``shelfaudit serve`` (what ``make run`` starts): the dashboard at once, the demo history in
the background, the HTTP API and the scheduler — and all of them stopped on SIGTERM.

Each child runs in its own session (process group), so a signal meant for ``serve`` reaches
its children only through :class:`Children`: on SIGTERM or Ctrl-C every group gets SIGTERM,
whatever is left after :data:`GRACE_S` gets SIGKILL, and ``serve`` exits once all are reaped —
well within 5 seconds. A scheduler killed mid-batch loses nothing (the runner's in-flight
marks, see :mod:`pipeline.inbox.runner`). On Linux a child also gets SIGTERM should ``serve``
itself die without cleaning up (``PR_SET_PDEATHSIG``).

On a fresh home (no inspections) the demo history is built by a background child at lower
CPU priority while the dashboard already serves the sign-in page; Overview shows its progress
(:mod:`pipeline.demo.progress`). The scheduler starts when the demo is done, so that
it never inspects the demo's inbox with other models.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence

import typer

from pipeline.i18n import _

GRACE_S = 3.0  # SIGTERM, then SIGKILL after this long
POLL_S = 0.25
DEMO_NICE = 10


def _child_setup() -> None:  # runs in the child between fork and exec
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass


def _demo_setup() -> None:
    _child_setup()
    os.nice(DEMO_NICE)  # the dashboard comes first


class Children:
    """The processes ``serve`` started, each in its own process group."""

    def __init__(self) -> None:
        self.procs: dict[str, subprocess.Popen] = {}

    def start(self, name: str, args: Sequence[str], background: bool = False,
              **kwargs) -> subprocess.Popen:
        proc = subprocess.Popen(list(args), start_new_session=True,
                                preexec_fn=_demo_setup if background else _child_setup,
                                **kwargs)
        self.procs[name] = proc
        return proc

    def exited(self, name: str) -> int | None:
        proc = self.procs.get(name)
        return None if proc is None else proc.poll()

    def _signal(self, proc: subprocess.Popen, sig: int) -> None:
        try:
            os.killpg(proc.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass

    def stop(self, grace_s: float = GRACE_S) -> None:
        """SIGTERM to every group, SIGKILL to what is left after ``grace_s``; reap all."""
        for proc in self.procs.values():
            if proc.poll() is None:
                self._signal(proc, signal.SIGTERM)
        deadline = time.monotonic() + grace_s
        while time.monotonic() < deadline and any(p.poll() is None for p in
                                                  self.procs.values()):
            time.sleep(0.05)
        for proc in self.procs.values():
            self._signal(proc, signal.SIGKILL)  # the group: grandchildren too
            try:
                proc.wait(timeout=2)
            except subprocess.TimeoutExpired:
                pass


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "pipeline.cli", *args]


def _empty() -> bool:
    from sqlalchemy import func, select

    from pipeline import db
    from pipeline.db import tables

    with db.session_scope() as session:
        return not session.scalar(select(func.count()).select_from(tables.Inspection))


def serve(
    port: int = typer.Option(8501, "--port", help="Dashboard port."),
    address: str = typer.Option(
        "127.0.0.1", "--address", envvar="SHELFAUDIT_SERVE_ADDRESS",
        help="Listen address: 127.0.0.1 (this machine only; put the TLS reverse proxy of "
             "docs/SECURITY.md in front) or 0.0.0.0 to listen on every interface."),
    no_scheduler: bool = typer.Option(False, "--no-scheduler", help="Dashboard only."),
    api_port: int = typer.Option(8502, "--api-port", envvar="SHELFAUDIT_API_PORT",
                                 help="Port of the HTTP API (shelfaudit api), on --address."),
    no_api: bool = typer.Option(False, "--no-api", help="Do not start the HTTP API."),
    no_demo: bool = typer.Option(False, "--no-demo", help="Never seed demo history."),
    demo_inspector: str = typer.Option(
        "models", "--demo-inspector", envvar="SHELFAUDIT_DEMO_INSPECTOR",
        help="Who inspects the demo photos: models (real pipeline) or truth (fast)."),
) -> None:
    """What `make run` starts: upgrade the database, then the Streamlit dashboard at once; on
    a database without inspections the demo history is built in the background (progress on
    Overview); the HTTP API (port 8502) and the scheduler (once the demo is built) run as
    child processes.

    SIGTERM or Ctrl-C stops every child within a few seconds. The dashboard listens on this
    machine only unless --address (or SHELFAUDIT_SERVE_ADDRESS) says otherwise; see
    docs/SECURITY.md for serving it to others over HTTPS.
    """
    from pipeline import db
    from pipeline.commands.users import announce_first_admin
    from pipeline.settings import REPO_ROOT

    db.upgrade()
    announce_first_admin()  # no account yet: create `admin`, print its password once
    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set())
                for sig in (signal.SIGTERM, signal.SIGINT)}
    children = Children()
    demo_run = None
    try:
        if not no_demo and _empty():
            typer.echo(_("the database has no inspections yet: building the demo history in "
                         "the background (progress on Overview); the scheduler starts when it "
                         "is done"))
            from pipeline.demo import progress as demo_progress

            demo_run = demo_progress.begin()  # Overview shows the build from the first second
            children.start("demo", _cli("demo", "--weeks", "8", "--inspector", demo_inspector,
                                        "--or-truth", "--json", "--progress-row", str(demo_run)),
                           background=True, stdout=subprocess.DEVNULL)
        # the router behind the dashboard's own server (the sign-in cookie's route)
        children.start("dashboard", [sys.executable, "-m", "streamlit", "run",
                                     str(REPO_ROOT / "pipeline" / "dashboard" / "server.py"),
                                     "--server.port",
                                     str(port), "--server.address", address,
                                     "--server.headless", "true"], cwd=REPO_ROOT)
        if not no_api:
            children.start("api", _cli("api", "--host", address, "--port", str(api_port)))
        code = _supervise(children, stop, no_scheduler, demo_run)
    finally:
        children.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    raise typer.Exit(code)


def _supervise(children: Children, stop: threading.Event, no_scheduler: bool,
               demo_run: int | None) -> int:
    """Wait for SIGTERM / Ctrl-C or the dashboard's end; start the scheduler after the demo."""
    from pipeline.demo import progress as demo_progress

    scheduler_due = not no_scheduler
    demo_over = demo_run is None
    while not stop.wait(POLL_S):
        code = children.exited("dashboard")
        if code is not None:
            return code
        demo = children.exited("demo")
        if not demo_over and demo is not None:
            demo_over = True
            if demo:
                demo_progress.fail_if_running(demo_run, f"exit code {demo}")
                typer.echo(_("warning: the demo history could not be built (exit code "
                             "{code}); see the Overview page").format(code=demo), err=True)
            else:
                typer.echo(_("demo history built"))
        if scheduler_due and demo_over:
            children.start("scheduler", _cli("scheduler"))
            scheduler_due = False
    return 0
