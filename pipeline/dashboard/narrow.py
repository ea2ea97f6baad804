"""Narrow screens (phones): one stylesheet and one small script of the dashboard's own, linked
from every page by its server (:mod:`pipeline.dashboard.server`).

- ``static/narrow.css``: below 640 px a row of KPI cards keeps two small cards a row (Streamlit
  puts each column under the one before, so five cards filled the first screen); a page link
  wraps instead of being cut off; tables stay within the screen and scroll inside themselves;
- ``static/narrow.js``: below 768 px (Streamlit's breakpoint where the sidebar lies over the
  page) the sidebar closes after a page is chosen, whatever the browser's user agent
  (Streamlit itself closes it for a phone's agent only).

Both are fixed files served at ``<base>/assets/narrow.css`` and ``<base>/assets/narrow.js``;
:class:`LinkAssets` adds their two tags to the HTML page Streamlit serves (``index.html``, at
every page's URL). No data and no text of any user passes through them (docs/SECURITY.md:
pages still render no HTML).
"""

from __future__ import annotations

import gzip
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

STATIC = Path(__file__).resolve().parent / "static"
ASSETS = {"narrow.css": "text/css; charset=utf-8",
          "narrow.js": "text/javascript; charset=utf-8"}
# relative like the page's own assets ("./static/..."): right under any server.baseUrlPath
TAGS = (b'<link rel="stylesheet" href="./assets/narrow.css">'
        b'<script defer src="./assets/narrow.js"></script>')


def asset(request: Request) -> Response:
    """``GET <base>/assets/<name>``: one of :data:`ASSETS`, revalidated on every load."""
    name = request.path_params["name"]
    if name not in ASSETS:
        return Response(status_code=404)
    return Response((STATIC / name).read_bytes(), media_type=ASSETS[name],
                    headers={"Cache-Control": "no-cache",
                             "X-Content-Type-Options": "nosniff"})


def routes() -> list[Route]:
    """The two files' route, under the server's base URL path."""
    from pipeline.dashboard.cookie_route import base_path

    return [Route(base_path() + "assets/{name}", asset, methods=["GET"])]


def link(html: bytes) -> bytes:
    """``html`` with :data:`TAGS` at the end of its head (unchanged without a head, or when
    they are there already)."""
    if TAGS in html or b"</head>" not in html:
        return html
    return html.replace(b"</head>", TAGS + b"</head>", 1)


class LinkAssets:
    """ASGI middleware: every ``text/html`` answer to a GET carries :data:`TAGS` in its head
    (the page Streamlit serves at every page's URL); other answers pass untouched."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") != "GET":
            await self.app(scope, receive, send)
            return
        start: Message | None = None
        body: list[bytes] = []

        async def wrapped(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                headers = dict((k.lower(), v) for k, v in message.get("headers", []))
                if (message["status"] == 200
                        and headers.get(b"content-type", b"").startswith(b"text/html")):
                    start = message  # held until the whole page is here
                    return
                await send(message)
            elif message["type"] == "http.response.body" and start is not None:
                body.append(message.get("body", b""))
                if not message.get("more_body", False):
                    await _send_linked(start, b"".join(body), send)
            else:
                await send(message)

        await self.app(scope, receive, wrapped)


async def _send_linked(start: Message, page: bytes, send: Send) -> None:
    headers = [(k, v) for k, v in start.get("headers", [])
               if k.lower() not in (b"content-length", b"content-encoding", b"etag",
                                    b"last-modified")]  # never answered "not modified"
    encoded = dict((k.lower(), v) for k, v in start.get("headers", [])).get(b"content-encoding")
    if encoded == b"gzip":
        page = gzip.decompress(page)
    elif encoded:  # an encoding this cannot read: the page as it came
        await send(start)
        await send({"type": "http.response.body", "body": page})
        return
    page = link(page)
    headers.append((b"content-length", str(len(page)).encode()))
    await send({**start, "headers": headers})
    await send({"type": "http.response.body", "body": page})
