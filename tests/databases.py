"""The databases the store tests run on: SQLite and a throwaway PostgreSQL cluster.

One cluster per test session (per xdist worker): ``initdb`` into a temporary folder, ``pg_ctl
start`` on a free 127.0.0.1 port (as the ``postgres`` user when the tests run as root, since
``initdb`` refuses root), removed at the end. Each test (or module, for module-scoped
fixtures) gets a fresh empty database in it. Tests ask for ``db_url`` — parametrised over
``sqlite`` and ``postgresql`` — and find ``DATABASE_URL`` set accordingly. Without the server
binaries or the ``psycopg`` driver the ``postgresql`` cases skip and say why; ``.ci/run``
installs both and sets ``SHELFAUDIT_REQUIRE_POSTGRES=1``, under which they fail instead.
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

BACKENDS = ("sqlite", "postgresql")
REQUIRE_ENV = "SHELFAUDIT_REQUIRE_POSTGRES"
_names = itertools.count(1)


def _bin_dir() -> str | None:
    found = shutil.which("pg_ctl")
    if found:
        return os.path.dirname(os.path.realpath(found))
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    return os.path.dirname(candidates[-1]) if candidates else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run_as() -> list[str]:
    """``runuser -u postgres --`` when running as root (initdb refuses root), else nothing."""
    if os.geteuid() != 0:
        return []
    for user in ("postgres", "nobody"):
        try:
            pwd.getpwnam(user)
        except KeyError:
            continue
        return ["runuser", "-u", user, "--"]
    raise RuntimeError("running as root and there is no unprivileged user to run PostgreSQL")


@dataclass
class PgCluster:
    """A running throwaway cluster: ``create_database()`` hands out fresh databases."""

    bindir: str
    base: str
    port: int
    prefix: list[str] = field(default_factory=list)

    @property
    def data(self) -> str:
        return os.path.join(self.base, "data")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://shelfaudit@127.0.0.1:{self.port}/{database}"

    def _admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=shelfaudit "
                             f"dbname=postgres", autocommit=True) as conn:
            conn.execute(sql)

    def create_database(self) -> str:
        name = f"t{os.getpid()}_{next(_names)}"
        self._admin(f'CREATE DATABASE "{name}"')
        return name

    def drop_database(self, name: str) -> None:
        self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def _pg(self, *args: str, timeout: float = 120) -> None:
        subprocess.run([*self.prefix, *args], check=True, capture_output=True, timeout=timeout)

    def start(self) -> None:
        self._pg(f"{self.bindir}/initdb", "-D", self.data, "-U", "shelfaudit", "--auth=trust",
                 "-E", "UTF8", "--no-sync")
        options = (f"-p {self.port} -k {self.base} -c listen_addresses=127.0.0.1 -c fsync=off "
                   f"-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
        self._pg(f"{self.bindir}/pg_ctl", "-D", self.data, "-w", "-t", "60", "-l",
                 os.path.join(self.base, "log"), "-o", options, "start")

    def stop(self) -> None:
        subprocess.run([*self.prefix, f"{self.bindir}/pg_ctl", "-D", self.data, "-m",
                        "immediate", "stop"], capture_output=True, timeout=60)
        shutil.rmtree(self.base, ignore_errors=True)


def start_cluster() -> PgCluster:
    """Start a cluster (a few seconds); raises ``RuntimeError`` saying why it could not."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        raise RuntimeError("the psycopg driver is not installed "
                           "(pip install 'shelfaudit[postgres]')") from None
    bindir = _bin_dir()
    if bindir is None:
        raise RuntimeError("PostgreSQL server binaries (initdb, pg_ctl) are not installed "
                           "(Debian: apt-get install postgresql; .ci/run does this)")
    prefix = _run_as()
    base = tempfile.mkdtemp(prefix="shelfaudit-pg-", dir="/tmp")
    os.chmod(base, 0o700)
    if prefix:
        shutil.chown(base, user=prefix[2])
    cluster = PgCluster(bindir, base, _free_port(), prefix)
    try:
        cluster.start()
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        log = os.path.join(base, "log")
        tail = open(log).read()[-400:] if os.path.exists(log) else ""  # noqa: SIM115
        stderr = getattr(exc, "stderr", b"") or b""
        cluster.stop()
        raise RuntimeError(f"could not start a PostgreSQL cluster: {exc}; "
                           f"{stderr.decode(errors='replace')[-400:]} {tail}") from None
    return cluster


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
    from pipeline.store import db

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
