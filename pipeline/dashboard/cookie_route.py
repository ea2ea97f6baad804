"""The sign-in cookie's HTTP route, ``/api/session`` (under ``server.baseUrlPath``), served by
the dashboard's own server (:mod:`pipeline.dashboard.server`); see
:mod:`pipeline.access.session_cookie` for the cookie itself.

- ``GET /api/session?code=C`` — exchange a one-time code for the cookie of its session (when
  the session is live), ``HttpOnly; SameSite=Strict`` (``Secure`` over HTTPS), until the
  session's absolute end;
- ``GET /api/session?end=1`` — end the session the cookie names and clear the cookie (sent by
  the sign-in page after signing out; a cross-site request carries no ``Strict`` cookie, and a
  request the browser marks as not from this origin — ``Sec-Fetch-Site``, e.g. an image on a
  sibling subdomain — is ignored, so no other page can sign anyone out).

Both answer a 1-pixel transparent GIF, never cached, whatever happened: the page shows them as
images, so no script runs in the page.
"""

from __future__ import annotations

import os

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

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


def _same_origin(request: Request) -> bool:
    """Whether the browser says the request comes from this origin's own page (browsers
    without ``Sec-Fetch-Site`` are taken at their word)."""
    return request.headers.get("sec-fetch-site", "same-origin") in ("same-origin", "none")


def session_route(request: Request) -> Response:
    """``GET /api/session``: set (``?code=``) or clear (``?end=1``) the sign-in cookie.
    Runs in Starlette's thread pool (a plain function: the database calls block)."""
    response = Response(PIXEL, media_type="image/gif",
                        headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"})
    if request.query_params.get("code"):
        _set(request, response)
    elif request.query_params.get("end") and _same_origin(request):
        _end(request, response)
    return response


def routes() -> list[Route]:
    """The cookie's route, under the server's base URL path."""
    from pipeline.access import session_cookie

    return [Route(base_path() + session_cookie.ROUTE, session_route, methods=["GET"])]
