"""A throwaway PostgreSQL cluster for tests (skips when the server binaries or psycopg are
missing). Runs the server as the ``postgres`` (or ``nobody``) user when the tests run as root."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

import pytest


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
    if os.geteuid() != 0:
        return []
    import pwd

    for user in ("postgres", "nobody"):
        try:
            pwd.getpwnam(user)
        except KeyError:
            continue
        return ["runuser", "-u", user, "--"]
    pytest.skip("running as root and no unprivileged user to run PostgreSQL")
    return []


@contextmanager
def postgres_cluster() -> Iterator[str]:
    """Start a cluster on a Unix socket; yields its SQLAlchemy URL; removes it afterwards."""
    pytest.importorskip("psycopg")
    bindir = _bin_dir()
    if bindir is None:
        pytest.skip("PostgreSQL server binaries (pg_ctl, initdb) not installed")
    prefix = _run_as()
    base = tempfile.mkdtemp(prefix="shelfaudit-pg-", dir="/tmp")
    os.chmod(base, 0o777)
    data, port = os.path.join(base, "data"), _free_port()
    if prefix:
        shutil.chown(base, user=prefix[2])

    def run(*args: str) -> None:
        subprocess.run([*prefix, *args], check=True, capture_output=True, timeout=120)

    try:
        run(f"{bindir}/initdb", "-D", data, "-U", "shelfaudit", "--auth=trust", "-E", "UTF8")
        run(f"{bindir}/pg_ctl", "-D", data, "-w", "-l", os.path.join(base, "log"), "-o",
            f"-p {port} -k {base} -c listen_addresses='' -c fsync=off", "start")
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        shutil.rmtree(base, ignore_errors=True)
        pytest.skip(f"could not start a PostgreSQL cluster: {exc}")
    try:
        run(f"{bindir}/createdb", "-h", base, "-p", str(port), "-U", "shelfaudit", "shelfaudit")
        yield f"postgresql+psycopg://shelfaudit@/shelfaudit?host={base}&port={port}"
    finally:
        subprocess.run([*prefix, f"{bindir}/pg_ctl", "-D", data, "-m", "immediate", "stop"],
                       capture_output=True, timeout=60)
        shutil.rmtree(base, ignore_errors=True)
