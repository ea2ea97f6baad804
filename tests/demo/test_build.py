"""The demo history and the ops commands' command-line behaviour."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from pipeline import db
from pipeline.cli import app
from pipeline.db import tables
from pipeline.demo.build import DemoOptions, build_demo, demo_days
from pipeline.errors import ShelfAuditError
from pipeline.settings import get_settings
from pipeline.sites import load_sites
from tests.factories.databases import use_database

COMMANDS = ("run-once", "scheduler", "report", "demo", "serve", "bigdb")


@pytest.mark.parametrize("command", COMMANDS)
def test_every_ops_command_has_help(command):
    result = CliRunner().invoke(app, [command, "--help"])
    assert result.exit_code == 0 and "Usage" in result.output


def test_demo_days_are_whole_iso_weeks_before_today():
    days = demo_days(2, date(2026, 11, 25))  # a Wednesday
    assert days[0] == date(2026, 11, 9) and days[-1] == date(2026, 11, 22)
    assert days[0].weekday() == 0 and len(days) == 14


@pytest.fixture(scope="module")
def demo_home(tmp_path_factory, module_db_url):
    mp = pytest.MonkeyPatch()
    mp.setenv("SHELFAUDIT_HOME", str(tmp_path_factory.mktemp("demo") / "home"))
    use_database(mp, module_db_url)
    db.upgrade()
    stores = load_sites().stores
    small = [s.__class__(id=s.id, name=s.name, timezone=s.timezone, schedule=s.schedule,
                         cameras=dict(list(s.cameras.items())[:2]))
             for s in (stores[0], stores[-1])]
    summary = build_demo(DemoOptions(weeks=1, inspector="truth", width=640, progress=False,
                                     stores=small, today=date(2026, 11, 25)))
    yield summary, small, module_db_url
    db.dispose_engines()
    mp.undo()
    get_settings.cache_clear()


@pytest.fixture
def demo(demo_home, monkeypatch):
    summary, stores, url = demo_home
    monkeypatch.setenv("SHELFAUDIT_HOME", summary["archive"].removesuffix("/archive"))
    use_database(monkeypatch, url)
    return summary, stores


def test_demo_builds_history_and_reports_through_the_pipeline(demo):
    summary, stores = demo
    assert summary["photos"] == summary["inspections"] == 2 * 2 * 7
    assert summary["reports"] == 2 and summary["failed"] == 0
    with db.session_scope() as s:
        inspectors = set(s.scalars(select(tables.Inspection.inspector)))
        weeks = set(s.scalars(select(tables.Inspection.iso_week)))
        reports = s.scalars(select(tables.Report)).all()
    assert inspectors == {"truth"} and weeks == {"2026-W47"}
    assert all(set(r.files) == {"csv", "xlsx", "pdf"} for r in reports)


def _mean_compliance(*where) -> float:
    with db.session_scope() as s:
        return s.scalar(select(func.avg(tables.Inspection.compliance)).where(*where))


def test_demo_drifts_within_the_week_and_one_store_is_worse(demo):
    _, stores = demo
    best, worst = stores[0].id, stores[-1].id
    assert _mean_compliance(tables.Inspection.store_id == worst) < \
        _mean_compliance(tables.Inspection.store_id == best) - 5
    with db.session_scope() as s:
        def violations(day: date) -> int:
            return s.scalar(select(func.count()).select_from(tables.Violation)
                            .where(tables.Violation.captured_on == day))
        assert violations(date(2026, 11, 22)) > violations(date(2026, 11, 16))  # Sun > Mon


def test_demo_refuses_to_overwrite_history_without_force(demo):
    with pytest.raises(ShelfAuditError, match="--force"):
        build_demo(DemoOptions(weeks=1, inspector="truth", progress=False, stores=demo[1]))


def test_report_command_exports_and_prints_json(demo, tmp_path):
    _, stores = demo
    result = CliRunner().invoke(app, ["report", "--store", stores[0].id, "--week", "2026-W47",
                                      "--format", "csv", "--out", str(tmp_path / "r.csv"),
                                      "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc["files"] == {"csv": str(tmp_path / "r.csv")} and doc["inspections"] == 14
    assert (tmp_path / "r.csv").read_text().startswith("store,week,section")


def test_report_command_rejects_a_bad_format(demo):
    result = CliRunner().invoke(app, ["report", "--store", "s001", "--week", "2026-W47",
                                      "--format", "docx"])
    assert result.exit_code != 0
    assert isinstance(result.exception, ShelfAuditError)


def test_run_once_json_on_an_empty_inbox(demo, monkeypatch):
    monkeypatch.setenv("SHELFAUDIT_INSPECTOR", "fake")
    result = CliRunner().invoke(app, ["run-once", "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert {r["store"] for r in doc["results"]} == {"s001", "s002", "s003"}
    assert all(r["counts"]["seen"] == 0 for r in doc["results"])
