"""Who is asking: the stores a query may see and the asker's role.

Every query (:mod:`pipeline.queries`) and action (:mod:`pipeline.actions`) takes a
:class:`Scope` and filters by it in SQL (:meth:`Scope.where`), so a page that forgets to filter
still cannot show another store's data; actions check it with
:func:`pipeline.access.roles.require`. A scope is always built on purpose: there is no default
role. The dashboard's comes from the signed-in user (:func:`pipeline.access.roles.scope_for`,
e.g. ``Scope(stores=frozenset({"s001"}), role="viewer")``), an API token's from the token;
:data:`ALL_STORES` is for the command line and scheduled jobs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pipeline.errors import ShelfAuditError
from pipeline.i18n import _

ROLES: tuple[str, ...] = ("viewer", "supervisor", "admin")


class ScopeError(ShelfAuditError):
    """The asker may not see or change what they asked for."""


@dataclass(frozen=True)
class Scope:
    """The stores one user may see (``None`` = every store) and their role (no default)."""

    stores: frozenset[str] | None
    role: str
    user: str = "system"

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ValueError(f"unknown role {self.role!r}; expected one of {', '.join(ROLES)}")
        if self.stores is not None and not isinstance(self.stores, frozenset):
            object.__setattr__(self, "stores", frozenset(self.stores))

    @property
    def all_stores(self) -> bool:
        return self.stores is None

    def allows(self, store: str | None) -> bool:
        """Whether ``store`` is inside the scope (``None`` = ad-hoc, admins only)."""
        if store is None:
            return self.stores is None
        return self.stores is None or store in self.stores

    def where(self, column: Any) -> Any:
        """A SQL condition restricting ``column`` (a store-id column) to the scope."""
        from sqlalchemy import false, true

        if self.stores is None:
            return true()
        if not self.stores:
            return false()
        return column.in_(sorted(self.stores))

    def narrow(self, store: str | None) -> Scope:
        """The scope restricted to one store (``None`` or ``"*"`` = unchanged).

        Raises:
            ScopeError: the store is outside the scope.
        """
        if store in (None, "*"):
            return self
        if not self.allows(store):
            raise ScopeError(_("store {store!r} is not one of your stores").format(store=store))
        return Scope(stores=frozenset({store}), role=self.role, user=self.user)


ALL_STORES = Scope(stores=None, role="admin", user="system")
"""The command line's and the scheduled jobs' scope: every store, as an admin."""
