"""Leases: one holder at a time; a dead holder's lease is taken over."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta

import pytest

from pipeline import db
from pipeline.db import tables
from pipeline.db.locks import Lease, LeaseBusy


@pytest.fixture(autouse=True)
def _db(db_url):
    db.upgrade()
    yield
    db.dispose_engines()


def test_second_taker_is_told_who_holds_it():
    first = Lease("inspect:s1", purpose="scheduled inspection run").acquire()
    try:
        with pytest.raises(LeaseBusy, match="scheduled inspection run"):
            Lease("inspect:s1").acquire()
        assert Lease("inspect:s2").try_acquire() is None  # other stores are free
    finally:
        first.release()
    Lease("inspect:s1").acquire().release()  # free again after release


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_lease_of_a_dead_process_on_this_host_is_taken_over():
    import socket

    with db.session_scope() as s:
        s.add(tables.Lease(name="inspect:s1", holder="x", pid=_dead_pid(),
                           host=socket.gethostname(),
                           expires_at=tables.utcnow() + timedelta(hours=1)))
    lease = Lease("inspect:s1")
    assert lease.try_acquire() is None
    lease.release()


def test_expired_lease_of_another_host_is_taken_over_but_a_live_one_is_not():
    with db.session_scope() as s:
        s.add(tables.Lease(name="inspect:a", holder="x", pid=1, host="elsewhere",
                           expires_at=tables.utcnow() - timedelta(seconds=1)))
        s.add(tables.Lease(name="inspect:b", holder="y", pid=1, host="elsewhere",
                           expires_at=tables.utcnow() + timedelta(minutes=5)))
    lease = Lease("inspect:a")
    assert lease.try_acquire() is None
    lease.release()
    assert Lease("inspect:b").try_acquire().host == "elsewhere"


def test_heartbeat_keeps_the_lease_alive():
    import time

    lease = Lease("inspect:s1", ttl_s=0.3).acquire()
    try:
        time.sleep(0.8)  # longer than the ttl: only the heartbeat keeps it
        assert lease.still_held()
        with pytest.raises(LeaseBusy):
            Lease("inspect:s1").acquire()
    finally:
        lease.release()
