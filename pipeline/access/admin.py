"""Account management for the admin page: every function checks the caller is an admin
(``manage_users``) and records the change under the caller's name."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from pipeline.access import accounts, passwords
from pipeline.access.roles import User, require

USER_COLUMNS = ["username", "display_name", "role", "stores", "active", "email"]


def users_table(admin: User) -> pd.DataFrame:
    """Every account as a table (stores as text; ``all`` for admins)."""
    require(admin, "manage_users")
    found = accounts.list_users()
    rows = [{"username": u.username, "display_name": u.display_name, "role": u.role,
             "stores": "all" if u.is_admin else ", ".join(sorted(u.stores)),
             "active": u.active, "email": u.email or ""} for u in found]
    return pd.DataFrame(rows, columns=USER_COLUMNS)


def add_account(admin: User, username: str, role: str, stores: Iterable[str] = (),
                display_name: str = "", email: str | None = None,
                password: str | None = None) -> tuple[User, str]:
    """Create an account; ``(user, password)`` — a random password when none was given."""
    require(admin, "manage_users")
    password = password or passwords.generate_password()
    made = accounts.add_user(username, password, role=role, stores=stores,
                             display_name=display_name, email=email, actor=admin)
    return made, password


def change_account(admin: User, username: str, role: str | None = None,
                   stores: Iterable[str] | None = None, active: bool | None = None) -> User:
    """Change role, stores (set exactly) and/or active state; unchanged parts are ``None``."""
    require(admin, "manage_users")
    found = accounts.get_user(username)
    if found is None:
        raise accounts.AccountError(f"no user named {username!r}")
    if role is not None and role != found.role:
        found = accounts.set_role(username, role, actor=admin)
    if stores is not None and set(stores) != set(found.stores):
        found = accounts.assign_stores(username, stores, actor=admin, replace=True)
    if active is not None and active != found.active:
        found = accounts.set_active(username, active, actor=admin)
    return found


def reset_password(admin: User, username: str) -> str:
    """Give an account a new random password (shown once to the admin)."""
    require(admin, "manage_users")
    new = passwords.generate_password()
    accounts.set_password(username, new, actor=admin)
    return new
