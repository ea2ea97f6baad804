"""Sign-in for the dashboard: the gate the router calls before ``st.navigation``.

:func:`gate` returns the signed-in :class:`~pipeline.access.roles.User`, or draws the sign-in
form and stops the run — no page and no sidebar data render before sign-in. It puts the
user's :class:`~pipeline.access.scope.Scope` where :func:`pipeline.dashboard.frame.scope`
reads it. Sessions expire (:mod:`pipeline.access.sessions`); the browser tab keeps only a
random token in ``st.session_state``, and — when the dashboard runs on its own server
(:mod:`pipeline.dashboard.server`) — the browser keeps it in a signed, ``HttpOnly`` cookie that
lives as long as the session, so a reload or a new tab stays signed in
(:mod:`pipeline.access.session_cookie`). A URL opened before sign-in (a bookmark) shows the
sign-in form and then that very page, with its query parameters.

Single sign-on: when ``.streamlit/secrets.toml`` has an ``[auth]`` section (Streamlit's OIDC
settings; needs the ``Authlib`` package), the form also offers "Sign in with single sign-on"
(``st.login``). The identity's e-mail must belong to an active account
(``shelfaudit users add NAME --email ADDRESS --no-password``); nobody is created on the fly.
Single sign-on sessions expire exactly like password ones: the login cookie of a sign-in whose
session ended (idle, older than the session limit, signed out) is cleared, not used again —
the person signs in again at the identity provider.

Sign-in limits count the client's address (:func:`client_address`): the connection's, or —
with ``SHELFAUDIT_TRUST_PROXY=1`` behind the documented reverse proxy — the last entry of
``X-Forwarded-For``.

Session keys (prefix ``auth_``): ``auth_token``, ``auth_user``, ``auth_scope``, ``auth_note``,
``auth_cookie_code`` (the one-time code that sets the cookie), ``auth_cookie_dead`` (a cookie
value this tab found ended) and ``auth_cookie_clear`` (the sign-in page clears the cookie).
"""

from __future__ import annotations

import re
from typing import Any

import streamlit as st

from pipeline.access.roles import ADMIN, RANK, SUPERVISOR, User, scope_for
from pipeline.i18n import N_, _

TOKEN_KEY, USER_KEY, NOTE_KEY = "auth_token", "auth_user", "auth_note"
COOKIE_CODE, COOKIE_DEAD, COOKIE_CLEAR = "auth_cookie_code", "auth_cookie_dead", "auth_cookie_clear"
ENDED = N_("Your session has ended; please sign in again.")
TRUST_PROXY_ENV = "SHELFAUDIT_TRUST_PROXY"
SCOPE_KEY = "auth_scope"  # read by pipeline.dashboard.frame.scope()
# Pages (by url path) that need more than the viewer role.
PAGE_ROLES: dict[str, str] = {"upload": SUPERVISOR, "rules": SUPERVISOR, "admin": ADMIN}
ROLE_LABELS: dict[str, str] = {"viewer": N_("viewer"), "supervisor": N_("supervisor"),
                               "admin": N_("admin")}
_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:=^&])")


def as_text(value: Any) -> str:
    """``value`` made safe to show inside Streamlit markdown (captions, messages): every
    markdown character escaped and line breaks flattened, so user text stays text."""
    text = re.sub(r"[\r\n\t]+", " ", str(value))
    return _MARKDOWN.sub(r"\\\1", text)


def current_user() -> User | None:
    """The user of this browser tab's live session (``None`` when signed out or expired)."""
    from pipeline.access import sessions

    token = st.session_state.get(TOKEN_KEY)
    from_cookie = not token
    if from_cookie:
        token = _cookie_token()  # a reload or a new tab: the sign-in cookie
    user = sessions.resume(token) if token else None
    if token and user is None:
        _forget()
        _cookie_ended()
        st.session_state[NOTE_KEY] = ENDED
    elif user is not None and from_cookie:
        st.session_state[TOKEN_KEY] = token
    if user is None:
        identity = _identity()
        if identity is not None:
            user = _from_oidc(identity)
    return user


def gate(pages: dict[str, list[Any]] | None = None) -> User:
    """The signed-in user; otherwise draw the sign-in form and stop this run.

    The sign-in form is the only page there is, whatever the URL: it answers at every page's
    URL too (``pages``: the router's page groups), so a bookmarked ``/inspections?week=...``
    shows the form, and after sign-in the same URL opens that page — not "Page not found"."""
    user = current_user()
    if user is None:
        _forget()
        # No file under pages/ can be run on its own (st.navigation turns the pages/ folder off).
        st.navigation(_sign_in_pages(pages or {}), position="hidden").run()
        st.stop()
    st.session_state[USER_KEY] = user
    st.session_state[SCOPE_KEY] = scope_for(user)
    _give_cookie()
    return user


def _sign_in_pages(pages: dict[str, list[Any]]) -> list[Any]:
    title = _("Sign in")
    found = [st.Page(sign_in_form, title=title, url_path="sign-in", default=True)]
    paths = {p.url_path for items in pages.values() for p in items if p.url_path}
    found += [st.Page(sign_in_form, title=title, url_path=path) for path in sorted(paths)
              if path != "sign-in"]
    return found


def _cookie() -> str | None:
    """This browser's sign-in cookie, as sent when the tab connected."""
    from pipeline.access.session_cookie import COOKIE

    try:
        return st.context.cookies.get(COOKIE)
    except Exception:  # noqa: BLE001 - no browser (scripts, some tests)
        return None


def _cookie_token() -> str | None:
    """The session token in this browser's sign-in cookie (not yet found ended here)."""
    from pipeline.access import session_cookie

    value = _cookie()
    if not value or value == st.session_state.get(COOKIE_DEAD):
        return None
    token = session_cookie.unseal(value)
    if token is None:  # not ours, or older than any session may live
        _cookie_ended()
        st.session_state[NOTE_KEY] = ENDED
    return token


def _cookie_ended() -> None:
    """This tab's cookie is no use any more: never read it again here, clear it."""
    st.session_state[COOKIE_DEAD] = _cookie()
    st.session_state.pop(COOKIE_CODE, None)
    st.session_state[COOKIE_CLEAR] = True


def _cookie_image(query: str, where: Any) -> None:
    """A 1-pixel image from the server's cookie route (see :mod:`pipeline.dashboard.server`):
    loading it sets or clears the cookie; no script runs in the page. The URL is relative, so
    it stays under the server's base path."""
    from pipeline.access import session_cookie

    if session_cookie.served():
        where.markdown(f"![]({session_cookie.ROUTE}?{query})")


def _give_cookie() -> None:
    code = st.session_state.get(COOKIE_CODE)
    if code:
        _cookie_image(f"code={code}", st.sidebar)


def user() -> User | None:
    """The user :func:`gate` let in on this run (for pages)."""
    found = st.session_state.get(USER_KEY)
    return found if isinstance(found, User) else None


def allowed_pages(pages: dict[str, list[Any]], user: User) -> dict[str, list[Any]]:
    """The router's page groups without the pages ``user``'s role may not open (hidden pages
    are not reachable by URL either)."""
    out = {}
    for group, items in pages.items():
        kept = [p for p in items if RANK[user.role] >= RANK[PAGE_ROLES.get(p.url_path, "viewer")]]
        if kept:
            out[group] = kept
    return out


def sidebar(user: User) -> None:
    """Who is signed in (as plain text) and the sign-out button."""
    with st.sidebar:
        st.caption(_("Signed in as"))
        st.text(f"{user.label} ({_(ROLE_LABELS.get(user.role, user.role))})")
        st.button(_("Sign out"), key="auth_logout", on_click=sign_out, icon=":material/logout:")


def sign_out() -> None:
    """End the session (and the single sign-on cookie) and forget the user in this tab."""
    from pipeline.access import sessions
    from pipeline.access.audit import LOGOUT, audit

    who = user()
    sessions.end_session(st.session_state.get(TOKEN_KEY))  # the cookie is dead from now on
    if who is not None:
        audit(who, LOGOUT, who.username)
    _forget()
    _cookie_ended()
    for key in ("store", "week"):
        st.session_state.pop(key, None)
    if _identity() is not None:
        _sso_logout()


def _forget() -> None:
    for key in (TOKEN_KEY, USER_KEY, SCOPE_KEY):
        st.session_state.pop(key, None)


def sign_in_form() -> None:
    """The sign-in page: title, a note (expired session ...), the form, single sign-on."""
    from pipeline.dashboard.frame import language_switch

    st.title("ShelfAudit")
    language_switch(in_sidebar=False)
    st.subheader(_("Sign in"))
    note = st.session_state.pop(NOTE_KEY, None)
    if note:
        st.info(_(note))
    if st.session_state.get(COOKIE_CLEAR):
        _cookie_image("end=1", st)
    with st.form("auth_login"):
        st.text_input(_("User name"), key="auth_username", autocomplete="username")
        st.text_input(_("Password"), type="password", key="auth_password",
                      autocomplete="current-password")
        submitted = st.form_submit_button(_("Sign in"), type="primary")
    if submitted:
        _try_password()
    if oidc_configured():
        st.divider()
        st.button(_("Sign in with single sign-on"), key="auth_sso", on_click=_start_oidc)
    st.caption(_("Accounts are managed by your admin (`shelfaudit users`)."))


def _try_password() -> None:
    from pipeline.access import sessions
    from pipeline.access.accounts import LoginError, authenticate

    name = st.session_state.get("auth_username", "")
    password = st.session_state.get("auth_password", "")
    try:
        found = authenticate(name, password, address=client_address())
    except LoginError as exc:
        st.error(as_text(exc))
        return
    from pipeline.access import session_cookie

    token = sessions.start_session(found)
    st.session_state[TOKEN_KEY] = token
    st.session_state[COOKIE_CODE] = session_cookie.offer(token)
    st.session_state.pop(COOKIE_CLEAR, None)
    st.rerun()


def oidc_configured() -> bool:
    """Whether ``.streamlit/secrets.toml`` has an ``[auth]`` section."""
    try:
        return "auth" in st.secrets
    except Exception:  # noqa: BLE001 - no secrets file at all
        return False


def _identity() -> dict[str, Any] | None:
    """The single sign-on identity of this browser (the claims of Streamlit's signed login
    cookie), or ``None`` when single sign-on is off or nobody is signed in there."""
    if not oidc_configured():
        return None
    try:
        claims = st.user.to_dict()
    except Exception:  # noqa: BLE001 - no identity (Authlib missing, no cookie)
        return None
    return claims if claims.get("is_logged_in") else None


def _sso_logout() -> None:
    """Clear the single sign-on cookie (a no-op when there is none)."""
    try:
        st.logout()
    except Exception:  # noqa: BLE001 - nothing to clear
        pass


def client_address() -> str | None:
    """The browser's network address, for sign-in limits (``None`` on this machine)."""
    import os

    try:
        if os.environ.get(TRUST_PROXY_ENV, "").strip() in ("1", "true", "yes"):
            forwarded = str(st.context.headers.get("X-Forwarded-For") or "")
            last = forwarded.split(",")[-1].strip()
            if last:
                return last[:200]
        return st.context.ip_address
    except Exception:  # noqa: BLE001 - outside a browser session (tests, scripts)
        return None


def _start_oidc() -> None:
    try:
        st.login()
    except Exception as exc:  # noqa: BLE001 - Authlib missing or settings incomplete
        st.session_state[NOTE_KEY] = _("Single sign-on is not available: {reason}").format(
            reason=exc)


def _sso_sign_in(identity: dict[str, Any]) -> tuple[str, Any] | None:
    """``(session token, sign-in time)`` of one identity-provider sign-in, or ``None`` when the
    identity has no ``iat`` (issued-at) claim. The token is an HMAC of the provider, subject
    and ``iat`` under the cookie secret, so one sign-in always maps to one session row."""
    import hashlib
    import hmac
    from datetime import UTC, datetime

    try:
        issued = datetime.fromtimestamp(float(identity["iat"]), UTC).replace(tzinfo=None)
    except (KeyError, TypeError, ValueError, OverflowError, OSError):
        return None
    try:
        secret = str(st.secrets["auth"].get("cookie_secret", ""))
    except Exception:  # noqa: BLE001 - no secrets file (tests)
        secret = ""
    who = identity.get("sub") or identity.get("email") or ""
    message = f"{identity.get('provider', '')}\0{who}\0{identity['iat']}".encode()
    token = "oidc-" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
    return token, issued


def _from_oidc(identity: dict[str, Any]) -> User | None:
    """The active account whose e-mail the identity provider vouched for — through a session
    that expires like any other. An ended one is not started again from the same cookie."""
    from sqlalchemy import select

    from pipeline.access import sessions
    from pipeline.access.accounts import user_by_id
    from pipeline.access.audit import LOGIN, LOGIN_FAILED, audit
    from pipeline.access.tables import Account
    from pipeline.db import session_scope
    from pipeline.db.tables import utcnow

    email = str(identity.get("email") or "").strip().lower()
    sign_in = _sso_sign_in(identity)
    if sign_in is None:
        st.session_state[NOTE_KEY] = _("Single sign-on did not say when you signed in (no "
                                        "'iat' claim); ask your admin.")
        _sso_logout()
        return None
    token, issued = sign_in
    found = sessions.resume(token)
    if found is not None:
        st.session_state[TOKEN_KEY] = token
        return found
    if sessions.ended(token) or utcnow() - issued >= sessions.max_age():
        st.session_state[NOTE_KEY] = ENDED  # idle, too old or signed out: sign in again
        _sso_logout()
        return None
    with session_scope() as session:
        row = session.scalar(select(Account).where(Account.email == email)) if email else None
        found = user_by_id(row.id, session) if row is not None and row.active else None
    if found is None:
        audit(None, LOGIN_FAILED, email, ok=False, method="oidc", reason="no active account")
        st.session_state[NOTE_KEY] = _("{who} has no active ShelfAudit account; ask an "
                                        "admin.").format(who=email or _("Your identity"))
        _sso_logout()
        return None
    audit(found, LOGIN, found.username, method="oidc")
    st.session_state[TOKEN_KEY] = sessions.start_session(found, method="oidc", token=token,
                                                         signed_in_at=issued)
    return found
