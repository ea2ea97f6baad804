"""Sign-in sessions: only a hash stored, idle and absolute expiry, ended by disable/password."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from pipeline.access import accounts, sessions
from pipeline.access.tables import LoginSession
from pipeline.db import session_scope


@pytest.fixture
def alice(db):
    accounts.add_user("root", "root-password", role="admin")
    return accounts.add_user("alice", "alice-password", role="viewer", stores=[])


def _age(token: str, *, idle: timedelta | None = None, started: timedelta | None = None) -> None:
    with session_scope() as s:
        row = s.get(LoginSession, sessions.token_hash(token))
        if idle is not None:
            row.last_seen_at -= idle
        if started is not None:
            row.expires_at -= started


def _count() -> int:
    with session_scope() as s:
        return len(list(s.scalars(select(LoginSession.token_hash))))


def test_a_session_resumes_and_only_its_hash_is_stored(alice):
    token = sessions.start_session(alice)
    assert sessions.resume(token).username == "alice"
    with session_scope() as s:
        stored = list(s.scalars(select(LoginSession.token_hash)))
    assert stored == [sessions.token_hash(token)] and token not in stored


@pytest.mark.parametrize("token", [None, "", "made-up", "x" * 10_000, "\x00"])
def test_unknown_tokens_are_nobody(alice, token):
    sessions.start_session(alice)
    assert sessions.resume(token) is None


def test_idle_sessions_expire_and_are_deleted(alice, monkeypatch):
    monkeypatch.setenv(sessions.IDLE_ENV, "30")
    token = sessions.start_session(alice)
    _age(token, idle=timedelta(minutes=29))
    assert sessions.resume(token) is not None  # and the use is noted
    _age(token, idle=timedelta(minutes=31))
    assert sessions.resume(token) is None
    assert _count() == 0


def test_sessions_end_at_their_maximum_age_even_when_used(alice):
    token = sessions.start_session(alice)
    _age(token, started=sessions.max_age())
    assert sessions.resume(token) is None


def test_disabling_or_a_new_password_ends_the_sessions(alice):
    first = sessions.start_session(alice)
    accounts.set_password("alice", "a-new-password")
    assert sessions.resume(first) is None
    second = sessions.start_session(alice)
    accounts.set_active("alice", False)
    assert sessions.resume(second) is None


def test_role_and_store_changes_apply_on_the_next_run(small_db):
    user = accounts.add_user("v", "v-password-1", stores=["s001"])
    token = sessions.start_session(user)
    accounts.assign_stores("v", ["s002"])
    accounts.set_role("v", "supervisor")
    again = sessions.resume(token)
    assert again.role == "supervisor" and again.stores == {"s001", "s002"}


def test_sign_out_and_purge(alice):
    gone, stale = sessions.start_session(alice), sessions.start_session(alice)
    sessions.end_session(gone)
    assert sessions.resume(gone) is None
    _age(stale, idle=timedelta(days=1))
    live = sessions.start_session(alice)
    assert sessions.purge_expired() == 1
    assert sessions.resume(live) is not None


def test_bad_limits_in_the_environment_fall_back_to_defaults(monkeypatch):
    monkeypatch.setenv(sessions.IDLE_ENV, "soon")
    monkeypatch.setenv(sessions.MAX_ENV, "-3")
    assert sessions.idle_limit() == timedelta(minutes=60)
    assert sessions.max_age() == timedelta(hours=12)
