"""The engine setting: flags over environment over the settings file; clear errors."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from pipeline.cluster import engine_settings, make_engine
from pipeline.cluster.config import EngineSettings
from pipeline.errors import ShelfAuditError
from pipeline.settings import get_settings


def test_local_is_the_default_and_builds_no_engine():
    assert engine_settings() == EngineSettings("local", "auto", None)
    assert make_engine(engine_settings()) is None


def test_flags_win_over_environment_over_file(monkeypatch):
    home = get_settings().home_dir
    home.mkdir(parents=True)
    (home / "cluster.yaml").write_text("engine: ray\naddress: ray://head:10001\nactors: 3\n")
    assert engine_settings() == EngineSettings("ray", "ray://head:10001", 3)
    monkeypatch.setenv("SHELFAUDIT_RAY_ACTORS", "5")
    monkeypatch.setenv("SHELFAUDIT_ENGINE", "local")
    assert engine_settings() == EngineSettings("local", "ray://head:10001", 5)
    assert engine_settings("ray", "10.0.0.1:6379", 2) == EngineSettings("ray", "10.0.0.1:6379", 2)
    engine = make_engine(engine_settings("ray"), "fake")
    assert engine.name == "ray" and engine.address == "ray://head:10001"  # not connected yet


@pytest.mark.parametrize(("text", "message"), [
    ("engine: spark\n", "unknown engine 'spark'"),
    ("actors: none\n", "actors must be a whole number"),
    ("engines: ray\n", "unknown setting 'engines'"),
])
def test_bad_settings_are_user_errors(text, message):
    home = get_settings().home_dir
    home.mkdir(parents=True)
    (home / "cluster.yaml").write_text(text)
    with pytest.raises(ShelfAuditError, match=message):
        engine_settings()


def test_run_once_refuses_an_unknown_engine_with_exit_2():
    from pipeline.cli import app

    result = CliRunner().invoke(app, ["run-once", "--engine", "spark"])
    assert result.exit_code != 0
    assert isinstance(result.exception, ShelfAuditError)
    assert "unknown engine 'spark'" in str(result.exception)


def test_scheduled_inspections_use_the_schedulers_engine(monkeypatch):
    from pipeline import db
    from pipeline.inbox.engines import LocalEngine
    from pipeline.inbox.inspectors import FakeInspector
    from pipeline.schedule import scheduler as sched
    from tests.factories.sites import drop_photos

    class Counting(LocalEngine):
        batches = 0

        def inspect(self, batches, rules, mark, done):
            Counting.batches += len(batches)
            super().inspect(batches, rules, mark, done)

    db.upgrade()
    drop_photos(get_settings().home_dir, "s002", "c03", 2)
    monkeypatch.setattr(sched, "ENGINE", Counting(FakeInspector()))
    sched.scheduled_inspection("s002")
    db.dispose_engines()
    assert Counting.batches == 1
