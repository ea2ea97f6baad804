"""Sign-in sessions that expire: after :func:`idle_limit` without use, and at the latest
:func:`max_age` after sign-in. The browser keeps a random token; the database keeps only its
SHA-256, so a copy of the database cannot be used to sign in.

Limits come from ``SHELFAUDIT_SESSION_IDLE_MINUTES`` (default 60) and
``SHELFAUDIT_SESSION_HOURS`` (default 12).

Single sign-on sessions hold to the same limits. Their token is derived from the identity
provider's sign-in (subject and ``iat``), so the login cookie of one sign-in always maps to
the same row; an ended one (idle, too old, signed out) is kept as a marker until its sign-in
is :func:`max_age` old, so the cookie cannot quietly start it again (see
:func:`pipeline.dashboard.auth.current_user`).
"""

from __future__ import annotations

import hashlib
import os
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from pipeline.access.accounts import user_by_id
from pipeline.access.roles import User
from pipeline.access.tables import LoginSession
from pipeline.db import session_scope
from pipeline.db.tables import utcnow

IDLE_ENV, MAX_ENV = "SHELFAUDIT_SESSION_IDLE_MINUTES", "SHELFAUDIT_SESSION_HOURS"
TOUCH_EVERY = timedelta(seconds=60)  # write last_seen at most once a minute


def _number(env: str, default: float) -> float:
    try:
        value = float(os.environ.get(env, default))
    except ValueError:
        return default
    return value if value > 0 else default


def idle_limit() -> timedelta:
    return timedelta(minutes=_number(IDLE_ENV, 60))


def max_age() -> timedelta:
    return timedelta(hours=_number(MAX_ENV, 12))


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def start_session(user: User, method: str = "password", token: str | None = None,
                  signed_in_at: datetime | None = None) -> str:
    """A new session for ``user``; returns the token the browser tab keeps.

    Single sign-on passes its own ``token`` (derived from the identity provider's sign-in)
    and ``signed_in_at`` (that sign-in's time): the session ends :func:`max_age` after it.
    """
    token = token or secrets.token_urlsafe(32)
    now = utcnow()
    started = min(signed_in_at or now, now)
    with session_scope() as session:
        session.merge(LoginSession(token_hash=token_hash(token), user_id=user.id,
                                   created_at=started, last_seen_at=now,
                                   expires_at=started + max_age(), method=method))
    return token


def ended(token: str | None) -> bool:
    """Whether ``token`` names a session that has ended (kept only for single sign-on)."""
    if not token or not isinstance(token, str) or len(token) > 200:
        return False
    with session_scope() as session:
        row = session.get(LoginSession, token_hash(token))
        return row is not None and utcnow() >= row.expires_at


def _end(session: Session, row: LoginSession, now: datetime) -> None:
    """Delete a password session; mark a single sign-on one ended (see the module notes)."""
    if row.method == "oidc":
        row.expires_at = min(row.expires_at, now)
    else:
        session.delete(row)


def resume(token: str | None) -> User | None:
    """The user of a live session (its last use noted), or ``None``: unknown, expired, or
    the account was disabled. Expired sessions are deleted."""
    if not token or not isinstance(token, str) or len(token) > 200:
        return None
    now = utcnow()
    with session_scope() as session:
        row = session.get(LoginSession, token_hash(token))
        if row is None:
            return None
        if now >= row.expires_at or now - row.last_seen_at >= idle_limit():
            _end(session, row, now)
            return None
        user = user_by_id(row.user_id, session)
        if user is None or not user.active:
            _end(session, row, now)
            return None
        if now - row.last_seen_at >= TOUCH_EVERY:
            row.last_seen_at = now
        return user


def time_left(token: str | None) -> timedelta | None:
    """How long a live session has until its absolute end (``None`` when it is not live):
    the sign-in cookie lives exactly as long."""
    if resume(token) is None:
        return None
    with session_scope() as session:
        row = session.get(LoginSession, token_hash(token))
        left = row.expires_at - utcnow() if row is not None else None
    return left if left is not None and left > timedelta(0) else None


def end_session(token: str | None) -> None:
    """Sign out: forget the session (unknown tokens are ignored)."""
    if not token or not isinstance(token, str):
        return
    with session_scope() as session:
        row = session.get(LoginSession, token_hash(token))
        if row is not None:
            _end(session, row, utcnow())


def purge_expired() -> int:
    """Delete sessions past their end; returns how many (the scheduler may call it daily).
    An ended single sign-on session stays until its sign-in is :func:`max_age` old."""
    now = utcnow()
    with session_scope() as session:
        over = (LoginSession.expires_at <= now) | (LoginSession.last_seen_at <= now - idle_limit())
        keep = (LoginSession.method == "oidc") & (LoginSession.created_at > now - max_age())
        stale = list(session.scalars(select(LoginSession.token_hash).where(over & ~keep)))
        if stale:
            session.execute(delete(LoginSession).where(LoginSession.token_hash.in_(stale)))
        return len(stale)
