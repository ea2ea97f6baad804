"""At most one run per store: a lease row in the database, kept alive by a heartbeat.

A run takes the lease ``inspect:<store>`` before touching that store's inbox. The holder renews
``expires_at`` every ``ttl/3`` seconds from a daemon thread. Another process asking for a held
lease is told who holds it and since when, and skips. A lease whose holder died without
releasing it (``kill -9``, power loss) is taken over when it has expired, or at once when the
holder ran on this host and its process no longer exists. Works the same on SQLite and
PostgreSQL, across processes and hosts (the database is the only shared thing).
"""

from __future__ import annotations

import os
import socket
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from pipeline.db import session_scope
from pipeline.db.tables import Lease as LeaseRow
from pipeline.db.tables import utcnow
from pipeline.errors import ShelfAuditError

DEFAULT_TTL_S = 60.0


class LeaseBusy(ShelfAuditError):
    """Someone else holds the lease (the message says who and since when)."""

    exit_code = 1


@dataclass(frozen=True)
class Holder:
    pid: int
    host: str
    purpose: str
    acquired_at: datetime
    expires_at: datetime

    def describe(self) -> str:
        return (f"{self.purpose or 'a run'} (pid {self.pid} on {self.host}) has held it since "
                f"{self.acquired_at:%Y-%m-%d %H:%M:%S} UTC")


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _abandoned(row: LeaseRow, now: datetime) -> bool:
    if row.expires_at <= now:
        return True
    return row.host == socket.gethostname() and not pid_alive(row.pid)


class Lease:
    """A held lease; use as a context manager or call :meth:`release`."""

    def __init__(self, name: str, purpose: str = "", ttl_s: float = DEFAULT_TTL_S,
                 url: str | None = None) -> None:
        self.name = name
        self.purpose = purpose
        self.ttl = timedelta(seconds=ttl_s)
        self.url = url
        self.token = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:12]}"
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.lost = False

    # -- taking -------------------------------------------------------------------------
    def try_acquire(self) -> Holder | None:
        """Take the lease; return ``None`` on success or the current holder if it is busy."""
        now = utcnow()
        with session_scope(self.url) as session:
            row = session.get(LeaseRow, self.name)
            if row is not None and not _abandoned(row, now):
                return Holder(row.pid, row.host, row.purpose, row.acquired_at, row.expires_at)
            values = {"holder": self.token, "pid": os.getpid(), "host": socket.gethostname(),
                      "purpose": self.purpose, "acquired_at": now,
                      "expires_at": now + self.ttl}
            if row is None:
                session.add(LeaseRow(name=self.name, **values))
                try:
                    session.flush()
                except IntegrityError:
                    session.rollback()
                    return self._current_holder()
            else:  # take over an abandoned lease, unless someone else just did
                taken = session.execute(
                    update(LeaseRow)
                    .where(LeaseRow.name == self.name, LeaseRow.holder == row.holder)
                    .values(**values)
                ).rowcount
                if taken != 1:
                    session.rollback()
                    return self._current_holder()
        self._start_heartbeat()
        return None

    def acquire(self) -> Lease:
        """Take the lease or raise :class:`LeaseBusy` saying who holds it."""
        holder = self.try_acquire()
        if holder is not None:
            raise LeaseBusy(f"{self.name} is busy: {holder.describe()}")
        return self

    def _current_holder(self) -> Holder | None:
        with session_scope(self.url) as session:
            row = session.get(LeaseRow, self.name)
            if row is None:
                return Holder(0, "?", "another run", utcnow(), utcnow())
            return Holder(row.pid, row.host, row.purpose, row.acquired_at, row.expires_at)

    # -- keeping ------------------------------------------------------------------------
    def _start_heartbeat(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._beat, name=f"lease:{self.name}",
                                        daemon=True)
        self._thread.start()

    def _beat(self) -> None:
        interval = max(self.ttl.total_seconds() / 3.0, 0.05)
        while not self._stop.wait(interval):
            try:
                if not self.renew():
                    self.lost = True
                    return
            except Exception:  # noqa: BLE001 - a missed beat is retried; expiry is the guard
                continue

    def renew(self) -> bool:
        """Push ``expires_at`` forward; ``False`` if the lease is no longer ours."""
        with session_scope(self.url) as session:
            count = session.execute(
                update(LeaseRow)
                .where(LeaseRow.name == self.name, LeaseRow.holder == self.token)
                .values(expires_at=utcnow() + self.ttl)
            ).rowcount
        return count == 1

    def still_held(self) -> bool:
        with session_scope(self.url) as session:
            row = session.execute(select(LeaseRow.holder).where(LeaseRow.name == self.name))
            return row.scalar() == self.token

    # -- giving back --------------------------------------------------------------------
    def release(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        with session_scope(self.url) as session:
            session.execute(
                delete(LeaseRow).where(LeaseRow.name == self.name, LeaseRow.holder == self.token)
            )

    def __enter__(self) -> Lease:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


def store_lease_name(store: str) -> str:
    return f"inspect:{store}"
