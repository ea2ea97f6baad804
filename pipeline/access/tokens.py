"""API tokens: created by admins (``shelfaudit tokens add``), shown once, stored hashed,
revocable and expiring. A token maps onto the same store scoping as a signed-in user
(:meth:`ApiCaller.scope`), so every query the API makes is filtered in SQL like the pages'.

**Why SHA-256 and not argon2.** A token is 32 random bytes (256 bits) from :mod:`secrets`;
nobody can guess it or search for it from its hash, so a slow hash would add nothing — slow
hashes protect *low-entropy* secrets such as passwords. The API checks a token on every
request: argon2 would cost ~0.1-0.3 s of CPU per request (a camera push would wait for it,
and a flood of bad tokens would be a cheap way to load the server), while SHA-256 takes
microseconds and lets the token be found by an indexed lookup of its hash. Sign-in sessions
are kept the same way (:mod:`pipeline.access.sessions`).

Scopes: ``photos:write`` (push photos), ``results:read`` (inspections, weekly reports),
``rules:check`` (what-if checks). A token with ``photos:write`` acts with the supervisor role
in its stores (it may upload); otherwise as a viewer. Never as an admin: a token always names
its stores or ``--all-stores``, and ad-hoc photos (no store) are not for tokens.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from pipeline.access import audit as log
from pipeline.access.scope import Scope
from pipeline.access.tables import ApiToken
from pipeline.db import session_scope
from pipeline.db.tables import utcnow
from pipeline.errors import ShelfAuditError
from pipeline.i18n import _, moment

PHOTOS_WRITE, RESULTS_READ, RULES_CHECK = "photos:write", "results:read", "rules:check"
SCOPES: tuple[str, ...] = (PHOTOS_WRITE, RESULTS_READ, RULES_CHECK)
TOKEN_PREFIX = "sa_"  # every token starts so (secret scanners can find leaked ones)
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$")
DEFAULT_RATE = 120  # requests per minute per token
TOUCH_EVERY = timedelta(seconds=60)  # last_used_at is written at most once a minute
TOKEN_ADD, TOKEN_REVOKE = "token_add", "token_revoke"


class TokenError(ShelfAuditError):
    """A token change that cannot be made (bad name, unknown store or scope ...)."""


@dataclass(frozen=True)
class ApiCaller:
    """Who is calling the API: a live token's name, stores, scopes and rate limit."""

    id: int
    name: str
    stores: frozenset[str] | None  # None = every store
    scopes: frozenset[str]
    rate_per_minute: int

    @property
    def actor(self) -> str:
        """The audit log's actor for this token."""
        return f"token:{self.name}"

    @property
    def scope(self) -> Scope:
        """The query scope: the token's stores, supervisor if it may push photos."""
        role = "supervisor" if PHOTOS_WRITE in self.scopes else "viewer"
        return Scope(stores=self.stores, role=role, user=self.actor)

    def may(self, scope: str) -> bool:
        return scope in self.scopes


@dataclass(frozen=True)
class TokenInfo:
    """A token as ``tokens list`` shows it (never the token itself)."""

    name: str
    prefix: str
    stores: list[str] | None
    scopes: list[str]
    rate_per_minute: int
    created_by: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None

    @property
    def status(self) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and utcnow() >= self.expires_at:
            return "expired"
        return "active"

    def to_dict(self) -> dict[str, Any]:
        out = dict(self.__dict__)
        for key, value in out.items():
            if isinstance(value, datetime):
                out[key] = value.isoformat(timespec="seconds") + "Z"
        return {**out, "status": self.status}


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def _info(row: ApiToken) -> TokenInfo:
    return TokenInfo(row.name, row.prefix, None if row.stores is None else list(row.stores),
                     list(row.scopes or []), row.rate_per_minute, row.created_by,
                     row.created_at, row.expires_at, row.revoked_at, row.last_used_at)


def _clean_scopes(scopes: Iterable[str]) -> list[str]:
    wanted = [s.strip() for text in scopes for s in str(text).split(",") if s.strip()]
    unknown = [s for s in wanted if s not in SCOPES]
    if unknown or not wanted:
        raise TokenError(_("scope {scope} is not known; use one or more of {known}").format(
            scope=repr((unknown or [""])[0]), known=", ".join(SCOPES)))
    return [s for s in SCOPES if s in wanted]


def _clean_stores(stores: Iterable[str] | None, known: Iterable[str]) -> list[str] | None:
    if stores is None:
        return None
    wanted = sorted({s.strip() for text in stores for s in str(text).split(",") if s.strip()})
    if not wanted:
        raise TokenError(_("name the token's stores (--store s001 ...) or give --all-stores"))
    missing = sorted(set(wanted) - set(known))
    if missing:
        raise TokenError(_("store {store} is not in stores.yaml (known: {known})").format(
            store=repr(missing[0]), known=", ".join(sorted(known)) or _("none")))
    return wanted


def add_token(name: str, stores: Iterable[str] | None, scopes: Iterable[str], *,
              expires_days: float | None = None, rate_per_minute: int = DEFAULT_RATE,
              actor: str = "system", known_stores: Iterable[str]) -> tuple[TokenInfo, str]:
    """Create a token; returns its description and the token (shown once, never stored).

    Args:
        stores: store ids (``None`` = every store).
        known_stores: the stores that exist (the edge's ``stores.yaml``).

    Raises:
        TokenError: bad name, a name already used, unknown store or scope, bad numbers.
    """
    if not NAME.fullmatch(str(name or "")):
        raise TokenError(_("token name {name} is not allowed: use 1-64 letters, digits and "
                           ". _ @ - (starting with a letter or digit)").format(
            name=repr(log.clip(name, 80))))
    chosen, granted = _clean_stores(stores, known_stores), _clean_scopes(scopes)
    if rate_per_minute < 1:
        raise TokenError(_("the rate limit must be at least 1 request per minute"))
    if expires_days is not None and expires_days <= 0:
        raise TokenError(_("--expires must be a positive number of days"))
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = utcnow()
    row = ApiToken(name=name, token_hash=token_hash(token), prefix=token[:10], stores=chosen,
                   scopes=granted, rate_per_minute=int(rate_per_minute), created_by=actor,
                   created_at=now, expires_at=now + timedelta(days=expires_days)
                   if expires_days is not None else None)
    try:
        with session_scope() as session:
            session.add(row)
            session.flush()
            log.audit(actor, TOKEN_ADD, name, session=session, stores=chosen or "all",
                      scopes=granted, expires_at=str(row.expires_at or "never"),
                      rate_per_minute=row.rate_per_minute)
            info = _info(row)
    except IntegrityError:
        raise TokenError(_("a token named {name} exists already (revoked ones too); choose "
                           "another name").format(name=repr(name))) from None
    return info, token


def list_tokens() -> list[TokenInfo]:
    """Every token, newest first (revoked and expired ones included)."""
    with session_scope() as session:
        rows = session.scalars(select(ApiToken).order_by(ApiToken.created_at.desc(),
                                                         ApiToken.id.desc()))
        return [_info(r) for r in rows]


def revoke_token(name: str, actor: str = "system") -> TokenInfo:
    """Revoke a token at once (its next request is refused).

    Raises:
        TokenError: no token of that name.
    """
    with session_scope() as session:
        row = session.scalar(select(ApiToken).where(ApiToken.name == name))
        if row is None:
            raise TokenError(_("no token named {name} (see: shelfaudit tokens list)").format(
                name=repr(log.clip(name, 80))))
        if row.revoked_at is None:
            row.revoked_at = utcnow()
            log.audit(actor, TOKEN_REVOKE, name, session=session)
        return _info(row)


def resolve(token: str | None) -> tuple[ApiCaller | None, str]:
    """The caller a token stands for, or ``(None, why not)``: missing, unknown, revoked,
    expired. Notes the token's last use (at most once a minute)."""
    if not token:
        return None, _("no token: send the header 'Authorization: Bearer <token>'")
    if len(token) > 200 or not token.isascii():
        return None, _("unknown token")
    now = utcnow()
    with session_scope() as session:
        row = session.scalar(select(ApiToken).where(ApiToken.token_hash == token_hash(token)))
        if row is None:
            return None, _("unknown token")
        if row.revoked_at is not None:
            return None, _("token {name} was revoked").format(name=repr(row.name))
        if row.expires_at is not None and now >= row.expires_at:
            return None, _("token {name} expired on {when}").format(
                name=repr(row.name), when=moment(row.expires_at, "UTC"))
        if row.last_used_at is None or now - row.last_used_at >= TOUCH_EVERY:
            row.last_used_at = now
        stores = None if row.stores is None else frozenset(row.stores)
        return ApiCaller(row.id, row.name, stores, frozenset(row.scopes or []),
                         row.rate_per_minute), ""
