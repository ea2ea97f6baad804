"""``shelfaudit bench load`` end to end, briefly: its own ``streamlit run`` and ``shelfaudit
api`` on the small store history, two sessions over the app's websocket and one API client.

What is asserted is that the harness does what it reports — sessions sign in (a wrong
password does not), pages are opened and drawn, the figures are there — never how fast.
"""

from __future__ import annotations

import asyncio
import json

import pytest
from typer.testing import CliRunner

from pipeline.cli import app

pytestmark = pytest.mark.slow
PAGES = ("weekly_report", "inspections", "")


@pytest.fixture(scope="module")
def small_home(tmp_path_factory):
    """The small store history with the bench's accounts (one admin, one supervisor)."""
    from pipeline.loadbench import servers
    from tests.factories.demo_db import build_small_db

    home = tmp_path_factory.mktemp("load") / "home"
    with servers.home_env(home):
        build_small_db(home)
    servers.ensure_accounts(home, 1)
    return home


@pytest.fixture(scope="module")
def dashboard(small_home):
    """One ``streamlit run`` on the small history for the module's protocol-level tests."""
    from pipeline.loadbench import servers

    with servers.dashboard(small_home) as server:
        yield server


def test_two_sessions_sign_in_open_pages_and_report(small_home):
    result = CliRunner().invoke(app, [
        "bench", "load", "--sessions", "2", "--home", str(small_home), "--pages",
        "weekly_report,inspections,overview", "--api-clients", "1", "--api-rounds", "1",
        "--timeout", "300", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout[result.stdout.index("{"):])
    (step,) = report["steps"]
    assert step["sessions"] == 2 and step["signed_in"] == 2
    assert step["errors"] == 0, step["error_samples"]
    for page in ("sign-in", "weekly_report", "inspections", "overview"):
        figures = step["pages"][page]
        assert figures["n"] == 2, (page, figures)
        assert 0 < figures["p50"] <= figures["p95"] <= figures["max"]
    server = step["server"]
    assert server["cpu_s"] > 0 and server["rss_idle_mb"] > 0
    assert "rss_per_session_mb" in server
    assert report["server"]["tracebacks_in_log"] == 0
    assert set(report["capacity"]) >= {"most_sessions_within_targets", "steps_measured"}
    api = report["api"]
    assert api["errors"] == 0, api["error_samples"]
    assert api["by_request"]["push"]["n"] == 1 and api["by_request"]["list"]["n"] == 1
    assert not list((small_home / "inbox").glob("*/*/api-*"))  # pushed photos cleaned up


def test_a_wrong_password_is_an_error_not_a_sign_in(small_home, dashboard):
    from pipeline.loadbench import servers
    from pipeline.loadbench.sessions import run_sessions

    (admin, _), (user, _) = servers.ensure_accounts(small_home, 1)
    found, idle, _wall = asyncio.run(run_sessions(
        [dashboard.url], [user, admin], "not-the-password", PAGES, timeout=60,
        at_idle=lambda: "idle"))
    assert idle == "idle"
    for times in found:
        assert not times.signed_in
        assert any("still on the sign-in form" in e for e in times.errors), times.errors
        assert "weekly_report" not in times.seconds


def test_the_wire_client_reads_pages_and_widgets(small_home, dashboard):
    from pipeline.loadbench import servers
    from pipeline.loadbench.wire import StreamlitTab

    (admin, _), *_ = servers.ensure_accounts(small_home, 1)

    async def visit(url: str) -> tuple:
        async with StreamlitTab(url, timeout=60) as tab:
            form = await tab.rerun()
            ids = (form.widget_id("auth_username"), form.widget_id("auth_password"),
                   form.submit_button("auth_login"))
            tab.widgets = {ids[0]: admin, ids[1]: servers.PASSWORD}
            signed = await tab.rerun(triggers={ids[2]: True})
            tab.widgets = {}
            inspections = await tab.rerun(signed.pages["inspections"])
            return form, signed, inspections

    form, signed, inspections = asyncio.run(visit(dashboard.url))
    assert "Sign in" in form.headings
    assert signed.runs == 2  # the sign-in run, then st.rerun() into Overview
    assert signed.headings[0] == "Overview" and not signed.exceptions
    assert {"", "weekly_report", "inspections", "trends", "admin"} <= set(signed.pages)
    assert inspections.headings[0] == "Inspections" and not inspections.exceptions
