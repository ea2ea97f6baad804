"""Who may call the API and how often: bearer tokens, per-token rate limits, the audit log,
and a cap on request bodies.

Each request with a token is checked in this order: the token (401 unknown, revoked or
expired), the token's rate limit (429 with ``Retry-After``), the scope the endpoint needs
(403). Failed token checks are audited (``api_auth_failed``) and limited per client address,
so guessing tokens is slow and cannot flood the audit log; a request refused for its rate is
not audited (that would let a flood write to the database).

Rate limits are token buckets kept in the API process: ``rate_per_minute`` requests a
minute, up to a minute's worth at once. Run one API process per database (``shelfaudit api``
does); several processes would each count on their own.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from pipeline.access.tokens import ApiCaller, resolve
from pipeline.api.problems import Problem
from pipeline.i18n import _

AUTH_FAILED = "api_auth_failed"
FAILED_PER_MINUTE = 30  # failed token checks per client address
bearer = HTTPBearer(auto_error=False, description="An API token from `shelfaudit tokens add`.")


class RateLimiter:
    """Token buckets by key: ``per_minute`` requests a minute, bursts up to ``per_minute``.

    Buckets that have refilled are forgotten once there are more than ``max_keys`` (many
    client addresses cannot make it grow without bound).
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic,
                 max_keys: int = 10_000) -> None:
        self._clock, self._max_keys = clock, max_keys
        self._buckets: dict[str, tuple[float, float, int]] = {}  # key -> (tokens, time, rate)
        self._lock = threading.Lock()

    def take(self, key: str, per_minute: int) -> float:
        """Spend one request of ``key``: 0 if allowed, else seconds until one is allowed."""
        per_minute = max(per_minute, 1)
        rate = per_minute / 60.0
        now = self._clock()
        with self._lock:
            tokens, last, _ = self._buckets.get(key, (float(per_minute), now, per_minute))
            tokens = min(float(per_minute), tokens + (now - last) * rate)
            if len(self._buckets) > self._max_keys:
                self._forget_full(now)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now, per_minute)
                return 0.0
            self._buckets[key] = (tokens, now, per_minute)
            return (1.0 - tokens) / rate

    def _forget_full(self, now: float) -> None:
        full = [k for k, (tokens, last, per) in self._buckets.items()
                if tokens + (now - last) * per / 60.0 >= per]
        for key in full:
            del self._buckets[key]


def _too_many(wait: float, detail: Callable[[int], str]) -> Problem:
    seconds = max(1, math.ceil(wait))
    return Problem(429, "rate-limited", detail(seconds),
                   headers={"Retry-After": str(seconds)}, retry_after=seconds)


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _refuse(request: Request, why: str, token: str | None) -> Problem:
    from pipeline.access.audit import audit

    limiter: RateLimiter = request.app.state.limiter
    wait = limiter.take(f"ip:{_client(request)}", FAILED_PER_MINUTE)
    if wait:
        return _too_many(wait, lambda s: _("this address is over its rate limit; retry in "
                                           "{seconds} s").format(seconds=s))
    audit("anonymous", AUTH_FAILED, request.url.path, ok=False, reason=why,
          client=_client(request), token_start=(token or "")[:6])
    return Problem(401, "unauthorized", why, headers={"WWW-Authenticate": "Bearer"})


def caller_of(request: Request, credentials: HTTPAuthorizationCredentials | None) -> ApiCaller:
    """The live token of a request, rate limited (raises the 401 or 429 problem)."""
    token = credentials.credentials if credentials else None
    caller, why = resolve(token)
    if caller is None:
        raise _refuse(request, why, token)
    wait = request.app.state.limiter.take(f"token:{caller.id}", caller.rate_per_minute)
    if wait:
        raise _too_many(wait, lambda s: _("token {name} is over its rate limit; retry in "
                                          "{seconds} s").format(name=repr(caller.name),
                                                                seconds=s))
    return caller


def needs(*scopes: str) -> Callable[..., Awaitable[ApiCaller]]:
    """A dependency: the request's caller, who must hold one of ``scopes`` (else 403)."""

    async def dependency(request: Request,
                         credentials: HTTPAuthorizationCredentials | None = Depends(bearer)
                         ) -> ApiCaller:
        caller = await run_in_threadpool(caller_of, request, credentials)
        if not any(caller.may(s) for s in scopes):
            raise Problem(403, "missing-scope", _(
                "token {name} lacks the scope {needed} (it has {scopes})").format(
                name=repr(caller.name), needed=" | ".join(scopes),
                scopes=", ".join(sorted(caller.scopes)) or _("none")))
        return caller

    return dependency


def optional_caller(request: Request,
                    credentials: HTTPAuthorizationCredentials | None = Depends(bearer)
                    ) -> ApiCaller | None:
    """The caller when a token is sent (checked like any), else ``None``."""
    return caller_of(request, credentials) if credentials else None


def audited(caller: ApiCaller, action: str, target: str, store: str | None = None,
            **detail: Any) -> None:
    """One audit row for an API request (token, action, store)."""
    from pipeline.access.audit import audit

    audit(caller.actor, action, target, store=store, **detail)


class BodyLimit:
    """ASGI middleware: refuse request bodies over ``limit`` bytes with 413 — at once when
    ``Content-Length`` says so, else as soon as the streamed body passes the limit."""

    def __init__(self, app: Any, limit: int) -> None:
        self.app, self.limit = app, limit

    def problem(self) -> Problem:
        return Problem(413, "too-large", _("the request body is over the {limit} MB limit "
                                           "(photos may be at most {photo} MB)").format(
            limit=self.limit // 2**20, photo=self.limit // 2**20 - 1))

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await self.problem().response(scope.get("path"))(scope, receive, send)
            return
        seen = 0

        async def counted() -> dict:
            nonlocal seen
            message = await receive()
            if message.get("type") == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise self.problem()
            return message

        await self.app(scope, counted, send)
