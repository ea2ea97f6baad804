"""Signing AppTest sessions in without a password prompt (for any dashboard test)."""

from __future__ import annotations

from collections.abc import Iterable


def make_user(username: str = "tester", role: str = "admin", stores: Iterable[str] = (),
              display_name: str = "", password: str | None = None):
    """An account (created once per database; later calls return the existing one)."""
    from pipeline.access import accounts
    from pipeline.db import upgrade

    upgrade()
    found = accounts.get_user(username)
    if found is not None:
        return found
    return accounts.add_user(username, password, role=role, stores=stores,
                             display_name=display_name, actor="test")


def sign_in(at, role: str = "admin", stores: Iterable[str] = (), username: str | None = None,
            display_name: str = ""):
    """Give an AppTest a live session of a (new) account; returns the user."""
    from pipeline.access import sessions

    user = make_user(username or f"test-{role}", role, stores, display_name)
    at.session_state["auth_token"] = sessions.start_session(user)
    return user
