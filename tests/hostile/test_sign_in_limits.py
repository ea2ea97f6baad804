"""Concurrent and repeated sign-ins: attempts are counted in the database before the password
is checked (parallel guesses cannot slip past the limit), per name from one address, per
address and per name; past the limit each check waits longer — nobody can lock ``admin`` out
from their own machine."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from pipeline.access import accounts, passwords, throttle
from pipeline.access.accounts import LoginError
from pipeline.access.audit import audit_entries
from tests.factories.accounts import make_user

PASSWORD = "the-right-password"


@pytest.fixture
def counted(db, monkeypatch):
    """Real password checks, counted, each slow enough that parallel attempts overlap."""
    make_user("admin", "admin", password=PASSWORD)
    make_user("root", "admin", password=PASSWORD + "-root")
    checks = []
    real = passwords.verify_password

    def slow(stored, password):
        checks.append(password)
        threading.Event().wait(0.2)
        return real(stored, password)

    monkeypatch.setattr(passwords, "verify_password", slow)
    return checks


class Clock:
    """A fake clock for the throttle (its delays are minutes long)."""

    def __init__(self, monkeypatch) -> None:
        from pipeline.db.tables import utcnow

        self.now = utcnow()
        monkeypatch.setattr(throttle, "utcnow", lambda: self.now)

    def advance(self, **delta) -> None:
        self.now += timedelta(**delta)


def _attempt(name: str, password: str, address: str | None, results: list) -> None:
    try:
        accounts.authenticate(name, password, address=address)
        results.append("ok")
    except LoginError as exc:
        results.append(str(exc))


def _parallel(n: int, name: str, password: str, addresses) -> list[str]:
    results: list[str] = []
    threads = [threading.Thread(target=_attempt, args=(name, password, addresses(i), results))
               for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return results


@pytest.mark.parametrize("name", ["admin", "nobody-of-that-name", "ADMIN "],
                         ids=["known-name", "unknown-name", "name-as-typed-otherwise"])
def test_twenty_parallel_guesses_get_exactly_five_checks(counted, name):
    results = _parallel(20, name, "wrong-guess-1", lambda i: "203.0.113.7")
    assert len(counted) == throttle.FREE[throttle.PAIR] == 5
    assert results.count("wrong user name or password") == 5
    assert all(r.startswith("too many failed sign-ins; try again in") for r in results
               if r != "wrong user name or password")
    log = audit_entries(make_user("root", "admin"), action="login_failed")
    assert len(log) == 20 and not log["ok"].any()  # every attempt is on record


def test_a_guesser_cannot_lock_the_real_admin_out(counted):
    _parallel(20, "admin", "wrong-guess-2", lambda i: "203.0.113.7")
    assert accounts.authenticate("admin", PASSWORD, address="198.51.100.4").username == "admin"


def test_parallel_right_passwords_from_many_addresses_all_get_in(counted):
    results = _parallel(10, "admin", PASSWORD, lambda i: f"198.51.100.{i}")
    assert results == ["ok"] * 10


def test_the_delay_grows_instead_of_a_hard_lock(counted, monkeypatch):
    clock = Clock(monkeypatch)
    for _ in range(5):
        _attempt("admin", "wrong", "203.0.113.7", [])
    waits = []
    for expected in (30, 60, 120, 240):
        with pytest.raises(LoginError, match=f"try again in {expected} seconds|try again in "
                                             f"{expected // 60} minutes"):
            accounts.authenticate("admin", "wrong", address="203.0.113.7")
        clock.advance(seconds=expected)
        with pytest.raises(LoginError, match="wrong user name or password"):
            accounts.authenticate("admin", "wrong", address="203.0.113.7")  # checked
        waits.append(expected)
    clock.advance(minutes=15)  # capped at 15 minutes, never a lock
    assert accounts.authenticate("admin", PASSWORD, address="203.0.113.7").username == "admin"
    assert accounts.authenticate("admin", PASSWORD, address="203.0.113.7")  # count forgotten


def test_one_address_spraying_many_names_is_slowed(counted, monkeypatch):
    Clock(monkeypatch)
    for i in range(throttle.FREE[throttle.ADDRESS]):
        _attempt(f"user{i}", "wrong", "203.0.113.9", [])
    with pytest.raises(LoginError, match="too many failed sign-ins"):
        accounts.authenticate("admin", PASSWORD, address="203.0.113.9")
    assert accounts.authenticate("admin", PASSWORD, address="198.51.100.1")


@pytest.mark.parametrize("name, address", [
    ("x" * 10_000, "203.0.113.7"), ("admin", "\x00" * 500), ("'; DROP TABLE users;--", ""),
    ("admin", "::ffff:203.0.113.7, 10.0.0.1"),
], ids=["huge-name", "nul-address", "sql-name", "odd-address"])
def test_hostile_names_and_addresses_are_only_digests(counted, name, address):
    from sqlalchemy import select

    from pipeline.access.tables import LoginThrottle
    from pipeline.db import session_scope

    with pytest.raises(LoginError, match="^wrong user name or password$"):
        accounts.authenticate(name, "wrong", address=address)
    with session_scope() as session:
        keys = list(session.scalars(select(LoginThrottle.key)))
    assert len(keys) == 3 and all(len(k) == 64 for k in keys)
