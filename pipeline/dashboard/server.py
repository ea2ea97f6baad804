"""The dashboard's web server: Streamlit's own, plus the sign-in cookie route.

Started with ``streamlit run pipeline/dashboard/server.py`` (``shelfaudit serve`` and
``make run`` do it): Streamlit finds :data:`app` (``st.App``) and serves the router,
``streamlit_app.py``, exactly as ``streamlit run streamlit_app.py`` would, with one more HTTP
route, ``/api/session`` (under ``server.baseUrlPath``), that sets and clears the sign-in cookie
(:mod:`pipeline.access.session_cookie`):

- ``GET /api/session?code=C`` — exchange a one-time code for the cookie of its session (when
  the session is live), ``HttpOnly; SameSite=Strict`` (``Secure`` over HTTPS), until the
  session's absolute end;
- ``GET /api/session?end=1`` — end the session the cookie names and clear the cookie (sent by
  the sign-in page after signing out; a cross-site request carries no ``Strict`` cookie, so it
  can end nothing).

Both answer a 1-pixel transparent GIF, never cached, whatever happened: the page shows them as
images, so no script runs in the page. Run as ``streamlit run streamlit_app.py`` the dashboard
works the same, but a reload signs out (there is no route to set the cookie).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import streamlit as st
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

HERE = Path(__file__).resolve().parent
ROUTER = HERE.parents[1] / "streamlit_app.py"
# `streamlit run` puts this file's folder first on sys.path; its modules (models.py, auth.py
# ...) must not pass for top-level packages of that name.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]


def _no_pages_folder_fallback() -> None:
    """Never run a file of ``pages/`` on its own. Until some session's router has called
    ``st.navigation``, Streamlit treats a ``pages/`` folder next to the main script as a
    version-1 multipage app: the first visit after start-up to ``/inspections`` would run
    ``pages/inspections.py`` directly — without the router's sign-in gate. The router always
    navigates, so the fallback is off from the start."""
    from streamlit.runtime.pages_manager import PagesManager

    PagesManager.uses_pages_directory = False


_no_pages_folder_fallback()
PIXEL = (b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00"
         b"\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;")


def base_path() -> str:
    """``/`` or ``/<server.baseUrlPath>/`` (where the app and the cookie live)."""
    from streamlit import config

    base = str(config.get_option("server.baseUrlPath") or "").strip("/")
    return f"/{base}/" if base else "/"


def _secure(request: Request) -> bool:
    if request.url.scheme == "https":
        return True
    from pipeline.dashboard.auth import TRUST_PROXY_ENV

    trusted = os.environ.get(TRUST_PROXY_ENV, "").strip() in ("1", "true", "yes")
    return trusted and request.headers.get("x-forwarded-proto", "").lower() == "https"


def _set(request: Request, response: Response) -> None:
    from pipeline.access import session_cookie, sessions

    token = session_cookie.redeem(request.query_params.get("code"))
    left = sessions.time_left(token) if token else None
    if left is None:
        return
    response.set_cookie(session_cookie.COOKIE, session_cookie.seal(token),
                        max_age=int(left.total_seconds()), path=base_path(),
                        secure=_secure(request), httponly=True, samesite="strict")


def _end(request: Request, response: Response) -> None:
    from pipeline.access import session_cookie, sessions

    token = session_cookie.unseal(request.cookies.get(session_cookie.COOKIE))
    if token:
        sessions.end_session(token)
    response.delete_cookie(session_cookie.COOKIE, path=base_path(), secure=_secure(request),
                           httponly=True, samesite="strict")


def session_route(request: Request) -> Response:
    """``GET /api/session``: set (``?code=``) or clear (``?end=1``) the sign-in cookie.
    Runs in Starlette's thread pool (a plain function: the database calls block)."""
    response = Response(PIXEL, media_type="image/gif",
                        headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"})
    if request.query_params.get("code"):
        _set(request, response)
    elif request.query_params.get("end"):
        _end(request, response)
    return response


def routes() -> list[Route]:
    from pipeline.access import session_cookie

    session_cookie.serve()
    return [Route(base_path() + session_cookie.ROUTE, session_route, methods=["GET"])]


app = st.App(ROUTER, routes=routes())
