"""Access control: accounts with argon2 hashes, roles and store assignments, the asker's
:class:`~pipeline.access.scope.Scope`, sign-in sessions that expire, the one permission check
(:func:`~pipeline.access.roles.require`) and the audit log (see ``docs/SECURITY.md``).

The usual entry points, importable from here (loaded on first use):
:func:`~pipeline.access.roles.scope_for`, :func:`~pipeline.access.roles.require`,
:func:`~pipeline.access.roles.can`, :func:`~pipeline.access.audit.audit`,
:func:`~pipeline.access.accounts.ensure_first_admin`,
:func:`~pipeline.access.accounts.authenticate`.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "User": "roles", "AccessDenied": "roles", "scope_for": "roles", "require": "roles",
    "can": "roles", "audit": "audit", "ensure_first_admin": "accounts",
    "authenticate": "accounts", "LoginError": "accounts", "AccountError": "accounts",
    "Scope": "scope", "ScopeError": "scope", "ALL_STORES": "scope",
}


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(f"pipeline.access.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module 'pipeline.access' has no attribute {name!r}")
