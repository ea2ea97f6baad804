"""Concurrent HTTP API clients: cameras pushing photos while other systems pull results.

Each of ``clients`` clients does ``rounds`` times, one request after another: push a new
photo (``POST /v1/photos``, queued), ask where it stands (``GET /v1/photos/{sha256}``), pull
the newest inspections (``GET /v1/inspections?limit=20``), one inspection in full
(``GET /v1/inspections/{id}``) and a store's weekly report
(``GET /v1/stores/{store}/weeks/{week}``). Every request is timed; any status other than the
expected one is an error. Photos pushed here are removed from the inbox afterwards (nobody
inspects them).
"""

from __future__ import annotations

import asyncio
import io
import random
import time
from pathlib import Path
from typing import Any

from pipeline.i18n import _

EXPECTED = {"push": (200, 202), "status": (200,), "list": (200,), "detail": (200,),
            "week": (200,)}


def shelf_photos(count: int, width: int) -> list[bytes]:
    """``count`` distinct JPEG shelf photos (synthetic scenes; new ones on every call)."""
    from pipeline.catalog import load_catalog
    from pipeline.synth import render_scene

    base = render_scene(load_catalog(), seed=random.randrange(10**6), width=width).image
    base = base.convert("RGB")
    salt = random.randrange(256)
    photos = []
    for i in range(count):
        variant = base.copy()
        variant.putpixel((i % variant.width, 0), (i % 256, (i // 256) % 256, salt))
        out = io.BytesIO()
        variant.save(out, "JPEG", quality=90)
        photos.append(out.getvalue())
    return photos


async def _timed(http: Any, kind: str, method: str, path: str, found: dict[str, list],
                 errors: list[str], **kwargs: Any) -> Any:
    start = time.perf_counter()
    try:
        answer = await http.request(method, path, **kwargs)
    except Exception as exc:  # noqa: BLE001 - a failed request is an error, not a crash
        errors.append(f"{kind}: {type(exc).__name__}: {exc}")
        return None
    found.setdefault(kind, []).append(time.perf_counter() - start)
    if answer.status_code not in EXPECTED[kind]:
        errors.append(f"{kind}: HTTP {answer.status_code} {answer.text[:200]}")
        return None
    return answer


async def _client(url: str, token: str, photos: list[bytes], store: str, camera: str,
                  week: str | None, found: dict[str, list], errors: list[str]) -> None:
    import httpx

    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=120) as http:
        for data in photos:
            pushed = await _timed(http, "push", "POST", "/v1/photos", found, errors,
                                  data={"store": store, "camera": camera},
                                  files={"photo": ("shelf.jpg", data, "image/jpeg")})
            if pushed is not None:
                sha = pushed.json().get("sha256", "")
                await _timed(http, "status", "GET", f"/v1/photos/{sha}", found, errors)
            listed = await _timed(http, "list", "GET", "/v1/inspections", found, errors,
                                  params={"store": store, "limit": 20})
            items = listed.json().get("items", []) if listed is not None else []
            if items:
                await _timed(http, "detail", "GET", f"/v1/inspections/{items[0]['id']}",
                             found, errors)
            if week:
                await _timed(http, "week", "GET", f"/v1/stores/{store}/weeks/{week}", found,
                             errors)


def _setup(home: Path) -> tuple[str, list[tuple[str, str]], str | None]:
    """A results + photos token for every store, the (store, camera) pairs, the newest week."""
    from sqlalchemy import select

    from pipeline.access.scope import ALL_STORES
    from pipeline.access.tokens import add_token
    from pipeline.db import session_scope, tables
    from pipeline.loadbench.servers import home_env
    from pipeline.queries import pickers

    with home_env(home):
        with session_scope() as session:
            cameras = [(c.store_id, c.id) for c in session.scalars(select(tables.Camera))]
        known = sorted({s for s, _ in cameras})
        _, token = add_token(f"bench-load-{time.time_ns()}", None,
                             ["photos:write,results:read"], rate_per_minute=10**9,
                             actor="bench", known_stores=known)
        weeks = pickers.weeks(ALL_STORES)
    return token, sorted(cameras), (weeks[0] if weeks else None)


def _clean_inbox(home: Path) -> None:
    for path in (home / "inbox").glob("*/*/api-*"):
        path.unlink(missing_ok=True)


def run_api_clients(home: Path, clients: int, rounds: int, width: int, log=print
                    ) -> tuple[dict[str, list[float]], list[str], float, dict[str, float]]:
    """The API clients against ``shelfaudit api`` on ``home``: seconds per request kind,
    errors, the wall time, and the server's CPU and memory (:class:`Sampler` figures)."""
    from pipeline.api.local import api_server
    from pipeline.loadbench.servers import Sampler

    token, cameras, week = _setup(home)
    if not cameras:
        return {}, ["the database has no cameras"], 0.0, {}
    log(_("API: rendering {n} photos of {width} px …").format(n=clients * rounds, width=width))
    photos = shelf_photos(clients * rounds, width)
    found: dict[str, list[float]] = {}
    errors: list[str] = []
    try:
        with api_server(home, inspector="fake") as server:
            log(_("API: {clients} clients × {rounds} rounds against {url} …").format(
                clients=clients, rounds=rounds, url=server.url))
            with Sampler(server.pid) as sampler:
                start = time.perf_counter()

                async def everyone() -> None:
                    await asyncio.gather(*(
                        _client(server.url, token, photos[i * rounds:(i + 1) * rounds],
                                *cameras[i % len(cameras)], week, found, errors)
                        for i in range(clients)))

                asyncio.run(everyone())
                wall = time.perf_counter() - start
    finally:
        _clean_inbox(home)
    return found, errors, wall, sampler.figures()
