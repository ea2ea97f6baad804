"""``shelfaudit serve`` as ``make run`` starts it: a real process with real children.

* a fresh home serves the sign-in page while the demo history is still being built, and
  Overview shows how far it has got (a real browser);
* SIGTERM stops every child (dashboard, HTTP API, scheduler, demo build) within 5 seconds.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psutil
import pytest
from playwright.sync_api import expect

from pipeline.api.local import free_port
from tests.browser.test_pages import CHROMIUM, browser_page, settle  # noqa: F401
from tests.conftest import REPO

ADMIN_PASSWORD = "serve-test-password-1234"
STOP_WITHIN_S = 5.0


def _get(url: str) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=2) as reply:
            return reply.status
    except OSError:
        return None


def _wait(check, proc: subprocess.Popen, what: str, timeout: float = 180) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        assert proc.poll() is None, f"serve exited with {proc.returncode} before {what}"
        if check():
            return
        time.sleep(0.3)
    raise TimeoutError(f"serve: no {what} after {timeout:.0f}s")


@pytest.fixture
def fresh_home(tmp_path, monkeypatch):
    """An empty SHELFAUDIT_HOME and a rules folder, as on a fresh clone."""
    from pipeline.settings import get_settings

    rules = tmp_path / "rules"
    shutil.copytree(REPO / "rules", rules)
    monkeypatch.setenv("SHELFAUDIT_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("SHELFAUDIT_RULES", str(rules))
    monkeypatch.setenv("SHELFAUDIT_ADMIN_PASSWORD", ADMIN_PASSWORD)
    get_settings.cache_clear()
    return tmp_path


def start_serve(tmp_path: Path, *args: str) -> tuple[subprocess.Popen, int]:
    port = free_port()
    log = (tmp_path / "serve.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "pipeline.cli", "serve", "--port", str(port), *args],
        cwd=REPO, env={**os.environ, "SHELFAUDIT_LANG": "en"}, stdout=log,
        stderr=subprocess.STDOUT, start_new_session=True)
    return proc, port


def children_of(proc: subprocess.Popen) -> list[psutil.Process]:
    try:
        return psutil.Process(proc.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def _gone(p: psutil.Process) -> bool:
    try:
        return p.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def sigterm_and_check_children(proc: subprocess.Popen, children: list[psutil.Process],
                               tmp_path: Path) -> None:
    """SIGTERM to serve: after 5 s no child is left; serve itself then exits with 0 (its own
    interpreter shutdown is not what the 5 s are about, and takes seconds on a busy CI)."""
    assert children
    proc.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_WITHIN_S
    while time.monotonic() < deadline and not all(_gone(c) for c in children):
        time.sleep(0.1)
    left = [" ".join(c.cmdline()[:5]) for c in children if not _gone(c)]
    try:
        assert left == [], f"still running {STOP_WITHIN_S:.0f}s after SIGTERM: {left}"
        assert proc.wait(timeout=30) == 0, (tmp_path / "serve.log").read_text()[-3000:]
    finally:
        for c in children:  # whatever a failing test left behind
            if not _gone(c):
                c.kill()
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


def test_sigterm_stops_the_dashboard_api_and_scheduler_within_5_seconds(fresh_home):
    api_port = free_port()
    proc, port = start_serve(fresh_home, "--no-demo", "--api-port", str(api_port))
    try:
        _wait(lambda: _get(f"http://127.0.0.1:{port}/_stcore/health") == 200, proc,
              "dashboard")
        _wait(lambda: _get(f"http://127.0.0.1:{api_port}/v1/health") is not None, proc, "API")
        _wait(lambda: any("scheduler" in c.cmdline() for c in children_of(proc)), proc,
              "scheduler")
        time.sleep(1.0)  # the scheduler is past its start-up
        children = children_of(proc)
        names = sorted(next(a for a in c.cmdline() if a in ("streamlit", "api", "scheduler"))
                       for c in children)
    except BaseException:
        os.killpg(proc.pid, signal.SIGKILL)
        for c in children_of(proc):
            c.kill()
        raise
    assert names == ["api", "scheduler", "streamlit"]
    sigterm_and_check_children(proc, children, fresh_home)


@pytest.mark.browser
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is missing")
def test_a_fresh_home_serves_sign_in_at_once_and_overview_shows_the_demo_build(
        fresh_home, browser_page):  # noqa: F811 - the fixture imported above
    from pipeline.db import dispose_engines, get_engine
    from pipeline.demo import progress as demo_progress

    page = browser_page
    proc, port = start_serve(fresh_home, "--demo-inspector", "truth", "--no-api")
    children: list[psutil.Process] = []
    try:
        _wait(lambda: _get(f"http://127.0.0.1:{port}/_stcore/health") == 200, proc,
              "dashboard")
        page.goto(f"http://127.0.0.1:{port}")
        page.get_by_role("button", name="Sign in").wait_for()
        before = demo_progress.latest(get_engine())
        assert before is not None and before.running, before  # the demo is still being built
        page.get_by_role("textbox", name="User name").fill("admin")
        page.get_by_role("textbox", name="Password").fill(ADMIN_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.get_by_role("heading", name="Overview").wait_for()
        settle(page)
        page.get_by_text("Building the demo history").wait_for()
        bar = page.locator('[data-testid="stProgress"]')
        first = bar.inner_text()
        assert re.fullmatch(r"Step [1-4] of 4: .*", first), first
        expect(bar).not_to_have_text(first, timeout=90_000)  # it moves on by itself
        assert demo_progress.latest(get_engine()).running  # shown before the build is done
        children = children_of(proc)
        assert any("demo" in c.cmdline() for c in children)
    except BaseException:
        os.killpg(proc.pid, signal.SIGKILL)
        for c in children_of(proc):
            c.kill()
        raise
    finally:
        dispose_engines()
    sigterm_and_check_children(proc, children, fresh_home)
    log = (fresh_home / "serve.log").read_text()
    assert "building the demo history in the background" in log
    assert "Traceback" not in log, log[-3000:]


def test_the_demo_child_falls_back_to_ground_truth_without_models(fresh_home):
    """What serve runs in the background: `demo --or-truth` with models missing."""
    models = fresh_home / "models.yaml"
    models.write_text("detector: /nonexistent/detector.pt\n")
    (fresh_home / "rules" / "stores.yaml").write_text(  # one camera: 7 photos
        "stores:\n  - {id: s001, name: Riverside, timezone: Asia/Shanghai, cameras: "
        "[{id: c01, name: Drinks aisle, planogram: beverages-a}]}\n")
    env = {**os.environ, "SHELFAUDIT_MODELS": str(models), "SHELFAUDIT_LANG": "en"}
    done = subprocess.run([sys.executable, "-m", "pipeline.cli", "demo", "--weeks", "1",
                           "--width", "640", "--or-truth", "--json"], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "building the demo from synthetic ground truth instead" in done.stderr
    assert json.loads(done.stdout)["inspector"] == "truth"
