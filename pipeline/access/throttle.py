"""Sign-in limits: attempts counted atomically in the database, per name *from one client
address*, per client address and per name from all addresses, with a growing delay instead of
a hard lock.

=========================  ==========================================================
key                        attempts before delays start (:data:`FREE`)
=========================  ==========================================================
name from one address      5 — a guesser slows down only themselves
one client address         20, over any names — one machine spraying many accounts
one name, all addresses    50 — a guess at one account spread over many addresses
=========================  ==========================================================

After its free attempts a key must wait :data:`FIRST_DELAY` (30 s) before the next password
check, then twice as long after each further failure, at most :data:`MAX_DELAY` (15 min). A
successful sign-in forgets the name's counts; a key left alone for :data:`FORGET_AFTER` is
forgotten. So someone typing ``admin`` with wrong passwords from their own machine cannot lock
the real admin out, and a guesser gets ever fewer checks.

Counting is atomic: before a password is checked, each key's row is raised by one
``UPDATE ... WHERE next_at <= now`` in one transaction (SQLite takes its write lock at the first
update; PostgreSQL re-checks the condition on the row the other transaction committed). When any
key must still wait, nothing is counted and the password is not checked: twenty parallel
wrong passwords for one name get exactly five checks. Keys are SHA-256 digests: the table holds
no typed names or addresses.
"""

from __future__ import annotations

import hashlib
import math
from datetime import datetime, timedelta

from sqlalchemy import case, select, update
from sqlalchemy.exc import IntegrityError

from pipeline.access.tables import LoginThrottle
from pipeline.db import session_scope
from pipeline.db.tables import utcnow

PAIR, ADDRESS, NAME = "name@address", "address", "name"
FREE = {PAIR: 5, ADDRESS: 20, NAME: 50}
FIRST_DELAY = timedelta(seconds=30)
MAX_DELAY = timedelta(minutes=15)
FORGET_AFTER = timedelta(hours=1)
LOCAL = "local"  # the address of a sign-in whose address is unknown (same machine, CLI)
OPEN = datetime(1970, 1, 1)  # ``next_at`` of a key that need not wait (before any caller's now)


def keys_for(name: str, address: str | None) -> dict[str, str]:
    """The throttle keys of a sign-in attempt (digests of the name and the address)."""
    address = (address or LOCAL).strip().lower()[:200]

    def digest(kind: str, value: str) -> str:
        return hashlib.sha256(f"{kind}\0{value}".encode("utf-8", "surrogatepass")).hexdigest()

    return {PAIR: digest(PAIR, f"{name}\0{address}"), ADDRESS: digest(ADDRESS, address),
            NAME: digest(NAME, name)}


def delay_after(attempts: int, free: int) -> timedelta:
    """How long the next check waits after ``attempts`` counted attempts on a key."""
    if attempts < free:
        return timedelta(0)
    steps = min(attempts - free, 16)  # 30 s * 2**16 is far past the cap
    return min(FIRST_DELAY * 2**steps, MAX_DELAY)


def wait_text(wait: timedelta) -> str:
    """``30 seconds`` / ``4 minutes`` (``30秒钟`` / ``4分钟``) for a sign-in message, in the
    reader's language (Babel)."""
    from babel.dates import format_timedelta

    from pipeline import i18n

    seconds = max(1, math.ceil(wait.total_seconds()))
    if seconds >= 120:
        seconds = 60 * math.ceil(seconds / 60)
    return format_timedelta(timedelta(seconds=seconds), threshold=2, locale=i18n.babel_locale())


def claim(keys: dict[str, str], now: datetime | None = None) -> timedelta | None:
    """Count one attempt on every key, or on none: ``None`` when the password may be checked,
    else how long the caller must wait."""
    now = now or utcnow()
    _ensure_rows(keys, now)
    table = LoginThrottle
    with session_scope() as session:
        for kind, key in keys.items():
            counted = session.execute(
                update(table).where(table.key == key, table.next_at <= now).values(
                    attempts=case((table.last_at <= now - FORGET_AFTER, 1),
                                  else_=table.attempts + 1),
                    last_at=now))
            if counted.rowcount != 1:
                next_at = session.scalar(select(table.next_at).where(table.key == key))
                session.rollback()  # nothing counted on any key
                return max((next_at or now) - now, timedelta(seconds=1))
            attempts = session.scalar(select(table.attempts).where(table.key == key)) or 0
            delay = delay_after(attempts, FREE[kind])
            if delay:  # a free attempt leaves next_at in the past (clocks of parallel callers)
                session.execute(update(table).where(table.key == key).values(
                    next_at=now + delay))
    return None


def succeeded(keys: dict[str, str]) -> None:
    """A right password: forget the name's counts; the address gives back this attempt only
    (its failures still count)."""
    table = LoginThrottle
    with session_scope() as session:
        for kind, key in keys.items():
            if kind != ADDRESS:
                values = {"attempts": 0, "next_at": OPEN}
            else:
                values = {"attempts": case((table.attempts > 0, table.attempts - 1), else_=0),
                          "next_at": case((table.attempts <= FREE[ADDRESS], OPEN),
                                          else_=table.next_at)}
            session.execute(update(table).where(table.key == key).values(**values))


def _ensure_rows(keys: dict[str, str], now: datetime) -> None:
    """Add a row (no attempts yet) for each key that has none; a parallel insert is fine."""
    with session_scope() as session:
        have = set(session.scalars(select(LoginThrottle.key).where(
            LoginThrottle.key.in_(list(keys.values())))))
    for key in keys.values():
        if key in have:
            continue
        try:
            with session_scope() as session:
                session.add(LoginThrottle(key=key, attempts=0, last_at=now, next_at=OPEN))
        except IntegrityError:
            pass  # another attempt added it first


def purge(now: datetime | None = None) -> int:
    """Delete keys left alone for :data:`FORGET_AFTER`; how many (the scheduler may call it)."""
    from sqlalchemy import delete

    now = now or utcnow()
    with session_scope() as session:
        done = session.execute(delete(LoginThrottle).where(
            LoginThrottle.last_at <= now - FORGET_AFTER, LoginThrottle.next_at <= now))
        return int(done.rowcount or 0)
