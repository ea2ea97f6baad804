"""The schema: Alembic upgrade gives exactly the ORM models; SQLite pragmas; idempotency keys."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import inspect
from sqlalchemy.exc import IntegrityError

from pipeline import db
from pipeline.db import tables


@pytest.fixture
def store_db(db_url):
    """An upgraded store on SQLite and on PostgreSQL (see tests/factories/databases.py)."""
    db.upgrade()
    yield db_url
    db.dispose_engines()


@pytest.fixture
def sqlite_db():
    db.upgrade()
    yield
    db.dispose_engines()


def test_upgrade_to_head_matches_models(store_db):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    assert db.get_engine().dialect.name == ("postgresql" if store_db else "sqlite")
    assert db.current_revision() == db.head_revision()
    with db.get_engine().connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), tables.Base.metadata) == []


def test_sqlite_file_lives_in_home_with_wal_and_foreign_keys(sqlite_db, tmp_path):
    engine = db.get_engine()
    assert engine.url.database == str(tmp_path / "home" / "shelfaudit.db")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 1000


def test_dashboard_indexes_exist(store_db):
    insp = inspect(db.get_engine())
    violation_ix = {tuple(ix["column_names"]) for ix in insp.get_indexes("violations")}
    assert {("store_id", "iso_week"), ("rule_id",), ("severity",)} <= violation_ix
    inspection_ix = {tuple(ix["column_names"]) for ix in insp.get_indexes("inspections")}
    assert ("store_id", "camera_id", "captured_at") in inspection_ix


def _photo(sha: str) -> tables.Photo:
    return tables.Photo(sha256=sha, store_id="s1", camera_id="c1", path="/x.jpg",
                        original_name="x.jpg", captured_at=datetime(2026, 11, 20, 2))


def test_same_content_hash_cannot_be_stored_twice(store_db):
    with db.session_scope() as session:
        session.add(tables.Store(id="s1", cameras=[tables.Camera(id="c1")]))
        session.flush()
        session.add(_photo("a" * 64))
    with pytest.raises(IntegrityError), db.session_scope() as session:
        session.add(_photo("a" * 64))


def test_one_inspection_per_photo(store_db):
    with db.session_scope() as session:
        session.add(tables.Store(id="s1", cameras=[tables.Camera(id="c1")]))
        session.flush()
        photo = _photo("b" * 64)
        session.add(photo)
        session.flush()
        photo_id = photo.id

    def inspection() -> tables.Inspection:
        return tables.Inspection(photo_id=photo_id, store_id="s1", camera_id="c1",
                                 captured_at=datetime(2026, 11, 20, 2),
                                 captured_on=date(2026, 11, 20), iso_week="2026-W47")

    with db.session_scope() as session:
        session.add(inspection())
    with pytest.raises(IntegrityError), db.session_scope() as session:
        session.add(inspection())


def test_unknown_camera_is_refused_by_foreign_key(store_db):
    with pytest.raises(IntegrityError), db.session_scope() as session:
        session.add(tables.Store(id="s1"))
        session.flush()
        session.add(_photo("c" * 64))
