"""Roles: what each may do, on which stores, and the dashboard scope built from a user."""

from __future__ import annotations

import pytest

from pipeline.access.roles import (
    ACTIONS,
    ANY_STORE,
    AccessDenied,
    User,
    can,
    require,
    scope_for,
)
from pipeline.access.scope import ALL_STORES, Scope

VIEWER = User(1, "vera", "viewer", frozenset({"s001"}))
SUPERVISOR = User(2, "sam", "supervisor", frozenset({"s001"}))
ADMIN = User(3, "ada", "admin")
DISABLED = User(4, "dan", "supervisor", frozenset({"s001"}), active=False)

MATRIX = [  # user, action, store, allowed
    (VIEWER, "view", "s001", True), (VIEWER, "view", "s002", False),
    (VIEWER, "upload", "s001", False), (VIEWER, "edit_rules", "s001", False),
    (SUPERVISOR, "view", "s001", True), (SUPERVISOR, "upload", "s001", True),
    (SUPERVISOR, "upload", "s002", False), (SUPERVISOR, "upload", None, False),
    (SUPERVISOR, "edit_rules", "s001", True), (SUPERVISOR, "edit_rules", "s002", False),
    (SUPERVISOR, "manage_users", None, False), (SUPERVISOR, "view_audit", None, False),
    (ADMIN, "upload", None, True), (ADMIN, "edit_rules", "s999", True),
    (ADMIN, "manage_users", None, True), (ADMIN, "view_audit", None, True),
    (ADMIN, "manage_schedules", None, True),
    (VIEWER, "mark_fixes", "s001", False), (SUPERVISOR, "mark_fixes", "s001", True),
    (SUPERVISOR, "mark_fixes", "s002", False), (SUPERVISOR, "mark_fixes", ANY_STORE, True),
    (VIEWER, "mark_fixes", ANY_STORE, False),
    (VIEWER, "inspect_adhoc", None, False), (SUPERVISOR, "inspect_adhoc", None, True),
    (DISABLED, "view", "s001", False), (None, "view", "s001", False),
    (DISABLED, "view", ANY_STORE, False),
]


@pytest.mark.parametrize("user, action, store, allowed", MATRIX)
def test_permission_matrix(user, action, store, allowed):
    for who in (user, scope_for(user)):  # a user, or the scope built from them: one answer
        assert can(who, action, store) is allowed
        if allowed:
            require(who, action, store)
        else:
            with pytest.raises(AccessDenied):
                require(who, action, store)


def test_a_scope_has_no_default_role():
    with pytest.raises(TypeError):
        Scope()  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        Scope(stores=None)  # type: ignore[call-arg]
    assert ALL_STORES.role == "admin" and ALL_STORES.all_stores


def test_a_supervisor_with_no_store_may_act_on_none():
    lonely = Scope(stores=frozenset(), role="supervisor", user="lou")
    assert not can(lonely, "upload", ANY_STORE) and not can(lonely, "upload", "s001")


def test_the_refusal_can_be_said_by_the_action():
    with pytest.raises(AccessDenied, match="^no photos for you$"):
        require(scope_for(VIEWER), "upload", "s001", refusal="no photos for you")
    with pytest.raises(AccessDenied, match="not one of your"):  # the store still says store
        require(scope_for(SUPERVISOR), "upload", "s002", refusal="no photos for you")


def test_every_action_is_in_the_matrix():
    assert {a for _, a, _, _ in MATRIX} == set(ACTIONS)


@pytest.mark.parametrize("user, needle", [
    (None, "sign in"), (VIEWER, "needs the supervisor role"), (SUPERVISOR, "not one of your"),
])
def test_refusals_say_why(user, needle):
    with pytest.raises(AccessDenied, match=needle):
        require(user, "upload", "s002")


def test_unknown_actions_are_a_programming_error():
    with pytest.raises(ValueError, match="unknown action"):
        can(ADMIN, "launch_rockets")


def test_scope_for_each_kind_of_user():
    assert scope_for(ADMIN).all_stores and scope_for(ADMIN).role == "admin"
    viewer = scope_for(VIEWER)
    assert viewer.stores == {"s001"} and viewer.user == "vera"
    assert not can(viewer, "upload", ANY_STORE) and can(scope_for(SUPERVISOR), "upload", ANY_STORE)
    for nobody in (None, DISABLED):
        scope = scope_for(nobody)
        assert scope.stores == frozenset() and not scope.allows("s001")
        assert not scope.allows(None)
