"""The scheduler: jobs from stores.yaml in a persistent job store, clean stop on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import datetime

import pytest
from sqlalchemy import select

from pipeline import db
from pipeline.db import tables
from pipeline.errors import ShelfAuditError
from pipeline.schedule import scheduler as sched
from pipeline.sites import StoreSpec
from tests.conftest import REPO


@pytest.fixture
def store_db(db_url):
    db.upgrade()
    yield
    db.dispose_engines()


@pytest.mark.parametrize(("text", "tz", "after", "expected"), [
    ("0 2 * * *", "UTC", datetime(2026, 11, 20, 3, 0), datetime(2026, 11, 21, 2, 0)),
    ("30 7,19 * * *", "Asia/Hong_Kong", datetime(2026, 11, 20, 8, 0),
     datetime(2026, 11, 20, 19, 30)),
    ("every 6h", "UTC", None, 6 * 3600),
    ("every 30m", "UTC", None, 1800),
])
def test_schedule_texts_become_triggers(text, tz, after, expected):
    from zoneinfo import ZoneInfo

    trigger = sched.trigger_for(text, tz)
    if after is None:
        assert trigger.interval.total_seconds() == expected
        return
    zone = ZoneInfo(tz)
    fire = trigger.get_next_fire_time(None, after.replace(tzinfo=zone))
    assert fire.replace(tzinfo=None) == expected and fire.utcoffset() == zone.utcoffset(after)


def test_bad_schedule_is_a_user_error():
    with pytest.raises(ShelfAuditError, match="bad schedule"):
        sched.trigger_for("at two", "UTC")


def _stores(*ids: str, schedule: str = "0 2 * * *") -> list[StoreSpec]:
    return [StoreSpec(id=i, name=i, timezone="Asia/Shanghai", schedule=schedule) for i in ids]


def test_jobs_persist_in_the_database_and_follow_stores_yaml(store_db):
    first = sched.build_scheduler()
    first.start(paused=True)
    ids = sched.configure(first, _stores("s1", "s2"))
    assert ids == ["inspect:s1", "report:s1", "inspect:s2", "report:s2"]
    first.shutdown(wait=False)

    second = sched.build_scheduler()  # a restart sees the same jobs
    second.start(paused=True)
    jobs = {j.id: j for j in second.get_jobs(jobstore="default")}
    assert set(jobs) == set(ids)
    report = jobs["report:s1"]
    assert (report.coalesce, report.max_instances, report.misfire_grace_time) == (
        True, 1, sched.MISFIRE_GRACE_S)
    fire = report.trigger.get_next_fire_time(None, datetime(2026, 11, 18, tzinfo=report.trigger.timezone))
    assert fire.weekday() == 0 and (fire.hour, fire.minute) == (6, 0)  # Monday 06:00 local
    sched.configure(second, _stores("s2"))  # s1 removed from stores.yaml
    assert {j.id for j in second.get_jobs(jobstore="default")} == {"inspect:s2", "report:s2"}
    second.shutdown(wait=False)


def test_missed_run_is_recorded_as_skipped(store_db):
    from apscheduler.events import EVENT_JOB_MISSED, JobEvent

    event = JobEvent(EVENT_JOB_MISSED, "inspect:s1", "default")
    event.scheduled_run_time = datetime(2026, 11, 20, 2, 0)
    sched._on_missed(event)
    with db.session_scope() as s:
        run = s.scalars(select(tables.JobRun)).one()
    assert (run.job, run.store_id, run.status) == ("inspect", "s1", tables.SKIPPED)
    assert "missed" in run.message


def test_sigterm_stops_the_scheduler_cleanly(store_db):
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, "-m", "pipeline.cli", "scheduler"], env=env,
                            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    from sqlalchemy import text

    def jobs_stored() -> int:
        if not db.has_table("apscheduler_jobs"):
            return 0
        with db.get_engine().connect() as conn:
            return conn.execute(text("SELECT COUNT(*) FROM apscheduler_jobs")).scalar()

    deadline = time.monotonic() + 90
    while jobs_stored() < 6 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.2)
    time.sleep(0.5)  # let it print its schedule
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    text_out = out
    assert proc.returncode == 0, err
    assert "scheduled inspect:s001" in text_out and "scheduled report:s003" in text_out
    assert "scheduler stopped" in text_out


def test_a_scheduled_inspection_runs_the_store_and_leaves_a_job_run(store_db, monkeypatch):
    from pipeline.settings import get_settings
    from tests.factories.sites import drop_photos

    monkeypatch.setenv("SHELFAUDIT_INSPECTOR", "fake")
    drop_photos(get_settings().home_dir, "s002", "c03", 2)
    sched.scheduled_inspection("s002")
    with db.session_scope() as s:
        run = s.scalars(select(tables.JobRun)).one()
        assert (run.store_id, run.trigger, run.status) == ("s002", "scheduled", tables.OK)
        assert run.counts["inspected"] == 2 and run.finished_at is not None


def test_a_scheduled_run_with_an_unreadable_stores_yaml_records_the_error(store_db, tmp_path,
                                                                         monkeypatch):
    from pipeline.settings import get_settings

    (tmp_path / "stores.yaml").write_text("stores: [ {id: s1\n")
    monkeypatch.setenv("SHELFAUDIT_RULES", str(tmp_path))
    get_settings.cache_clear()
    sched.scheduled_inspection("s1")
    with db.session_scope() as s:
        run = s.scalars(select(tables.JobRun)).one()
    assert run.status == tables.ERROR and "stores.yaml" in run.message
