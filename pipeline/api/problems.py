"""Errors as RFC 9457 problem details (``application/problem+json``).

Every refusal of the API — a bad token, a photo the Upload page would refuse, a store outside
the token's scope, a rate limit — is a :class:`Problem` with the right status code, a ``type``
that names the kind of problem (a ``tag:`` URI, RFC 4151: stable, not meant to be fetched), a
short ``title``, a one-line ``detail`` in plain words, and extension members where a client can
use them (``retry_after``, ``errors``, ``problems``). Tracebacks never reach the client.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from pipeline.errors import ShelfAuditError
from pipeline.queries.scope import ScopeError

MEDIA_TYPE = "application/problem+json"
TYPE_BASE = "tag:shelfaudit,2026:problem:"
log = logging.getLogger("shelfaudit.api")

TITLES = {
    400: "Bad request", 401: "Not signed in", 403: "Forbidden", 404: "Not found",
    405: "Method not allowed", 409: "Conflict", 413: "Content too large",
    415: "Unsupported media type", 422: "Unprocessable content", 429: "Too many requests",
    500: "Internal error", 503: "Service unavailable",
}


class Problem(Exception):
    """An API error with its problem-details body (``slug`` becomes the ``type`` URI)."""

    def __init__(self, status: int, slug: str, detail: str, *,
                 headers: dict[str, str] | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.status, self.slug, self.detail = status, slug, detail
        self.headers = dict(headers or {})
        self.extra = extra

    def body(self, instance: str | None = None) -> dict[str, Any]:
        out = {"type": TYPE_BASE + self.slug, "title": TITLES.get(self.status, "Error"),
               "status": self.status, "detail": self.detail}
        if instance:
            out["instance"] = instance
        return {**out, **self.extra}

    def response(self, instance: str | None = None) -> JSONResponse:
        return JSONResponse(self.body(instance), status_code=self.status, headers=self.headers,
                            media_type=MEDIA_TYPE)


PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"description": TITLES[status],
             "content": {MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/ProblemDetails"}}}}
    for status in (401, 403, 404, 422, 429)
}


async def _problem(request: Request, exc: Problem) -> JSONResponse:
    return exc.response(request.url.path)


async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    slug = {404: "not-found", 405: "method-not-allowed"}.get(exc.status_code, "http-error")
    detail = exc.detail if isinstance(exc.detail, str) else TITLES.get(exc.status_code, "")
    return Problem(exc.status_code, slug, detail, headers=getattr(exc, "headers", None)
                   ).response(request.url.path)


async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = [{"where": ".".join(str(p) for p in e.get("loc", ())), "message": e.get("msg", "")}
              for e in exc.errors()]
    first = errors[0] if errors else {"where": "", "message": "invalid request"}
    return Problem(422, "invalid-request", f"{first['where']}: {first['message']}",
                   errors=errors).response(request.url.path)


async def _scope(request: Request, exc: ScopeError) -> JSONResponse:
    return Problem(403, "outside-scope", str(exc)).response(request.url.path)


async def _input(request: Request, exc: ShelfAuditError) -> JSONResponse:
    return Problem(422, "invalid-input", str(exc)).response(request.url.path)


async def _crash(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return Problem(500, "internal-error", "the server failed on this request; the error is in "
                   "its log").response(request.url.path)


def install(app: FastAPI) -> None:
    """Answer every error of ``app`` as problem details."""
    app.add_exception_handler(Problem, _problem)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(RequestValidationError, _invalid)
    app.add_exception_handler(ScopeError, _scope)
    app.add_exception_handler(ShelfAuditError, _input)
    app.add_exception_handler(Exception, _crash)


def openapi_schema(app: FastAPI) -> dict[str, Any]:
    """The app's OpenAPI document with the ``ProblemDetails`` schema added."""
    from fastapi.openapi.utils import get_openapi

    if app.openapi_schema:
        return app.openapi_schema
    doc = get_openapi(title=app.title, version=app.version, description=app.description,
                      routes=app.routes)
    doc.setdefault("components", {}).setdefault("schemas", {})["ProblemDetails"] = {
        "type": "object", "description": "RFC 9457 problem details",
        "properties": {"type": {"type": "string"}, "title": {"type": "string"},
                       "status": {"type": "integer"}, "detail": {"type": "string"},
                       "instance": {"type": "string"}},
        "required": ["type", "title", "status", "detail"]}
    app.openapi_schema = doc
    return doc
