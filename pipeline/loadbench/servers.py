"""The bench's home (a demo database and its accounts) and the dashboard it starts.

:func:`prepare_home` builds ``shelfaudit demo --inspector truth`` in a scratch
``SHELFAUDIT_HOME`` once and reuses it while it is fresh (the demo's weeks end last week);
a given ``--home`` that already has inspections is used as it is. :func:`dashboard` runs
``streamlit run streamlit_app.py`` on a free 127.0.0.1 port against that home and stops it on
the way out; :class:`Sampler` watches the server process's CPU and memory (psutil).
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pipeline.errors import ShelfAuditError
from pipeline.i18n import _
from pipeline.settings import REPO_ROOT

# the bench accounts' password: new for each bench process (accounts of a reused scratch home
# get it again), so no password is written in the code
PASSWORD = secrets.token_urlsafe(18)
MARKER = "bench-load.json"  # what the bench built in a home, and when
FRESH = timedelta(days=6)


def default_home() -> Path:
    """Where the bench keeps its demo between runs (a folder in the system's temp dir)."""
    return Path(tempfile.gettempdir()) / "shelfaudit-bench-load" / "home"


@contextmanager
def home_env(home: Path) -> Iterator[None]:
    """``SHELFAUDIT_HOME=home`` in this process for a while (settings and engines reset)."""
    from pipeline.db import dispose_engines
    from pipeline.settings import get_settings

    old = os.environ.get("SHELFAUDIT_HOME")
    os.environ["SHELFAUDIT_HOME"] = str(home)
    get_settings.cache_clear()
    try:
        yield
    finally:
        dispose_engines()
        if old is None:
            os.environ.pop("SHELFAUDIT_HOME", None)
        else:
            os.environ["SHELFAUDIT_HOME"] = old
        get_settings.cache_clear()


def _inspections(home: Path) -> int:
    from sqlalchemy import func, select

    from pipeline.db import session_scope, tables, upgrade

    with home_env(home):
        upgrade()
        with session_scope() as session:
            return int(session.scalar(select(func.count()).select_from(tables.Inspection)) or 0)


def _photos_there(home: Path) -> bool:
    """Whether the home's newest photo file is where its database says (a home moved or
    half-deleted is built again)."""
    from sqlalchemy import select
    from sqlalchemy.exc import SQLAlchemyError

    from pipeline.db import session_scope, tables

    try:
        with home_env(home), session_scope() as session:
            path = session.scalar(select(tables.Photo.path).order_by(tables.Photo.id.desc())
                                  .limit(1))
    except SQLAlchemyError:
        return False
    return path is not None and Path(path).is_file()


def prepare_home(home: Path | None, weeks: int, log=print) -> Path:
    """A home with inspections: ``home`` as it is when it has some, else the demo (built now
    unless the bench built one with the same weeks less than six days ago)."""
    where = Path(home) if home else default_home()
    marker = where / MARKER
    try:
        made = json.loads(marker.read_text())
        built = datetime.fromisoformat(made["built"])
        if made.get("weeks") == weeks and datetime.now(UTC) - built < FRESH and _photos_there(
                where):
            return where
    except (OSError, ValueError, KeyError, TypeError):
        if home and where.exists() and _inspections(where):
            return where  # someone's own database: use it as it is
    where.mkdir(parents=True, exist_ok=True)
    log(_("building the demo history ({weeks} weeks, ground truth as inspector) in {where} …")
        .format(weeks=weeks, where=where))
    env = {**os.environ, "SHELFAUDIT_HOME": str(where)}
    done = subprocess.run([sys.executable, "-m", "pipeline.cli", "demo", "--inspector", "truth",
                           "--weeks", str(weeks), "--force", "--json"], env=env,
                          capture_output=True, text=True, cwd=REPO_ROOT, check=False)
    if done.returncode != 0:
        raise ShelfAuditError(_("building the demo failed: {error}").format(
            error=done.stderr.strip()[-2000:]))
    marker.write_text(json.dumps({"weeks": weeks, "built": datetime.now(UTC).isoformat(),
                                  "demo": json.loads(done.stdout.strip().splitlines()[-1])}))
    return where


def ensure_accounts(home: Path, count: int, prefix: str = "load") -> list[tuple[str, list[str]]]:
    """``count`` supervisor accounts (``load-01`` …), each with one store, round robin over
    the home's stores, and an admin ``load-admin`` first; ``[(name, stores)]``, admin first.
    All share :data:`PASSWORD`; existing accounts are kept and given it."""
    from sqlalchemy import select

    from pipeline.access import accounts
    from pipeline.db import session_scope, tables

    with home_env(home):
        with session_scope() as session:
            stores = sorted(session.scalars(select(tables.Store.id)))
        if not stores:
            raise ShelfAuditError(_("{home} has no stores: build a demo first").format(
                home=home))
        wanted = [(f"{prefix}-admin", "admin", [])] + [
            (f"{prefix}-{i + 1:02d}", "supervisor", [stores[i % len(stores)]])
            for i in range(count)]
        for name, role, where in wanted:
            if accounts.get_user(name) is None:
                accounts.add_user(name, PASSWORD, role=role, stores=where,
                                  display_name=name, actor="bench")
            else:
                accounts.set_password(name, PASSWORD, actor="bench")
    return [(name, where) for name, _, where in wanted]


@dataclass(frozen=True)
class Dashboard:
    url: str
    pid: int
    log: Path


def _server_pid(process: subprocess.Popen, profiled: bool, timeout_s: float = 30) -> int:
    """The streamlit process: ``process`` itself, or py-spy's child when profiled."""
    import psutil

    if not profiled:
        return process.pid
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        children = psutil.Process(process.pid).children()
        if children:
            return children[0].pid
        time.sleep(0.1)
    raise ShelfAuditError(_("py-spy did not start the dashboard"))


def _stop(process: subprocess.Popen, pid: int) -> None:
    import psutil

    if pid != process.pid:  # profiled: stop streamlit; py-spy then writes its file and exits
        try:
            psutil.Process(pid).terminate()
        except psutil.NoSuchProcess:
            pass
    else:
        process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=15)


@contextmanager
def dashboard(home: Path, timeout_s: float = 120, profile: Path | None = None,
              script: Path = REPO_ROOT / "streamlit_app.py", inspector: str = "fake"
              ) -> Iterator[Dashboard]:
    """``streamlit run streamlit_app.py`` on a free 127.0.0.1 port with ``SHELFAUDIT_HOME=home``
    (no file watcher; the fake inspector, so nothing loads models); stopped on the way out
    (SIGTERM, then SIGKILL). ``script``: what to run instead (``pipeline/dashboard/server.py``,
    what ``shelfaudit serve`` runs: the router plus the sign-in cookie route, so a new page
    load stays signed in); ``inspector``: who inspects uploads (``models`` for the real
    pipeline). Its output goes to ``home/streamlit-load-PORT.log``. With
    ``profile``, the server runs under ``py-spy record --gil`` (raw collapsed stacks of the
    thread holding the GIL — the one the others wait for — written there; py-spy must be
    installed: ``pip install py-spy``)."""
    import shutil

    from pipeline.api.local import free_port, wait_ready

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = home / f"streamlit-load-{port}.log"
    env = {**os.environ, "SHELFAUDIT_HOME": str(home), "SHELFAUDIT_INSPECTOR": inspector,
           "SHELFAUDIT_LANG": "en"}
    command = [sys.executable, "-m", "streamlit", "run", str(script),
               "--server.port", str(port), "--server.address", "127.0.0.1",
               "--server.headless", "true", "--browser.gatherUsageStats", "false",
               "--server.fileWatcherType", "none", "--server.runOnSave", "false"]
    if profile is not None:
        spy = shutil.which("py-spy") or shutil.which("py-spy", path=str(Path(sys.executable)
                                                                         .parent))
        if spy is None:
            raise ShelfAuditError(_("--profile needs py-spy (pip install py-spy)"))
        command = [spy, "record", "--format", "raw", "--rate", "50", "--nonblocking", "--gil",
                   "-o", str(profile), "--", *command]
    with open(log, "wb") as out:
        process = subprocess.Popen(command, env=env, cwd=REPO_ROOT, stdout=out,
                                   stderr=subprocess.STDOUT)
    pid = process.pid
    try:
        pid = _server_pid(process, profile is not None)
        wait_ready(f"{url}/_stcore/health", process, log, timeout_s, "streamlit",
                   every_s=0.3)
        yield Dashboard(url, pid, log)
    finally:
        _stop(process, pid)


@contextmanager
def dashboards(home: Path, count: int = 1, profile: Path | None = None
               ) -> Iterator[list[Dashboard]]:
    """``count`` dashboards (replicas) on one home, each on its own port; ``profile`` profiles
    the first one."""
    from contextlib import ExitStack

    with ExitStack() as stack:
        yield [stack.enter_context(dashboard(home, profile=profile if i == 0 else None))
               for i in range(count)]


class Sampler:
    """CPU and memory of some processes together (the dashboard replicas), sampled every
    ``every`` seconds in a thread while it runs (``with Sampler(pids) as s: ...``; then
    ``s.figures()``)."""

    def __init__(self, pids: int | list[int], every: float = 0.5) -> None:
        import psutil

        self.processes = [psutil.Process(p) for p in ([pids] if isinstance(pids, int)
                                                      else pids)]
        self.every = every
        self.cpu: list[float] = []
        self.rss: list[int] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def rss_mb(self) -> float:
        return sum(p.memory_info().rss for p in self.processes) / 2**20

    def cpu_seconds(self) -> float:
        return sum(t.user + t.system for t in (p.cpu_times() for p in self.processes))

    def _run(self) -> None:
        for p in self.processes:
            p.cpu_percent(None)
        while not self._stop.wait(self.every):
            try:
                self.cpu.append(sum(p.cpu_percent(None) for p in self.processes))
                self.rss.append(sum(p.memory_info().rss for p in self.processes))
            except Exception:  # noqa: BLE001 - a server went away: stop sampling
                return

    def __enter__(self) -> Sampler:
        self._cpu0, self._wall0 = self.cpu_seconds(), time.perf_counter()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.cpu_s = self.cpu_seconds() - self._cpu0
        self.wall_s = time.perf_counter() - self._wall0

    def figures(self) -> dict[str, float]:
        """Server CPU seconds, mean and peak CPU % (100 % = one core), peak RSS (MB)."""
        return {"cpu_s": round(self.cpu_s, 2), "wall_s": round(self.wall_s, 2),
                "cpu_mean_pct": round(100 * self.cpu_s / max(self.wall_s, 1e-9), 1),
                "cpu_peak_pct": round(max(self.cpu, default=0.0), 1),
                "rss_peak_mb": round(max(self.rss, default=0) / 2**20, 1)}
