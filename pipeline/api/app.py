"""The FastAPI application: routers, problem details, body cap, models and rate limits.

``shelfaudit api`` serves :func:`create_app` with uvicorn (one process: rate limits and the
loaded models live in it). The OpenAPI page is at ``/docs``, the document at
``/openapi.json``.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI
from fastapi.responses import RedirectResponse

from pipeline import __version__
from pipeline import uploads as intake
from pipeline.actions import photo_intake
from pipeline.api import photos, problems, results, system
from pipeline.api.problems import RequestLanguage
from pipeline.api.security import BodyLimit, RateLimiter
from pipeline.context import FreshContext

BODY_LIMIT = intake.MAX_UPLOAD_BYTES + 2**20  # one photo plus the multipart fields
DESCRIPTION = """\
Photo intake and results for cameras and the chain's other systems.

Send a token from `shelfaudit tokens add` as `Authorization: Bearer <token>`. Each token sees
only its stores and may do only what its scopes say (`photos:write`, `results:read`,
`rules:check`). Errors are RFC 9457 problem details (`application/problem+json`), in
Chinese when the request's `Accept-Language` asks for it (`zh`, `zh-CN`), else in English.
"""


class Models:
    """The inspector of this process (``SHELFAUDIT_INSPECTOR``, default the configured
    models): loaded on first use or at start (``--preload``), then kept; inspections run one
    at a time (the CPU or GPU is busy with one anyway, and per-camera caches stay consistent).
    """

    def __init__(self, spec: str | None = None) -> None:
        from pipeline.inbox.inspectors import ENV

        self.spec = spec or os.environ.get(ENV) or "models"
        self._inspector: Any = None
        self._loading = threading.Lock()
        self._running = threading.Lock()
        self.error: str | None = None

    @property
    def loaded(self) -> bool:
        return self._inspector is not None

    def load(self) -> Any:
        with self._loading:
            if self._inspector is None:
                from pipeline.inbox.inspectors import make_inspector

                try:
                    self._inspector = make_inspector(self.spec)
                    self.error = None
                except Exception as exc:
                    self.error = f"{type(exc).__name__}: {exc}"
                    raise
            return self._inspector

    def inspector(self) -> Any:
        """The inspector, wrapped so that inspections run one at a time."""
        return _OneAtATime(self.load(), self._running)

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {"inspector": self.spec, "loaded": self.loaded}
        if self.loaded:
            out["versions"] = dict(self._inspector.versions())
        if self.error:
            out["error"] = self.error
        return out


class _OneAtATime:
    """A :class:`~pipeline.inbox.inspectors.PhotoInspector` whose inspections hold a lock."""

    def __init__(self, inspector: Any, lock: threading.Lock) -> None:
        self._inspector, self._lock = inspector, lock
        self.name = inspector.name

    def inspect(self, photos: Sequence[Any], metas: Sequence[Any]) -> list[Any]:
        with self._lock:
            return self._inspector.inspect(photos, metas)

    def versions(self) -> dict[str, str]:
        return self._inspector.versions()


def create_app(inspector: str | None = None, preload: bool = False) -> FastAPI:
    """The API application (``inspector``: as ``SHELFAUDIT_INSPECTOR``; ``preload``: load
    the models now rather than on the first ``?inspect=now``)."""
    app = FastAPI(title="ShelfAudit API", version=__version__, description=DESCRIPTION,
                  docs_url="/docs", redoc_url=None)
    app.state.models = Models(inspector)
    # the edge's settings, catalog and sites, shared by the requests (made again when a rules
    # file changes, at the latest after SITES_TTL_S)
    app.state.context = FreshContext(photo_intake.SITES_TTL_S)
    app.state.limiter = RateLimiter()
    for router in (photos.router, results.router, system.router):
        app.include_router(router)
    problems.install(app)
    app.openapi = lambda: problems.openapi_schema(app)  # type: ignore[method-assign]
    app.add_middleware(BodyLimit, limit=BODY_LIMIT)
    app.add_middleware(RequestLanguage)  # outermost: BodyLimit's refusals are translated too

    @app.get("/", include_in_schema=False)
    async def root() -> RedirectResponse:
        return RedirectResponse("/docs")

    if preload:
        app.state.models.load()
    return app
