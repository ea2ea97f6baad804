"""Accounts: add, list, disable, change role, assign stores, change password, sign in.

Every change is written to the audit log in the same transaction. User names are sign-in ids:
letters, digits and ``. _ @ + -`` (1-64 characters, compared in lower case). Display names are
free text (up to 200 characters, no control characters) and are stored exactly as typed.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from pipeline.access import audit as log
from pipeline.access import passwords
from pipeline.access.roles import ADMIN, ROLES, VIEWER, User
from pipeline.access.tables import Account, AccountStore, LoginSession
from pipeline.db import session_scope
from pipeline.db.tables import Store, utcnow
from pipeline.errors import ShelfAuditError
from pipeline.i18n import _

USERNAME = re.compile(r"^[\w.@+-]{1,64}$")
STORE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
MAX_DISPLAY_NAME = 200
FIRST_ADMIN = "admin"
ADMIN_PASSWORD_ENV = "SHELFAUDIT_ADMIN_PASSWORD"


class AccountError(ShelfAuditError):
    """An account change that cannot be made (unknown user, bad name, last admin ...)."""


class LoginError(ShelfAuditError):
    """Sign-in refused; the message never says whether the user name exists."""

    exit_code = 1


def clean_username(name: str) -> str:
    """The stored form of a user name (NFC, trimmed, lower case), or :class:`AccountError`."""
    value = unicodedata.normalize("NFC", str(name or "")).strip().lower()
    if not USERNAME.fullmatch(value):
        shown = log.clip(name, 80)
        raise AccountError(_("user name {name} is not allowed: use 1-64 letters, digits "
                             "and . _ @ + - (no spaces)").format(name=repr(shown)))
    return value


def clean_display_name(name: str) -> str:
    """A display name exactly as typed, or :class:`AccountError` (too long, control chars)."""
    value = str(name or "")
    if len(value) > MAX_DISPLAY_NAME:
        raise AccountError(_("display name has {n} characters; at most {limit} are allowed"
                             ).format(n=len(value), limit=MAX_DISPLAY_NAME))
    if any(unicodedata.category(c) == "Cc" for c in value):
        raise AccountError(_("display name cannot contain control characters (tabs, new "
                             "lines)"))
    return value


def clean_role(role: str) -> str:
    if role not in ROLES:
        raise AccountError(_("unknown role {role}; choose one of {roles}").format(
            role=repr(role), roles=", ".join(ROLES)))
    return role


def _clean_stores(session: Session, stores: Iterable[str]) -> list[str]:
    wanted = sorted({str(s).strip() for s in stores})
    bad = [s for s in wanted if not STORE_ID.fullmatch(s)]
    if bad:
        raise AccountError(_("store id {store} is not a store id").format(
            store=repr(log.clip(bad[0], 80))))
    known = set(session.scalars(select(Store.id)))
    unknown = [s for s in wanted if known and s not in known]
    if unknown:
        raise AccountError(_("unknown store {store}; known stores: {known}").format(
            store=repr(unknown[0]), known=", ".join(sorted(known))))
    return wanted


def _to_user(row: Account) -> User:
    return User(id=row.id, username=row.username, role=row.role,
                stores=frozenset(s.store_id for s in row.stores),
                display_name=row.display_name or "", active=row.active, email=row.email)


def _row(session: Session, username: str) -> Account:
    found = session.scalar(select(Account).where(Account.username == clean_username(username)))
    if found is None:
        raise AccountError(_("no user named {name}").format(name=repr(log.clip(username, 80))))
    return found


def get_user(username: str) -> User | None:
    """The account named ``username`` (``None`` when there is none)."""
    with session_scope() as session:
        try:
            return _to_user(_row(session, username))
        except AccountError:
            return None


def user_by_id(user_id: int, session: Session | None = None) -> User | None:
    if session is not None:
        row = session.get(Account, user_id)
        return _to_user(row) if row is not None else None
    with session_scope() as own:
        return user_by_id(user_id, own)


def list_users() -> list[User]:
    """Every account, by user name."""
    with session_scope() as session:
        return [_to_user(r) for r in session.scalars(select(Account).order_by(Account.username))]


def add_user(username: str, password: str | None, role: str = VIEWER, stores: Iterable[str] = (),
             display_name: str = "", email: str | None = None, actor: User | str | None = None
             ) -> User:
    """Create an account (``password=None``: single sign-on only)."""
    name, role = clean_username(username), clean_role(role)
    display = clean_display_name(display_name)
    if password is not None:
        passwords.check_password(password, name)
    with session_scope() as session:
        if session.scalar(select(Account.id).where(Account.username == name)) is not None:
            raise AccountError(_("user {name} already exists").format(name=repr(name)))
        row = Account(username=name, role=role, display_name=display,
                      email=(email or "").strip().lower() or None,
                      password_hash=passwords.hash_password(password) if password else None)
        row.stores = [AccountStore(store_id=s) for s in _clean_stores(session, stores)]
        session.add(row)
        session.flush()
        log.audit(actor or log.cli_actor(), log.USER_ADD, name, session=session, role=role,
                  stores=[s.store_id for s in row.stores])
        return _to_user(row)


def _other_active_admins(session: Session, row: Account) -> int:
    return session.scalar(select(func.count(Account.id)).where(
        Account.role == ADMIN, Account.active.is_(True), Account.id != row.id)) or 0


def set_role(username: str, role: str, actor: User | str | None = None) -> User:
    role = clean_role(role)
    with session_scope() as session:
        row = _row(session, username)
        if row.role == ADMIN and role != ADMIN and not _other_active_admins(session, row):
            raise AccountError(_("{name} is the last active admin; make another admin "
                                 "first").format(name=row.username))
        old, row.role = row.role, role
        log.audit(actor or log.cli_actor(), log.USER_ROLE, row.username, session=session,
                  old=old, new=role)
        return _to_user(row)


def set_active(username: str, active: bool, actor: User | str | None = None) -> User:
    """Disable (ends the user's sessions) or enable an account."""
    with session_scope() as session:
        row = _row(session, username)
        if not active and row.role == ADMIN and not _other_active_admins(session, row):
            raise AccountError(_("{name} is the last active admin; make another admin "
                                 "first").format(name=row.username))
        row.active = active
        if not active:
            session.query(LoginSession).filter(LoginSession.user_id == row.id).delete()
        log.audit(actor or log.cli_actor(), log.USER_ENABLE if active else log.USER_DISABLE,
                  row.username, session=session)
        return _to_user(row)


def assign_stores(username: str, stores: Iterable[str], actor: User | str | None = None,
                  remove: bool = False, replace: bool = False) -> User:
    """Add (or with ``remove`` take away, with ``replace`` set exactly) a user's stores."""
    with session_scope() as session:
        row = _row(session, username)
        wanted = set(_clean_stores(session, stores))
        have = {s.store_id for s in row.stores}
        new = wanted if replace else (have - wanted if remove else have | wanted)
        row.stores = [s for s in row.stores if s.store_id in new] + [
            AccountStore(store_id=s) for s in sorted(new - have)]
        log.audit(actor or log.cli_actor(), log.USER_STORES, row.username, session=session,
                  old=sorted(have), new=sorted(new))
        return _to_user(row)


def set_password(username: str, password: str, actor: User | str | None = None) -> None:
    """Change a password; every session of the account ends."""
    with session_scope() as session:
        row = _row(session, username)
        passwords.check_password(password, row.username)
        row.password_hash = passwords.hash_password(password)
        session.query(LoginSession).filter(LoginSession.user_id == row.id).delete()
        log.audit(actor or log.cli_actor(), log.USER_PASSWORD, row.username, session=session)


def authenticate(username: str, password: str, address: str | None = None) -> User:
    """The active account whose password matches; every attempt is audited.

    ``address`` is the client's network address (``None``: this machine). Attempts are
    counted per name from that address, per address and per name (see
    :mod:`pipeline.access.throttle`) *before* the password is checked: past the free attempts
    each further check waits longer (30 s doubling up to 15 minutes) — a growing delay, not a
    hard lock of the name.

    Raises:
        LoginError: wrong name or password, disabled account, or too many recent failures.
    """
    from pipeline.access import throttle

    entered = str(username or "")
    typed = unicodedata.normalize("NFC", entered).strip().lower()
    seen = {"entered": entered} if entered != typed else {}  # the name exactly as typed too
    where = {"address": address} if address else {}
    keys = throttle.keys_for(log.clip(typed, 200), address)
    wait = throttle.claim(keys)
    if wait is not None:
        log.audit(None, log.LOGIN_FAILED, typed, ok=False, reason="too many failures",
                  wait_seconds=round(wait.total_seconds()), **seen, **where)
        raise LoginError(_("too many failed sign-ins; try again in {wait}").format(
            wait=throttle.wait_text(wait)))
    with session_scope() as session:  # failures are recorded too, so raise after commit
        user, refusal = _check_login(session, typed, str(password or ""), seen, where)
    if refusal:
        raise LoginError(refusal)
    throttle.succeeded(keys)
    return user


def _check_login(session: Session, typed: str, password: str, seen: dict[str, str],
                 where: dict[str, str]) -> tuple[User | None, str]:
    row = session.scalar(select(Account).where(Account.username == typed))
    good = passwords.verify_password(row.password_hash if row else None, password)
    if not good or not row.active:
        log.audit(None, log.LOGIN_FAILED, typed, ok=False, session=session,
                  reason="disabled" if good else "wrong name or password", **seen, **where)
        return None, (_("this account is disabled; ask an admin") if good
                      else _("wrong user name or password"))
    if passwords.needs_rehash(row.password_hash):
        row.password_hash = passwords.hash_password(password)
    row.last_login_at = utcnow()
    log.audit(row.username, log.LOGIN, row.username, session=session, method="password",
              **where)
    return _to_user(row), ""


def ensure_first_admin() -> tuple[str, str] | None:
    """Create the account ``admin`` when no account exists; ``(name, password)`` or ``None``.

    The password is ``$SHELFAUDIT_ADMIN_PASSWORD`` when set, else random — show it once and
    ask the operator to change it (``shelfaudit users passwd admin``).
    """
    with session_scope() as session:
        if session.scalar(select(func.count(Account.id))):
            return None
    password = os.environ.get(ADMIN_PASSWORD_ENV) or passwords.generate_password()
    try:
        add_user(FIRST_ADMIN, password, role=ADMIN, display_name="Administrator",
                 actor="system")
    except IntegrityError:  # another process created it at the same moment
        return None
    return FIRST_ADMIN, password
