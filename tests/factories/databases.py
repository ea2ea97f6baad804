"""The databases the store tests run on: SQLite and a throwaway PostgreSQL cluster.

One cluster per test session (per xdist worker, :mod:`pipeline.db.pgtemp`): ``initdb``
into a temporary folder, ``pg_ctl start`` on a free 127.0.0.1 port (as the ``postgres`` user
when the tests run as root, since ``initdb`` refuses root), removed at the end. Each test (or
module, for module-scoped fixtures) gets a fresh empty database in it. Tests ask for ``db_url`` — parametrised over
``sqlite`` and ``postgresql`` — and find ``DATABASE_URL`` set accordingly. Without the server
binaries or the ``psycopg`` driver the ``postgresql`` cases skip and say why; ``.ci/run``
installs both and sets ``SHELFAUDIT_REQUIRE_POSTGRES=1``, under which they fail instead.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from pipeline.db.pgtemp import PgCluster, start_cluster

BACKENDS = ("sqlite", "postgresql")
REQUIRE_ENV = "SHELFAUDIT_REQUIRE_POSTGRES"


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PgCluster]:
    """The session's PostgreSQL cluster (skips the test when none can be started)."""
    try:
        cluster = start_cluster()
    except RuntimeError as exc:
        if os.environ.get(REQUIRE_ENV) == "1":
            pytest.fail(f"{exc} ({REQUIRE_ENV}=1)")
        pytest.skip(str(exc))
    try:
        yield cluster
    finally:
        cluster.stop()


def _database(request: pytest.FixtureRequest, backend: str) -> Iterator[str | None]:
    """A fresh PostgreSQL database's URL, or ``None`` for the SQLite file in SHELFAUDIT_HOME."""
    from pipeline import db

    if backend == "sqlite":
        yield None
        db.dispose_engines()
        return
    cluster: PgCluster = request.getfixturevalue("pg_cluster")
    name = cluster.create_database()
    try:
        yield cluster.url(name)
    finally:
        db.dispose_engines()
        cluster.drop_database(name)


def _use(monkeypatch: pytest.MonkeyPatch, url: str | None) -> None:
    from pipeline.settings import get_settings

    if url is None:
        monkeypatch.delenv("DATABASE_URL", raising=False)
    else:
        monkeypatch.setenv("DATABASE_URL", url)
    get_settings.cache_clear()


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, _isolated_home: None,
           monkeypatch: pytest.MonkeyPatch) -> Iterator[str | None]:
    """Each test twice: on SQLite (``None``: the file in SHELFAUDIT_HOME) and on a fresh
    PostgreSQL database (its URL); ``DATABASE_URL`` is set to match."""
    for url in _database(request, request.param):
        _use(monkeypatch, url)
        yield url


@pytest.fixture(scope="module", params=BACKENDS)
def module_db_url(request: pytest.FixtureRequest) -> Iterator[str | None]:
    """``db_url`` for module-scoped fixtures: one database per module and backend. The
    caller sets ``DATABASE_URL`` itself (:func:`use_database`), in each test too."""
    yield from _database(request, request.param)


def use_database(monkeypatch: pytest.MonkeyPatch, url: str | None) -> None:
    """Point ``DATABASE_URL`` at ``url`` (``None``: the SQLite file in SHELFAUDIT_HOME)."""
    _use(monkeypatch, url)
