"""The sign-in cookie: a reload or a new tab keeps the session.

After a password sign-in the browser gets a cookie holding the session's token, signed with
the server's secret (itsdangerous, timestamped): ``HttpOnly`` (page scripts cannot read it),
``SameSite=Strict`` (never sent with another site's requests), ``Secure`` over HTTPS, and
kept until the session's absolute end (:func:`pipeline.access.sessions.max_age` after
sign-in). The idle limit is the server's: a reload after :func:`~pipeline.access.sessions.
idle_limit` without use finds the session ended, and the cookie is cleared. Signing out ends
the session in the database, so the cookie is dead at once, and then clears it.

Streamlit talks to the browser over a WebSocket, which cannot set cookies; a small HTTP route
of the dashboard's server does (:mod:`pipeline.dashboard.server`). The page shows a 1-pixel
image from ``/api/session?code=...`` — a one-time code (:func:`offer`, valid
:data:`CODE_SECONDS` seconds) that the route exchanges for the cookie (:func:`redeem`); no
script runs in the page and the token itself never appears in it. On a new connection the
router reads the cookie back (``st.context.cookies``, :func:`unseal`).

The secret is ``SHELFAUDIT_SECRET_KEY``, else a random key made once and kept owner-only in
``$SHELFAUDIT_HOME/secret_key`` (a new key signs everyone out of their cookies).
"""

from __future__ import annotations

import os
import secrets
import threading
import time
from pathlib import Path

from itsdangerous import BadSignature, URLSafeTimedSerializer

COOKIE = "shelfaudit_session"
ROUTE = "api/session"  # under the server's base URL path
SECRET_ENV = "SHELFAUDIT_SECRET_KEY"
SECRET_FILE = "secret_key"
CODE_SECONDS = 120
_SALT = "shelfaudit-session-cookie"
_codes: dict[str, tuple[str, float]] = {}  # one-time code -> (session token, valid until)
_codes_lock = threading.Lock()
_served = threading.Event()  # set when this process serves the cookie route


def serve() -> None:
    """Note that this process's web server has the cookie route (the dashboard's server
    calls it); without it the pages offer no cookie (``streamlit run streamlit_app.py``)."""
    _served.set()


def served() -> bool:
    return _served.is_set()


def secret_key() -> str:
    """The server's signing secret: ``SHELFAUDIT_SECRET_KEY``, else ``secret_key`` in the
    data home (made on first use, ``0600``)."""
    given = os.environ.get(SECRET_ENV, "").strip()
    if given:
        return given
    from pipeline.settings import get_settings

    path = get_settings().home_dir / SECRET_FILE
    return _read_or_make(path)


def _read_or_make(path: Path) -> str:
    try:
        found = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        found = ""
    if len(found) >= 32:
        return found
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # made by another process a moment ago
        return path.read_text(encoding="ascii").strip()
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(key + "\n")
    return key


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key(), salt=_SALT)


def seal(token: str) -> str:
    """The cookie's value for a session token (signed and timestamped)."""
    return _serializer().dumps(token)


def unseal(value: str | None) -> str | None:
    """The session token in a cookie value, or ``None``: missing, not signed by this server,
    or older than the session limit."""
    from pipeline.access.sessions import max_age

    if not value or not isinstance(value, str) or len(value) > 1000:
        return None
    try:
        token = _serializer().loads(value, max_age=max_age().total_seconds())
    except BadSignature:  # also SignatureExpired
        return None
    return token if isinstance(token, str) else None


def offer(token: str, now: float | None = None) -> str:
    """A one-time code the browser exchanges for the cookie of ``token`` (see the module)."""
    now = time.time() if now is None else now
    code = secrets.token_urlsafe(24)
    with _codes_lock:
        for stale in [c for c, (_, until) in _codes.items() if until <= now]:
            del _codes[stale]
        _codes[code] = (token, now + CODE_SECONDS)
    return code


def redeem(code: str | None, now: float | None = None) -> str | None:
    """The session token of a code from :func:`offer`, once; ``None`` when unknown, used or
    too old."""
    if not code or not isinstance(code, str):
        return None
    now = time.time() if now is None else now
    with _codes_lock:
        found = _codes.pop(code, None)
    if found is None or found[1] <= now:
        return None
    return found[0]
