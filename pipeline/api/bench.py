"""``shelfaudit bench api``: the HTTP API's speed on a real uvicorn server (one run).

1. **Queued intake** — ``--photos`` distinct synthetic shelf photos (``--width`` px, JPEG)
   pushed by ``--clients`` parallel clients to ``POST /v1/photos``: photos accepted per second
   (target >= 50/s, so intake is never the bottleneck: inspection takes seconds a photo) and
   the latency of one push. Each push runs the whole intake: token check, checks, clean copy
   (a plain JPEG's lossless one from its DCT coefficients, else decode and re-encode), hash,
   atomic write into the inbox, audit row. The server's CPU time is read from ``/proc``.
2. **Inspect now** — ``--inspections`` pushes with ``?inspect=now``, one at a time, of distinct
   scenes with the configured models (the starter models by default): p50 / p95 latency. The
   first request, which loads the models, is timed apart.

Everything happens in a scratch ``SHELFAUDIT_HOME`` (a temporary folder unless ``--home``).
"""

from __future__ import annotations

import io
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

from pipeline.i18n import _

TARGET_PER_S = 50.0
STORE, CAMERAS = "s001", ("c01", "c02", "c03", "c04")


def _jpeg(image: Any, quality: int = 90) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality)
    return out.getvalue()


def make_photos(count: int, width: int, seed: int = 1) -> list[bytes]:
    """``count`` distinct JPEGs of one synthetic shelf (a few pixels differ in each)."""
    from pipeline.catalog import load_catalog
    from pipeline.synth import render_scene

    base = render_scene(load_catalog(), seed=seed, width=width).image.convert("RGB")
    photos = []
    for i in range(count):
        variant = base.copy()
        variant.putpixel((i % variant.width, 0), (i % 256, (i // 256) % 256, 7))
        photos.append(_jpeg(variant))
    return photos


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (``q`` in 0..100)."""
    ranked = sorted(values)
    return ranked[max(0, min(len(ranked) - 1, int(-(-q * len(ranked) // 100)) - 1))]


def _push(http: httpx.Client, data: bytes, camera: str, query: str = "") -> tuple[int, float]:
    start = time.perf_counter()
    answer = http.post(f"/v1/photos{query}", data={"store": STORE, "camera": camera},
                       files={"photo": ("shelf.jpg", data, "image/jpeg")})
    return answer.status_code, time.perf_counter() - start


def _intake(server: Any, token: str, photos: list[bytes], clients: int) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"}
    pool = [httpx.Client(base_url=server.url, headers=headers, timeout=120)
            for _ in range(clients)]
    cpu, client_cpu = server.cpu_seconds(), time.process_time()
    try:
        start = time.perf_counter()
        with ThreadPoolExecutor(clients) as run:  # each client its own thread and photos:
            # one busy connection each (a connection shared by threads could sit idle past
            # the server's keep-alive and be reset just as it is used again)
            found = [one for part in run.map(lambda k: [
                _push(pool[k], photos[i], CAMERAS[i % len(CAMERAS)])
                for i in range(k, len(photos), clients)], range(clients)) for one in part]
        wall = time.perf_counter() - start
        client_ms = 1000 * (time.process_time() - client_cpu) / len(photos)
    finally:
        for http in pool:
            http.close()
    cpu_ms = None if cpu is None else 1000 * (server.cpu_seconds() - cpu) / len(photos)
    codes = [code for code, _ in found]
    seconds = [s for _, s in found]
    return {"photos": len(photos), "clients": clients, "wall_s": round(wall, 2),
            "photos_per_s": round(len(photos) / wall, 1), "accepted": codes.count(202),
            "other_status": sorted(set(codes) - {202}),
            "p50_ms": round(1000 * percentile(seconds, 50), 1),
            "p95_ms": round(1000 * percentile(seconds, 95), 1),
            "server_cpu_ms_per_photo": None if cpu_ms is None else round(cpu_ms, 1),
            "client_cpu_ms_per_photo": round(client_ms, 1),
            "idle_bound_per_s": None if not cpu_ms else round(
                1000 * (os.cpu_count() or 1) / (cpu_ms + client_ms), 1),
            "target_per_s": TARGET_PER_S,
            "met": len(photos) / wall >= TARGET_PER_S and codes.count(202) == len(photos)}


def _inspect_now(url: str, token: str, count: int, width: int,
                 log: Callable[[str], None]) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"}
    photos = [make_photos(1, width, seed=100 + i)[0] for i in range(count + 1)]
    seconds, codes = [], []
    with httpx.Client(base_url=url, headers=headers, timeout=600) as http:
        code, first = _push(http, photos[0], CAMERAS[0], "?inspect=now")
        log(_("inspect=now: first request (loads the models) {seconds} s, status {code}")
            .format(seconds=f"{first:.1f}", code=code))
        for i, data in enumerate(photos[1:]):
            code, took = _push(http, data, CAMERAS[(i + 1) % len(CAMERAS)], "?inspect=now")
            codes.append(code)
            seconds.append(took)
            log(_("inspect=now {i}/{count}: {seconds} s (status {code})").format(
                i=i + 1, count=count, seconds=f"{took:.2f}", code=code))
    return {"requests": count, "width": width, "first_with_model_load_s": round(first, 2),
            "p50_s": round(statistics.median(seconds), 2),
            "p95_s": round(percentile(seconds, 95), 2), "max_s": round(max(seconds), 2),
            "created": codes.count(201), "other_status": sorted(set(codes) - {201})}


def run_api_bench(photos: int = 200, clients: int = 4, width: int = 1920, inspections: int = 10,
                  home: Path | None = None, log: Callable[[str], None] = print
                  ) -> dict[str, Any]:
    """Both measurements on a fresh server; a JSON-ready report."""
    from pipeline import db
    from pipeline.access.tokens import add_token
    from pipeline.api.local import api_server
    from pipeline.context import edge_context
    from pipeline.loadbench.servers import home_env

    with tempfile.TemporaryDirectory(prefix="shelfaudit-bench-api-") as scratch:
        where = Path(home) if home else Path(scratch) / "home"
        with home_env(where):
            db.upgrade()
            known = [s.id for s in edge_context().sites.stores]  # the bench home's stores
            _row, token = add_token(f"bench-{int(time.time())}", [STORE],
                                 ["photos:write,results:read"], rate_per_minute=10**9,
                                 actor="bench", known_stores=known)
        log(_("rendering {n} distinct {width}-px photos …").format(n=photos, width=width))
        pushed = make_photos(photos, width)
        report: dict[str, Any] = {"machine": {"cpus": os.cpu_count(),
                                              "load_avg_1m": round(os.getloadavg()[0], 2)},
                                  "photo_bytes": round(statistics.mean(map(len, pushed)))}
        with api_server(where, inspector="models") as server:
            log(_("server at {url}; pushing {n} photos with {clients} clients …").format(
                url=server.url, n=photos, clients=clients))
            report["intake"] = _intake(server, token, pushed, clients)
            if inspections:
                report["inspect_now"] = _inspect_now(server.url, token, inspections, width,
                                                     log)
        report["machine"]["load_avg_after"] = round(os.getloadavg()[0], 2)
        return report


def format_report(report: dict[str, Any]) -> str:
    """The figures in a few lines."""
    m, i = report["machine"], report["intake"]
    lines = [f"HTTP API on a real uvicorn server ({m['cpus']} CPUs, load average "
             f"{m['load_avg_1m']} before, {m['load_avg_after']} after):",
             f"  queued intake: {i['photos_per_s']} photos/s ({i['photos']} photos of "
             f"{report['photo_bytes'] // 1024} KB, {i['clients']} clients, {i['wall_s']} s; "
             f"push p50 {i['p50_ms']} ms, p95 {i['p95_ms']} ms) — target "
             f">= {i['target_per_s']:.0f}/s: {'met' if i['met'] else 'NOT met'}",
             f"  server CPU per accepted photo: {i['server_cpu_ms_per_photo']} ms (checks, clean "
             f"copy, hash, write, audit), the clients' {i['client_cpu_ms_per_photo']} ms "
             f"— at most ~{i['idle_bound_per_s']}/s on {m['cpus']} idle CPUs"]
    now = report.get("inspect_now")
    if now:
        lines.append(f"  inspect=now ({now['width']}-px photo, configured models, "
                     f"{now['requests']} requests one at a time): p50 {now['p50_s']} s, "
                     f"p95 {now['p95_s']} s (first request with model loading "
                     f"{now['first_with_model_load_s']} s)")
    return "\n".join(lines)
