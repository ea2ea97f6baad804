"""Who may do what: the signed-in :class:`User`, the actions each role may take, and the
dashboard's :class:`~pipeline.queries.scope.Scope` built from a user.

=============  =========================================================================
viewer         read reports, inspections and trends of the assigned stores
supervisor     viewer + upload photos and edit rule files, for the assigned stores
admin          everything, every store: accounts, audit log, schedules
=============  =========================================================================

Store-bound actions check the store too; ``store=None`` (an ad-hoc photo, a rule file that
reaches every store) is for admins only.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.queries.scope import ROLES, Scope, ScopeError

VIEWER, SUPERVISOR, ADMIN = ROLES
RANK = {role: i for i, role in enumerate(ROLES)}

# action -> (least role, whether the action is about one store)
ACTIONS: dict[str, tuple[str, bool]] = {
    "view": (VIEWER, True),
    "upload": (SUPERVISOR, True),
    "edit_rules": (SUPERVISOR, True),
    "manage_users": (ADMIN, False),
    "view_audit": (ADMIN, False),
    "manage_schedules": (ADMIN, False),
}


class AccessDenied(ScopeError):
    """The user's role or stores do not allow the action."""


@dataclass(frozen=True)
class User:
    """A signed-in account as the app sees it (no password material)."""

    id: int
    username: str
    role: str
    stores: frozenset[str] = frozenset()
    display_name: str = ""
    active: bool = True
    email: str | None = None

    @property
    def is_admin(self) -> bool:
        return self.role == ADMIN

    @property
    def label(self) -> str:
        """What the sidebar shows: the display name, else the user name."""
        return self.display_name or self.username

    def at_least(self, role: str) -> bool:
        return RANK[self.role] >= RANK[role]


def scope_for(user: User | None) -> Scope:
    """The stores and role ``user`` may see: admins every store, others their assigned ones,
    nobody (``None`` or a disabled account) no store at all."""
    if user is None or not user.active:
        return Scope(stores=frozenset(), role=VIEWER, user="nobody")
    if user.is_admin:
        return Scope(stores=None, role=ADMIN, user=user.username)
    return Scope(stores=frozenset(user.stores), role=user.role, user=user.username)


def can(user: User | None, action: str, store: str | None = None) -> bool:
    """Whether ``user`` may take ``action`` (on ``store`` for store-bound actions)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}; expected one of {', '.join(ACTIONS)}")
    if user is None or not user.active:
        return False
    least, per_store = ACTIONS[action]
    if not user.at_least(least):
        return False
    return scope_for(user).allows(store) if per_store else True


def require(user: User | None, action: str, store: str | None = None) -> None:
    """Raise :class:`AccessDenied` with a plain reason unless ``user`` may take ``action``."""
    if can(user, action, store):
        return
    if user is None or not user.active:
        raise AccessDenied("please sign in first")
    least, per_store = ACTIONS[action]
    if not user.at_least(least):
        raise AccessDenied(f"{action.replace('_', ' ')} needs the {least} role "
                           f"(you are {user.role})")
    if store is None:
        raise AccessDenied(f"{action.replace('_', ' ')} without a store is for admins only")
    raise AccessDenied(f"store {store!r} is not one of your stores")
