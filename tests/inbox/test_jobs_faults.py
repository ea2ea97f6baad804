"""Faults with real processes: kill -9 mid-run, concurrent runs, broken rule files."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from pipeline import db
from pipeline.db import tables
from pipeline.settings import get_settings
from tests.conftest import REPO
from tests.factories.sites import drop_photos


@pytest.fixture
def home(db_url):
    db.upgrade()
    yield get_settings().home_dir
    db.dispose_engines()


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "pipeline.cli", *args]


def _env(delay: float) -> dict[str, str]:
    return {**os.environ, "SHELFAUDIT_INSPECTOR": f"fake:{delay}", "PYTHONPATH": str(REPO)}


def _count(model, *where) -> int:
    with db.session_scope() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))


def _wait_for(predicate, timeout: float = 90.0) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError("timed out waiting")


def test_kill_9_mid_run_then_restart_loses_no_photo_and_duplicates_nothing(home):
    drop_photos(home, "s001", "c01", 5)
    drop_photos(home, "s001", "c02", 5, seed=1)
    proc = subprocess.Popen(_cli("run-once", "--store", "s001", "--batch", "2"),
                            env=_env(0.4), cwd=REPO, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        _wait_for(lambda: _count(tables.Inspection) >= 2)
    finally:
        proc.kill()  # SIGKILL: no cleanup, lease row left behind
        proc.wait()
    done_before = _count(tables.Inspection)
    assert 2 <= done_before < 10, "the kill should land mid-run"
    assert _count(tables.Lease) == 1  # the dead run's lease is still there

    again = subprocess.run(_cli("run-once", "--store", "s001", "--json"), env=_env(0),
                           cwd=REPO, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr
    assert _count(tables.Inspection) == 10
    with db.session_scope() as s:
        photo_ids = s.scalars(select(tables.Inspection.photo_id)).all()
        states = s.scalars(select(tables.Photo.state)).all()
        paths = s.scalars(select(tables.Photo.path)).all()
    assert len(set(photo_ids)) == 10 and states == [tables.INSPECTED] * 10
    archived = sorted((home / "archive" / "s001").rglob("*.jpg"))
    assert len(archived) == 10 and sorted(paths) == sorted(str(p) for p in archived)
    assert not list((home / "inbox").rglob("*.jpg"))
    assert _count(tables.Lease) == 0


def test_run_once_during_a_run_skips_and_says_why(home, monkeypatch, tmp_path):
    from typer.testing import CliRunner

    from pipeline.cli import app

    drop_photos(home, "s001", "c01", 3)
    gate = tmp_path / "hold"  # the first run's inspector waits while this file exists
    gate.touch()
    first = subprocess.Popen(_cli("run-once", "--store", "s001"),
                             env={**_env(0), "SHELFAUDIT_FAKE_GATE": str(gate)}, cwd=REPO,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        _wait_for(lambda: _count(tables.Photo) == 3)  # claimed: inside the inspection now
        monkeypatch.setenv("SHELFAUDIT_INSPECTOR", "fake:0")
        second = CliRunner().invoke(app, ["run-once", "--store", "s001"])
    finally:
        gate.unlink()
        out, err = first.communicate(timeout=120)
    assert second.exit_code == 0, second.output
    assert "s001: skipped" in second.output
    assert "another run is inspecting store s001" in second.output
    assert f"pid {first.pid}" in second.output
    assert first.returncode == 0, err
    assert "s001: ok" in out
    assert _count(tables.Inspection) == 3
    assert _count(tables.JobRun, tables.JobRun.status == tables.SKIPPED) == 1


def test_broken_rule_file_keeps_last_good_version_for_its_stores_only(home, tmp_path,
                                                                     monkeypatch):
    from pipeline.inbox.inspectors import FakeInspector
    from pipeline.inbox.jobs import RunOptions, run_once
    from pipeline.sites import load_sites

    rules = tmp_path / "rules"
    shutil.copytree(REPO / "rules", rules)
    monkeypatch.setenv("SHELFAUDIT_RULES", str(rules))
    get_settings.cache_clear()
    options = RunOptions(inspector=FakeInspector())
    drop_photos(home, "s001", "c01", 1)
    drop_photos(home, "s002", "c02", 1, seed=2)
    run_once(load_sites().stores, ["s001", "s002"], options)  # records the good versions

    beverages = rules / "beverages.yaml"  # applies to cameras c01 and c04 only
    beverages.write_text(beverages.read_text().replace("type: orientation",
                                                       "type: orientashun", 1))
    drop_photos(home, "s001", "c01", 1, seed=3)
    drop_photos(home, "s002", "c02", 1, seed=4)
    results = {r.store: r for r in run_once(load_sites().stores, ["s001", "s002"], options)}
    assert results["s001"].counts["inspected"] == 1 and results["s002"].counts["inspected"] == 1
    note = " ".join(results["s001"].notes)
    assert "beverages.yaml" in note and "orientashun" in note and "last good version" in note
    with db.session_scope() as s:
        good, bad = s.scalars(select(tables.RuleSetVersion)
                              .where(tables.RuleSetVersion.name == "beverages.yaml")
                              .order_by(tables.RuleSetVersion.id)).all()
        assert good.is_valid and not bad.is_valid and "orientashun" in bad.problems[0]
        newest = s.scalars(select(tables.Inspection).where(tables.Inspection.store_id == "s001")
                           .order_by(tables.Inspection.id.desc())).first()
        assert newest.rule_versions["beverages.yaml"] == good.id
        runs = {r.store_id: r.status for r in s.scalars(
            select(tables.JobRun).order_by(tables.JobRun.id.desc()).limit(2))}
    assert runs["s001"] == tables.PARTIAL


def test_broken_rule_file_with_no_good_version_stops_only_its_stores(home, tmp_path,
                                                                    monkeypatch):
    from pipeline.inbox.inspectors import FakeInspector
    from pipeline.inbox.jobs import RunOptions, run_once
    from pipeline.sites import load_sites

    rules = tmp_path / "rules"
    shutil.copytree(REPO / "rules", rules)
    (rules / "zz-new.yaml").write_text(
        'applies_to: {stores: ["s001"]}\nrules:\n  - {id: x, type: min_facing}\n')
    monkeypatch.setenv("SHELFAUDIT_RULES", str(rules))
    get_settings.cache_clear()
    drop_photos(home, "s001", "c01", 1)
    drop_photos(home, "s002", "c01", 1, seed=2)
    results = {r.store: r for r in run_once(load_sites().stores, ["s001", "s002"],
                                            RunOptions(inspector=FakeInspector()))}
    assert results["s001"].status == tables.ERROR and "zz-new.yaml" in results["s001"].message
    assert results["s002"].counts["inspected"] == 1
    assert Path(home / "inbox" / "s001" / "c01").exists()  # waits for the fix, not lost
    assert len(list((home / "inbox" / "s001").rglob("*.jpg"))) == 1
