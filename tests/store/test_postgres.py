"""The store on PostgreSQL, unchanged: migrations, the runner, leases, reports, bigdb."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from pipeline.settings import get_settings
from pipeline.store import db, tables
from tests.store.helpers import FakeRules, drop_photos, make_sites
from tests.store.pg import postgres_cluster

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def pg_url():
    with postgres_cluster() as url:
        yield url
    db.dispose_engines()


@pytest.fixture
def on_pg(pg_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", pg_url)
    get_settings.cache_clear()
    db.upgrade()
    yield pg_url
    db.dispose_engines()


def test_migrations_give_the_models_on_postgres(on_pg):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    engine = db.get_engine()
    assert engine.dialect.name == "postgresql"
    assert db.current_revision() == db.head_revision()
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), tables.Base.metadata) == []


def test_runner_leases_and_reports_work_on_postgres(on_pg):
    from pipeline.store import reports
    from pipeline.store.inspectors import FakeInspector
    from pipeline.store.jobs import RunOptions, run_once
    from pipeline.store.locks import Lease

    home = get_settings().home_dir
    drop_photos(home, "s1", "c1", 3, day=17)
    drop_photos(home, "s1", "c2", 2, seed=4, day=17)
    options = RunOptions(inspector=FakeInspector(), rules_loader=lambda s: FakeRules())
    held = Lease("inspect:s2").acquire()
    try:
        results = {r.store: r for r in run_once(make_sites(), None, options)}
    finally:
        held.release()
    assert results["s1"].counts["inspected"] == 5 and results["s2"].status == tables.SKIPPED
    drop_photos(home, "s1", "c1", 3, day=17)  # the same bytes again: no new inspection
    run_once(make_sites(), ["s1"], options)
    with db.session_scope() as s:
        assert s.scalar(select(func.count()).select_from(tables.Inspection)) == 5
    report, files = reports.make_report("s1", "2026-W47", formats=("csv",))
    assert report.inspections == 5 and files["csv"].endswith(".csv")


def test_bigdb_on_postgres_keeps_id_sequences_usable(on_pg):
    from pipeline.store.bigdb import BigDbOptions, build_bigdb

    summary = build_bigdb(BigDbOptions(stores=2, cameras=2, weeks=1, progress=False,
                                       today=date(2026, 11, 25)))
    assert summary["inspections"] == 28
    with db.session_scope() as s:  # an ordinary insert after bulk rows with explicit ids
        s.add(tables.Photo(sha256="e" * 64, store_id="b0001", camera_id="c01", path="x",
                           original_name="x", captured_at=tables.utcnow()))
