"""The audit log: who did what, when — sign-ins, uploads, rule saves and rollbacks, account
changes. Rows are only ever added; admins read them with :func:`audit_entries`.

Text that came from outside (an attempted user name, a file name) is stored as given, cut at
:data:`MAX_TEXT` characters so a flood of huge inputs cannot bloat the database.
"""

from __future__ import annotations

import getpass
from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from pipeline.access.roles import User, require
from pipeline.access.tables import AuditEntry

MAX_TEXT = 2000
AUDIT_COLUMNS = ["id", "at", "actor", "action", "target", "store", "ok", "detail"]

# The actions the app records (free text is allowed; these are the ones it writes itself).
LOGIN, LOGIN_FAILED, LOGOUT = "login", "login_failed", "logout"
UPLOAD, UPLOAD_REFUSED = "upload", "upload_refused"
REFERENCE_ADD, REFERENCE_REFUSED = "reference_add", "reference_refused"
RULE_SAVE, RULE_SAVE_REFUSED, RULE_ROLLBACK = "rule_save", "rule_save_refused", "rule_rollback"
RULE_CREATE = "rule_create"  # a store's own rule file, made from the Rules page
USER_ADD, USER_ROLE, USER_STORES = "user_add", "user_role", "user_stores"
USER_DISABLE, USER_ENABLE, USER_PASSWORD = "user_disable", "user_enable", "user_password"


def clip(text: Any, limit: int = MAX_TEXT) -> str:
    """``text`` as a string, cut to ``limit`` characters with a note of how much was cut."""
    text = "" if text is None else str(text)
    if len(text) <= limit:
        return text
    return text[:limit] + f"… (+{len(text) - limit} characters)"


def cli_actor() -> str:
    """The actor of a command-line change: ``cli:<operating-system user>``."""
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # noqa: BLE001 - no user name in some containers
        return "cli"


def actor_of(user: User | str | None) -> str:
    if isinstance(user, User):
        return user.username
    return user or "anonymous"


def audit(actor: User | str | None, action: str, target: Any = "", *, store: str | None = None,
          ok: bool = True, session: Session | None = None, **detail: Any) -> None:
    """Add one audit row (in ``session`` when given, else in its own transaction)."""
    row = AuditEntry(actor=clip(actor_of(actor), 200), action=action[:64], target=clip(target),
                     store_id=store[:64] if store else None, ok=ok,
                     detail={k: _plain(v) for k, v in detail.items()})
    if session is not None:
        session.add(row)
        return
    from pipeline.db import session_scope

    with session_scope() as own:
        own.add(row)


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {clip(k, 200): _plain(v) for k, v in value.items()}
    return clip(value)


def audit_entries(viewer: User, limit: int = 500, action: str | None = None,
                  actor: str | None = None, since: datetime | None = None,
                  engine: Engine | None = None) -> pd.DataFrame:
    """The newest audit rows (admins only), optionally of one action or actor."""
    from pipeline.db.read import engine_for, frame

    require(viewer, "view_audit")
    stmt = select(AuditEntry.id, AuditEntry.at, AuditEntry.actor, AuditEntry.action,
                  AuditEntry.target, AuditEntry.store_id.label("store"), AuditEntry.ok,
                  AuditEntry.detail)
    if action:
        stmt = stmt.where(AuditEntry.action == action)
    if actor:
        stmt = stmt.where(AuditEntry.actor == actor)
    if since:
        stmt = stmt.where(AuditEntry.at >= since)
    stmt = stmt.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit)
    df = frame(engine_for(engine), stmt)
    if df.empty:
        return pd.DataFrame(columns=AUDIT_COLUMNS)
    df["detail"] = df["detail"].map(
        lambda d: ", ".join(f"{k}={v}" for k, v in (d or {}).items()))
    return df[AUDIT_COLUMNS]
