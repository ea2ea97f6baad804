"""A throwaway PostgreSQL cluster (for the tests and ``shelfaudit bench cluster``).

``initdb`` into a temporary folder and ``pg_ctl start`` on a free 127.0.0.1 port with
durability off (``fsync=off``: fast, and lost on a crash — never for real data); as the
``postgres`` user when running as root, since ``initdb`` refuses root. :meth:`PgCluster.stop`
removes it. Needs the server binaries (Debian package ``postgresql``) and ``psycopg``
(``pip install 'shelfaudit[postgres]'``).
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
from dataclasses import dataclass, field

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
                           "(Debian: apt-get install postgresql)")
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
