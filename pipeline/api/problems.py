"""Errors as RFC 9457 problem details (``application/problem+json``).

Every refusal of the API — a bad token, a photo the Upload page would refuse, a store outside
the token's scope, a rate limit — is a :class:`Problem` with the right status code, a ``type``
that names the kind of problem (a ``tag:`` URI, RFC 4151: stable, not meant to be fetched), a
short ``title``, a one-line ``detail`` in plain words, and extension members where a client can
use them (``retry_after``, ``errors``, ``problems``). Tracebacks never reach the client.

``title`` and ``detail`` are in the request's language: Chinese when its ``Accept-Language``
asks for it (``zh``, ``zh-CN`` ...), else English (:func:`language` and
:class:`RequestLanguage`; the words come from the gettext catalog, docs/TRANSLATING.md). The
``type`` URIs and the field names are the same in every language.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from pipeline import i18n
from pipeline.access.scope import ScopeError
from pipeline.errors import ShelfAuditError
from pipeline.i18n import N_, _

MEDIA_TYPE = "application/problem+json"
TYPE_BASE = "tag:shelfaudit,2026:problem:"
log = logging.getLogger("shelfaudit.api")

TITLES = {
    400: N_("Bad request"), 401: N_("Not signed in"), 403: N_("Forbidden"),
    404: N_("Not found"), 405: N_("Method not allowed"), 409: N_("Conflict"),
    413: N_("Content too large"), 415: N_("Unsupported media type"),
    422: N_("Unprocessable content"), 429: N_("Too many requests"), 500: N_("Internal error"),
    503: N_("Service unavailable"),
}
# Pydantic's kinds of invalid input, in words of the catalog ({...}: the error's context)
INVALID = {
    "missing": N_("this value is missing"),
    "int_parsing": N_("this value must be a whole number"),
    "float_parsing": N_("this value must be a number"),
    "bool_parsing": N_("this value must be true or false"),
    "string_type": N_("this value must be a text"),
    "dict_type": N_("this value must be a JSON object"),
    "list_type": N_("this value must be a JSON list"),
    "model_attributes_type": N_("this value must be a JSON object"),
    "json_invalid": N_("the body is not valid JSON"),
    "literal_error": N_("this value must be one of {expected}"),
    "greater_than_equal": N_("this value must be at least {ge}"),
    "greater_than": N_("this value must be more than {gt}"),
    "less_than_equal": N_("this value must be at most {le}"),
    "less_than": N_("this value must be less than {lt}"),
    "string_too_long": N_("this value must be at most {max_length} characters long"),
    "string_too_short": N_("this value must be at least {min_length} characters long"),
    "string_pattern_mismatch": N_("this value does not have the expected form"),
    "date_from_datetime_parsing": N_("this value must be a date such as 2026-11-16"),
    "date_parsing": N_("this value must be a date such as 2026-11-16"),
    "extra_forbidden": N_("this field is not known"),
}


def language(headers: Any) -> str:
    """The language of a request's answers: ``zh`` when its ``Accept-Language`` asks for
    Chinese first, else English (never the server's own locale)."""
    return i18n.from_accept_language(headers.get("accept-language")) or i18n.DEFAULT


class RequestLanguage:
    """ASGI middleware: the request is answered in :func:`language` of its headers."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1")
                   for k, v in scope.get("headers") or []}
        with i18n.using(language(headers)):
            await self.app(scope, receive, send)


class Problem(Exception):
    """An API error with its problem-details body (``slug`` becomes the ``type`` URI)."""

    def __init__(self, status: int, slug: str, detail: str, *,
                 headers: dict[str, str] | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.status, self.slug, self.detail = status, slug, detail
        self.headers = dict(headers or {})
        self.extra = extra

    def body(self, instance: str | None = None) -> dict[str, Any]:
        title = TITLES.get(self.status)
        out = {"type": TYPE_BASE + self.slug, "title": _(title) if title else _("Error"),
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


def _http_detail(request: Request, exc: StarletteHTTPException) -> str:
    if exc.status_code == 404:
        return _("nothing here: {path} is not an endpoint of this API (they are listed at "
                 "/docs)").format(path=request.url.path)
    if exc.status_code == 405:
        return _("{path} does not take {method} requests").format(path=request.url.path,
                                                                  method=request.method)
    try:
        standard = HTTPStatus(exc.status_code).phrase
    except ValueError:
        standard = None
    if isinstance(exc.detail, str) and exc.detail and exc.detail != standard:  # the parser's
        return _("the request could not be read ({reason})").format(reason=exc.detail)
    title = TITLES.get(exc.status_code)
    return _(title) if title else str(exc.detail)


async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    slug = {404: "not-found", 405: "method-not-allowed"}.get(exc.status_code, "http-error")
    return Problem(exc.status_code, slug, _http_detail(request, exc),
                   headers=getattr(exc, "headers", None)).response(request.url.path)


def _invalid_message(error: dict[str, Any]) -> str:
    """One pydantic error in the request's language (its own English words when the
    catalog has no words for its kind)."""
    words = INVALID.get(str(error.get("type")))
    if words is None:
        return str(error.get("msg", ""))
    context = {k: (" | ".join(map(str, v)) if isinstance(v, list | tuple) else v)
               for k, v in (error.get("ctx") or {}).items()}
    try:
        return _(words).format(**context)
    except (KeyError, IndexError, ValueError):
        return str(error.get("msg", ""))


async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = [{"where": ".".join(str(p) for p in e.get("loc", ())),
               "message": _invalid_message(e)} for e in exc.errors()]
    if not errors:
        return Problem(422, "invalid-request", _("the request is not valid")
                       ).response(request.url.path)
    first = errors[0]
    return Problem(422, "invalid-request", _("{where}: {message}").format(**first),
                   errors=errors).response(request.url.path)


async def _scope(request: Request, exc: ScopeError) -> JSONResponse:
    return Problem(403, "outside-scope", str(exc)).response(request.url.path)


async def _input(request: Request, exc: ShelfAuditError) -> JSONResponse:
    return Problem(422, "invalid-input", str(exc)).response(request.url.path)


async def _crash(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    with i18n.using(language(request.headers)):  # answered outside RequestLanguage
        return Problem(500, "internal-error", _("the server failed on this request; the "
                                                "error is in its log")
                       ).response(request.url.path)


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
