"""The narrow screens' stylesheet and script (pipeline/dashboard/narrow.py): linked from the
HTML page the server answers (plain or gzip-compressed), served as fixed files, nothing else
touched. Their effect on a phone is measured in tests/browser/test_phone.py."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route
from starlette.testclient import TestClient

from pipeline.dashboard import narrow

PAGE = "<!DOCTYPE html><html><head><title>ShelfAudit</title></head><body>" + "x" * 900 + \
    "</body></html>"


def _client() -> TestClient:
    """A server like the dashboard's: an HTML page at every path (gzip when it may), JSON and
    a 304 elsewhere, the two files' route, the middleware outermost."""
    async def page(request):
        return HTMLResponse(PAGE, headers={"ETag": '"abc"', "Last-Modified": "x"})

    async def data(request):
        return JSONResponse({"page": PAGE})

    async def same(request):
        return Response(status_code=304)

    app = Starlette(routes=[Route("/data", data), Route("/same", same), *narrow.routes(),
                            Route("/{path:path}", page)],
                    middleware=[Middleware(narrow.LinkAssets),
                                Middleware(GZipMiddleware, minimum_size=100)])
    return TestClient(app)


def test_every_html_page_links_the_two_files_once_in_its_head():
    client = _client()
    for path, encoding in (("/", "identity"), ("/inspections", "gzip")):
        answer = client.get(path, headers={"Accept-Encoding": encoding})
        assert answer.status_code == 200
        text = answer.text
        head = text[:text.index("</head>")]
        assert head.count('href="./assets/narrow.css"') == 1
        assert head.count('src="./assets/narrow.js"') == 1
        assert text.endswith("x" * 900 + "</body></html>")
        assert int(answer.headers["content-length"]) == len(answer.content)
        assert "content-encoding" not in answer.headers and "etag" not in answer.headers
        assert "last-modified" not in answer.headers  # never "not modified" without them


def test_other_answers_pass_untouched():
    client = _client()
    data = client.get("/data", headers={"Accept-Encoding": "gzip"})
    assert data.headers["content-encoding"] == "gzip"
    assert data.json() == {"page": PAGE}
    assert client.get("/same").status_code == 304
    assert client.head("/").status_code == 200
    assert narrow.link(b"<p>no head</p>") == b"<p>no head</p>"
    linked = narrow.link(PAGE.encode())
    assert narrow.link(linked) == linked


def test_the_files_are_served_and_nothing_else_under_assets():
    client = _client()
    css = client.get("/assets/narrow.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert "@media (max-width: 640px)" in css.text
    js = client.get("/assets/narrow.js")
    assert js.headers["content-type"].startswith("text/javascript")
    assert "stSidebarCollapseButton" in js.text
    assert js.headers["x-content-type-options"] == "nosniff"
    for name in ("other.js", "narrow.py", "static"):
        assert client.get(f"/assets/{name}").status_code == 404
    outside = client.get("/assets/..%2Fnarrow.py")  # not a name: the page, as at any path
    assert "LinkAssets" not in outside.text and outside.text.startswith("<!DOCTYPE html>")
