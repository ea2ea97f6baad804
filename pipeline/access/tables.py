"""Access tables on the store's declarative ``Base``: accounts, store assignments, sign-in
sessions and the audit log (schema owned by the Alembic migration ``0101_access``).

Passwords are stored only as argon2 hashes; sessions only as the SHA-256 of their token, so a
copy of the database lets nobody sign in. Every timestamp is naive UTC, like the store's.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pipeline.db.tables import Base, utcnow


class Account(Base):
    """One person who may sign in (``username`` is the sign-in name, unique)."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(16), default="viewer")  # viewer|supervisor|admin
    password_hash: Mapped[str | None] = mapped_column(String(255))  # None = single sign-on only
    email: Mapped[str | None] = mapped_column(String(320), unique=True)  # for OIDC sign-in
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime)

    stores: Mapped[list[AccountStore]] = relationship(
        back_populates="account", cascade="all, delete-orphan")


class AccountStore(Base):
    """A store an account may see (admins see every store without rows here)."""

    __tablename__ = "user_stores"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    store_id: Mapped[str] = mapped_column(String(64), primary_key=True)

    account: Mapped[Account] = relationship(back_populates="stores")


class LoginSession(Base):
    """A signed-in browser session: the token's hash, when it ends, when it was last used."""

    __tablename__ = "user_sessions"
    __table_args__ = (Index(None, "user_id"), Index(None, "expires_at"))

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    method: Mapped[str] = mapped_column(String(16), default="password")  # password | oidc


class AuditEntry(Base):
    """Who did what, when: sign-ins, uploads, rule saves and rollbacks, account changes."""

    __tablename__ = "audit_log"
    __table_args__ = (Index(None, "at"), Index(None, "action", "at"), Index(None, "actor"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(200))  # username, "cli:<os user>" or "system"
    action: Mapped[str] = mapped_column(String(64))  # e.g. login, login_failed, upload
    target: Mapped[str] = mapped_column(Text, default="")  # what was acted on
    store_id: Mapped[str | None] = mapped_column(String(64))
    ok: Mapped[bool] = mapped_column(Boolean, default=True)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class LoginThrottle(Base):
    """Sign-in attempts counted per key — one name, one client address, or one name from one
    address (keys are SHA-256 digests, so typed names are not stored here). An attempt is
    counted *before* its password is checked, by a compare-and-set update, so parallel
    attempts cannot all slip through (see :mod:`pipeline.access.throttle`)."""

    __tablename__ = "login_throttle"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)  # unforgiven failures (+ in flight)
    last_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)  # last attempt counted
    next_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)  # no check before this


class ApiToken(Base):
    """A token for the HTTP API (a camera, the ERP): its stores, scopes, rate and lifetime.

    Only the SHA-256 of the token is kept (see :mod:`pipeline.access.tokens` for why not
    argon2); ``prefix`` is its first characters, so an admin can tell tokens apart in a list.
    ``stores`` ``None`` means every store. Revoked tokens stay (for the audit log's sake).
    """

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    stores: Mapped[list[Any] | None] = mapped_column(JSON)  # store ids; None = every store
    scopes: Mapped[list[Any]] = mapped_column(JSON, default=list)  # photos:write ...
    rate_per_minute: Mapped[int] = mapped_column(Integer, default=120)
    created_by: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime)
