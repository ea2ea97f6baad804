"""Password hashing (argon2id with OWASP's first recommended setting) and password rules.

Only hashes are stored. Verifying a name that does not exist still spends one verification, so
the time taken does not tell whether an account exists.

Cost: OWASP's Password Storage Cheat Sheet setting m = 19 MiB, t = 2, p = 1 (:data:`COST`).
argon2-cffi's own default (RFC 9106 low-memory: 64 MiB, t = 3, p = 4) took 0.4 s and
64 MiB per sign-in on the 2-core server, and 25 supervisors signing in at once waited for each
other (``shelfaudit bench load``); this one takes about 0.05 s and 19 MiB. Hashes made with
other settings are re-hashed at the next sign-in (:func:`needs_rehash`).
"""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from pipeline.errors import ShelfAuditError
from pipeline.i18n import _

MIN_LENGTH = 8
MAX_LENGTH = 1024

COST = {"memory_cost": 19 * 1024, "time_cost": 2, "parallelism": 1}  # KiB, passes, lanes
hasher = PasswordHasher(**COST)  # tests swap in a cheap one; production keeps COST
_DUMMY: dict[int, str] = {}  # a throw-away hash per hasher


class PasswordError(ShelfAuditError):
    """A new password does not meet the rules."""


def check_password(password: str, username: str = "") -> None:
    """Raise :class:`PasswordError` unless ``password`` may be used.

    Rules: 8 to 1024 characters, not the user name, not only spaces.
    """
    if not isinstance(password, str) or len(password) < MIN_LENGTH:
        raise PasswordError(_("the password needs at least {n} characters").format(
            n=MIN_LENGTH))
    if len(password) > MAX_LENGTH:
        raise PasswordError(_("the password may have at most {n} characters").format(
            n=MAX_LENGTH))
    if not password.strip():
        raise PasswordError(_("the password cannot be only spaces"))
    if username and password.casefold() == username.casefold():
        raise PasswordError(_("the password cannot be the user name"))
    if "\x00" in password:
        raise PasswordError(_("the password cannot contain NUL characters"))


def hash_password(password: str) -> str:
    return hasher.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    """Whether ``password`` matches ``stored`` (``None`` = no password: always False)."""
    if not stored:
        _spend_time(password)
        return False
    try:
        return hasher.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    """Whether a hash was made with other parameters than the hasher in force."""
    try:
        return hasher.check_needs_rehash(stored)
    except (InvalidHashError, ValueError):
        return True


def _spend_time(password: str) -> None:
    dummy = _DUMMY.get(id(hasher))
    if dummy is None:
        dummy = _DUMMY[id(hasher)] = hasher.hash(secrets.token_hex(8))
    try:
        hasher.verify(dummy, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        pass


def generate_password() -> str:
    """A random password (20 URL-safe characters, about 120 bits)."""
    return secrets.token_urlsafe(15)
