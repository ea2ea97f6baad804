"""Accounts: argon2 hashes only, audited changes, sign-in with throttle, the first admin."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from pipeline.access import accounts, passwords
from pipeline.access.accounts import AccountError, LoginError
from pipeline.access.audit import audit_entries
from pipeline.access.tables import Account, AuditEntry
from pipeline.db import session_scope

PASSWORD = "correct horse battery"


def _actions(target: str | None = None) -> list[tuple[str, str, bool]]:
    with session_scope() as s:
        stmt = select(AuditEntry.action, AuditEntry.target, AuditEntry.ok).order_by(AuditEntry.id)
        rows = [tuple(r) for r in s.execute(stmt)]
    return [r for r in rows if target is None or r[1] == target]


def test_password_is_stored_only_as_an_argon2_hash(db):
    accounts.add_user("alice", PASSWORD, role="supervisor", stores=[])
    with session_scope() as s:
        stored = s.scalar(select(Account.password_hash).where(Account.username == "alice"))
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored
    assert passwords.verify_password(stored, PASSWORD)
    assert not passwords.verify_password(stored, PASSWORD + "x")


def test_user_names_are_normalised_and_unique(db):
    made = accounts.add_user("  Alice ", PASSWORD)
    assert made.username == "alice"
    with pytest.raises(AccountError, match="already exists"):
        accounts.add_user("ALICE", PASSWORD)
    assert accounts.get_user("Alice").id == made.id


@pytest.mark.parametrize("name", ["", "a b", "x" * 65, "<script>", "'; DROP TABLE users;--",
                                  "a\u202eb", "émoji🙂", "../admin", "a\x00b"])
def test_bad_user_names_are_refused_with_a_reason(db, name):
    with pytest.raises(AccountError, match="not allowed"):
        accounts.add_user(name, PASSWORD)
    assert accounts.list_users() == []


@pytest.mark.parametrize("password, reason", [("short", "at least 8"), (" " * 12, "only spaces"),
                                              ("x" * 1025, "at most"), ("alice-long", None)])
def test_password_rules(db, password, reason):
    if reason is None:  # the user name itself is refused, any case
        with pytest.raises(passwords.PasswordError, match="user name"):
            accounts.add_user("alice-long", "ALICE-LONG")
        accounts.add_user("alice-long", password + "!")
        return
    with pytest.raises(passwords.PasswordError, match=reason):
        accounts.add_user("alice", password)


def test_sign_in_succeeds_and_failures_are_audited_without_saying_why(db):
    accounts.add_user("alice", PASSWORD, role="viewer")
    assert accounts.authenticate("Alice", PASSWORD).username == "alice"
    with pytest.raises(LoginError) as wrong:
        accounts.authenticate("alice", "nope-nope")
    with pytest.raises(LoginError) as unknown:
        accounts.authenticate("mallory", "nope-nope")
    assert str(wrong.value) == str(unknown.value) == "wrong user name or password"
    assert _actions() == [("user_add", "alice", True), ("login", "alice", True),
                          ("login_failed", "alice", False), ("login_failed", "mallory", False)]


def test_disabled_accounts_cannot_sign_in(db):
    accounts.add_user("admin", PASSWORD, role="admin")
    accounts.add_user("bob", PASSWORD)
    accounts.set_active("bob", False)
    with pytest.raises(LoginError, match="disabled"):
        accounts.authenticate("bob", PASSWORD)
    accounts.set_active("bob", True)
    assert accounts.authenticate("bob", PASSWORD).active


def test_repeated_failures_slow_the_name_down_from_that_address(db):
    from pipeline.access import throttle

    accounts.add_user("alice", PASSWORD)
    for _ in range(throttle.FREE[throttle.PAIR]):
        with pytest.raises(LoginError, match="wrong"):
            accounts.authenticate("alice", "guess-guess", address="10.0.0.9")
    with pytest.raises(LoginError, match="too many failed sign-ins; try again in 30 seconds"):
        accounts.authenticate("alice", PASSWORD, address="10.0.0.9")  # even the right one waits


def test_the_last_active_admin_cannot_be_demoted_or_disabled(db):
    accounts.add_user("root", PASSWORD, role="admin")
    with pytest.raises(AccountError, match="last active admin"):
        accounts.set_role("root", "viewer")
    with pytest.raises(AccountError, match="last active admin"):
        accounts.set_active("root", False)
    accounts.add_user("second", PASSWORD, role="admin")
    assert accounts.set_role("root", "viewer").role == "viewer"


def test_store_assignments_add_remove_replace_and_unknown_stores(small_db):
    accounts.add_user("v", PASSWORD, stores=["s001"])
    assert accounts.assign_stores("v", ["s002"]).stores == {"s001", "s002"}
    assert accounts.assign_stores("v", ["s001"], remove=True).stores == {"s002"}
    assert accounts.assign_stores("v", ["s001"], replace=True).stores == {"s001"}
    with pytest.raises(AccountError, match="unknown store 'zz9'"):
        accounts.assign_stores("v", ["zz9"])
    with pytest.raises(AccountError, match="not a store id"):
        accounts.assign_stores("v", ["../s001"])


def test_every_change_is_audited_with_the_actor(db):
    admin = accounts.add_user("root", PASSWORD, role="admin", actor="system")
    accounts.add_user("v", PASSWORD, actor=admin)
    accounts.set_role("v", "supervisor", actor=admin)
    accounts.set_password("v", "another password", actor=admin)
    accounts.set_active("v", False, actor=admin)
    log = audit_entries(admin)
    assert list(log["action"])[::-1] == ["user_add", "user_add", "user_role", "user_password",
                                         "user_disable"]
    assert set(log["actor"][:4]) == {"root"}
    assert "old=viewer, new=supervisor" in list(log["detail"])[2]


def test_a_hash_made_with_other_costs_is_upgraded_on_sign_in(db):
    from argon2 import PasswordHasher

    old = PasswordHasher(time_cost=2, memory_cost=16, parallelism=1).hash(PASSWORD)
    accounts.add_user("alice", PASSWORD)
    with session_scope() as s:
        s.scalar(select(Account).where(Account.username == "alice")).password_hash = old
    accounts.authenticate("alice", PASSWORD)
    with session_scope() as s:
        new = s.scalar(select(Account.password_hash).where(Account.username == "alice"))
    assert new != old and not passwords.needs_rehash(new)


def test_first_admin_is_created_once_with_a_random_password(db, monkeypatch):
    monkeypatch.delenv(accounts.ADMIN_PASSWORD_ENV, raising=False)
    name, password = accounts.ensure_first_admin()
    assert name == "admin" and len(password) >= 16
    assert accounts.authenticate("admin", password).is_admin
    assert accounts.ensure_first_admin() is None  # never again, never a second password


def test_first_admin_password_from_the_environment(db, monkeypatch):
    monkeypatch.setenv(accounts.ADMIN_PASSWORD_ENV, "from-the-env-123")
    assert accounts.ensure_first_admin() == ("admin", "from-the-env-123")
    assert accounts.authenticate("admin", "from-the-env-123").is_admin


def test_no_first_admin_when_someone_exists(db):
    accounts.add_user("someone", PASSWORD)
    assert accounts.ensure_first_admin() is None
    assert [u.username for u in accounts.list_users()] == ["someone"]
