"""Who may do what: the signed-in :class:`User`, the actions each role may take, the
:class:`~pipeline.access.scope.Scope` built from a user, and the one check every action makes,
:func:`require`.

=============  =========================================================================
viewer         read reports, inspections and trends of the assigned stores
supervisor     viewer + upload photos, edit rule files and mark fixes, for the assigned stores
admin          everything, every store: accounts, audit log, schedules
=============  =========================================================================

Store-bound actions check the store too; ``store=None`` (an ad-hoc photo, a rule file that
reaches every store) is for admins only.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.access.scope import ROLES, Scope, ScopeError
from pipeline.i18n import N_, _

VIEWER, SUPERVISOR, ADMIN = ROLES
RANK = {role: i for i, role in enumerate(ROLES)}
NOBODY = "nobody"  # the scope of no one signed in
ANY_STORE = "*"  # a store-bound action on any store of the scope (the role is what is checked)

# action -> (least role, whether the action is about one store)
ACTIONS: dict[str, tuple[str, bool]] = {
    "view": (VIEWER, True),
    "upload": (SUPERVISOR, True),
    "inspect_adhoc": (SUPERVISOR, False),  # an uploaded photo judged without a store
    "edit_rules": (SUPERVISOR, True),
    "mark_fixes": (SUPERVISOR, True),
    "manage_users": (ADMIN, False),
    "view_audit": (ADMIN, False),
    "manage_schedules": (ADMIN, False),
}
ACTION_LABELS = {  # what a refusal calls the action
    "view": N_("viewing"), "upload": N_("uploading photos"),
    "inspect_adhoc": N_("inspecting a photo without a store"),
    "edit_rules": N_("changing rule files"), "mark_fixes": N_("marking fixes"),
    "manage_users": N_("managing accounts"), "view_audit": N_("reading the audit log"),
    "manage_schedules": N_("changing schedules"),
}
ROLE_LABELS = {VIEWER: N_("viewer"), SUPERVISOR: N_("supervisor"), ADMIN: N_("admin")}


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
        return Scope(stores=frozenset(), role=VIEWER, user=NOBODY)
    if user.is_admin:
        return Scope(stores=None, role=ADMIN, user=user.username)
    return Scope(stores=frozenset(user.stores), role=user.role, user=user.username)


def _as_scope(who: Scope | User | None) -> Scope:
    return who if isinstance(who, Scope) else scope_for(who)


def can(who: Scope | User | None, action: str, store: str | None = None) -> bool:
    """Whether ``who`` (a scope, or a user through :func:`scope_for`) may take ``action``
    (on ``store`` for store-bound actions)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}; expected one of {', '.join(ACTIONS)}")
    scope = _as_scope(who)
    least, per_store = ACTIONS[action]
    if RANK[scope.role] < RANK[least] or scope.user == NOBODY:
        return False
    if not per_store:
        return True
    if store == ANY_STORE:
        return scope.all_stores or bool(scope.stores)
    return scope.allows(store)


def require(who: Scope | User | None, action: str, store: str | None = None, *,
            refusal: str | None = None) -> None:
    """The one permission check of every action: return if ``who`` may take ``action`` on
    ``store``, else raise :class:`AccessDenied` saying why in the reader's language.

    Args:
        who: the asker's scope (a user is turned into one by :func:`scope_for`).
        action: one of :data:`ACTIONS`.
        store: the store acted on (store-bound actions; ``None`` = no store, admins only;
            :data:`ANY_STORE` = some store of the scope, checked again where the row is found).
        refusal: what to say when the role is too low (default: the action needs role X).
    """
    if can(who, action, store):
        return
    scope = _as_scope(who)
    least, per_store = ACTIONS[action]
    if scope.user == NOBODY:
        raise AccessDenied(_("please sign in first"))
    if RANK[scope.role] < RANK[least]:
        raise AccessDenied(refusal or _("{action} needs the {least} role (you are {role})").format(
            action=_(ACTION_LABELS[action]), least=_(ROLE_LABELS[least]),
            role=_(ROLE_LABELS[scope.role])))
    if store is None:
        raise AccessDenied(_("{action} without a store is for admins only").format(
            action=_(ACTION_LABELS[action])))
    raise AccessDenied(_("store {store!r} is not one of your stores").format(store=store))
