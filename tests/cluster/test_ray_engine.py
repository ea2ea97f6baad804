"""The ray engine on a real local cluster: same results as the local engine, into PostgreSQL;
an actor killed mid-batch loses nothing and duplicates nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from pipeline import db
from pipeline.db import tables
from pipeline.inbox.inspectors import FakeInspector
from pipeline.inbox.jobs import RunOptions, run_once
from pipeline.settings import get_settings
from pipeline.sites import load_sites
from tests.conftest import REPO
from tests.factories.cluster_photos import drop_synthetic
from tests.factories.databases import use_database

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("ray")]  # one Ray cluster
STORE, CAMERAS = "s001", ("c01", "c02", "c03", "c04")


def results(url: str) -> dict[str, tuple]:
    """Per photo (by content hash): detections, KPIs, rule outcomes and violations."""
    with Session(create_engine(url)) as s:
        rows = s.scalars(select(tables.Inspection)).all()
        out = {}
        for insp in rows:
            payload = {k: v for k, v in insp.detections.payload.items() if k != "path"}
            violations = sorted((v.rule_id, v.rule_type, v.severity, v.message,
                                 str(v.evidence)) for v in insp.violations)
            out[insp.photo.sha256] = (payload, insp.compliance, insp.osa, insp.price_compliance,
                                      insp.promo_compliance, insp.rule_results, violations,
                                      insp.inspector)
    return out


def _ray_engine(address: str, **env: str):
    from pipeline.cluster.ray_engine import RayEngine

    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)  # the actors take these at start
    try:
        engine = RayEngine(address, actors=2, inspector="fake")
        engine.start()
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return engine


def _inspected(url: str | None = None) -> list[tables.Photo]:
    with db.session_scope(url) as s:
        return list(s.scalars(select(tables.Photo)))


def test_40_photos_through_ray_into_postgres_equal_the_local_engine(ray_cluster, pg_cluster,
                                                                    tmp_path, monkeypatch):
    local_home, ray_home = tmp_path / "local", tmp_path / "ray"
    monkeypatch.setenv("SHELFAUDIT_HOME", str(local_home))
    use_database(monkeypatch, None)  # the local engine into SQLite
    db.upgrade()
    drop_synthetic(local_home, STORE, CAMERAS, 40)
    run_once(load_sites().stores, [STORE], RunOptions(inspector=FakeInspector()))
    local = results(get_settings().db_url)
    db.dispose_engines()

    pg_url = pg_cluster.url(pg_cluster.create_database())
    drop_synthetic(ray_home, STORE, CAMERAS, 40)
    env = {**os.environ, "SHELFAUDIT_HOME": str(ray_home), "DATABASE_URL": pg_url,
           "PYTHONPATH": str(REPO)}
    run = subprocess.run(
        [sys.executable, "-m", "pipeline.cli", "run-once", "--store", STORE, "--inspector",
         "fake", "--engine", "ray", "--address", ray_cluster.address, "--actors", "2",
         "--json"], env=env, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert '"inspected": 40' in run.stdout
    on_ray = results(pg_url)
    assert len(local) == 40 and set(on_ray) == set(local)
    for sha, expected in local.items():
        assert on_ray[sha] == expected, sha
    assert sum(len(r[6]) for r in local.values()) > 0  # real rules found real violations
    assert not list((ray_home / "inbox").rglob("*.jpg"))


def test_an_actor_killed_mid_batch_loses_nothing_and_duplicates_nothing(ray_cluster, db_url,
                                                                       tmp_path):
    home = get_settings().home_dir
    db.upgrade()
    drop_synthetic(home, STORE, CAMERAS, 40)
    gate = tmp_path / "gate"  # the actors wait at this gate while it exists
    gate.touch()
    engine = _ray_engine(ray_cluster.address, SHELFAUDIT_FAKE_GATE=str(gate))
    victim = engine.actor_pids()[0]
    outcome: dict = {}
    worker = threading.Thread(target=lambda: outcome.setdefault("results", run_once(
        load_sites().stores, [STORE], RunOptions(engine=engine))))
    worker.start()
    try:
        end = time.monotonic() + 60
        while not any(p.in_flight for p in _inspected()) and time.monotonic() < end:
            time.sleep(0.2)
        time.sleep(1.5)  # the batches reach the actors, which wait at the gate
        os.kill(victim, signal.SIGKILL)
        time.sleep(0.5)
    finally:
        gate.unlink()
        worker.join(timeout=240)
    try:
        assert not worker.is_alive()
        result = outcome["results"][0]
        assert result.counts["inspected"] == 40, result
        photos = _inspected()
        assert len(photos) == 40
        assert {(p.state, p.attempts, p.in_flight) for p in photos} == {
            (tables.INSPECTED, 0, None)}
        with db.session_scope() as s:
            ids = s.scalars(select(tables.Inspection.photo_id)).all()
        assert len(ids) == len(set(ids)) == 40
        assert engine.deaths == 1  # its batch went again, photo by photo
        assert not list((home / "inbox").rglob("*.jpg"))
    finally:
        engine.close()


def test_a_photo_that_kills_its_actor_fails_alone_and_the_rest_are_inspected(ray_cluster,
                                                                             db_url):
    home = get_settings().home_dir
    db.upgrade()
    drop_synthetic(home, STORE, CAMERAS, 15)
    poison = home / "inbox" / STORE / "c01" / "poison_20261116T235900.jpg"
    poison.write_bytes(b"".join([(home / "inbox" / STORE / "c01").glob("*.jpg").__next__()
                                 .read_bytes(), b"\0poison"]))  # other bytes, same picture
    engine = _ray_engine(ray_cluster.address, SHELFAUDIT_FAKE_CRASH_ON="poison")
    try:
        result = run_once(load_sites().stores, [STORE], RunOptions(engine=engine))[0]
    finally:
        engine.close()
    assert result.counts.get("inspected") == 15 and result.counts["retry"] == 1, result.message
    photos = {p.original_name: p for p in _inspected()}
    bad = photos.pop(poison.name)
    assert bad.state == tables.FAILED and bad.attempts == 1 and "died 2 times" in bad.last_error
    assert {(p.state, p.attempts) for p in photos.values()} == {(tables.INSPECTED, 0)}
    assert Path(bad.path) == poison and poison.exists()  # waits in the inbox for the next run
