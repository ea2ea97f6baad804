"""The cluster bench's database measure and its scaling table (a model, not a measurement).

The database measure replays outcomes computed beforehand (:class:`ReplayEngine`), so what
is timed is the driver's own work per photo — read, hash, decode, claim, mark in flight,
commit the inspection with its detections and violations, move the file — on PostgreSQL and
on SQLite, with no models and no rules in the way.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from pipeline.i18n import _
from pipeline.inbox.engines import Batch, Done, LocalEngine, Mark, Outcome, inspect_batch

PHOTOS_PER_DAY = 240_000  # 2,000 stores x 10 cameras x a photo every 2 hours
UTILISATION = 0.7  # share of the day a node is modelled as busy (headroom for bursts, retries)
Log = Callable[[str], None]


class ReplayEngine(LocalEngine):
    """Hands back outcomes computed before, by photo content hash (times the commit path)."""

    def __init__(self, outcomes: dict[str, Outcome], inspector: Any) -> None:
        super().__init__(inspector)
        self.outcomes = outcomes

    def inspect(self, batches: Sequence[Batch], rules: Any, mark: Mark, done: Done) -> None:
        for i, batch in enumerate(batches):
            mark([i])
            done(i, [self.outcomes[p.sha256] for p in batch.photos])


def small_photos(n: int, size: tuple[int, int] = (160, 120)) -> list[bytes]:
    """``n`` different small JPEGs (the commit measure does not look at pixels)."""
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(16)
    out = []
    for _photo in range(n):
        pixels = rng.integers(0, 255, (size[1], size[0], 3), dtype=np.uint8)
        buffer = io.BytesIO()
        Image.fromarray(pixels).save(buffer, "JPEG", quality=70)
        out.append(buffer.getvalue())
    return out


def _outcomes(photos: Sequence[bytes], inspector: Any) -> dict[str, Outcome]:
    """Fake detections judged by the store's real rules, once, keyed by content hash."""
    from pipeline.cluster.bench_home import CAMERAS, STORE
    from pipeline.context import edge_context
    from pipeline.imaging import decode_photo
    from pipeline.inbox.inspectors import PhotoMeta
    from pipeline.rulebook.in_force import load_store_rules

    context = edge_context()  # the bench home's stores and catalog
    store = next(s for s in context.sites.stores if s.id == STORE)
    rules = load_store_rules(store, context.settings.rules_dir, catalog=context.catalog)
    out = {}
    for i, data in enumerate(photos):
        camera = store.cameras[CAMERAS[i % len(CAMERAS)]]
        photo = decode_photo(data, f"p{i}.jpg")
        meta = PhotoMeta(STORE, camera.id, "2026-11-16T02:00:00Z", camera.planogram)
        out[photo.sha256] = inspect_batch([photo], [meta], inspector, rules)[0]
    return out


def measure_commits(root: Path, n: int, pg_url: str | None, log: Log) -> dict[str, Any]:
    """Committed inspections/s through the runner on SQLite and on PostgreSQL."""
    from pipeline.cluster.bench_home import fresh_home
    from pipeline.inbox.inspectors import FakeInspector

    photos = small_photos(n)
    inspector = FakeInspector()
    with fresh_home(root, "db-prepare"):
        engine = ReplayEngine(_outcomes(photos, inspector), inspector)
    violations = [len((o.verdict or {}).get("violations") or []) for o in engine.outcomes.values()]
    out: dict[str, Any] = {"photos": n,
                           "violations_per_photo": round(sum(violations) / max(n, 1), 1)}
    out.update(_rates("sqlite", root, photos, engine, None, log))
    cluster = None
    try:
        if pg_url is None:
            from pipeline.db.pgtemp import start_cluster

            cluster = start_cluster()
            pg_url = cluster.url(cluster.create_database())
        out.update(_rates("postgresql", root, photos, engine, pg_url, log))
    except RuntimeError as exc:  # no server here: said in the report, not hidden
        out["postgresql_per_s"] = None
        out["postgresql_note"] = str(exc)
    finally:
        if cluster is not None:
            cluster.stop()
    return out


def _rates(name: str, root: Path, photos: Sequence[bytes], engine: ReplayEngine,
           url: str | None, log: Log) -> dict[str, float]:
    """Committed/s end to end, and per photo beyond the run's fixed start (rule files, lease,
    stores), taken from a run with an empty inbox."""
    from pipeline.cluster.bench_home import timed_run

    empty = timed_run(root, f"db-{name}-empty", [], engine, url=url)
    seconds = timed_run(root, f"db-{name}", photos, engine, url=url)
    n = len(photos)
    log(_("commits on {name}: {n} in {seconds} s = {rate}/s ({marginal}/s beyond the run's "
          "{start} s start)").format(name=name, n=n, seconds=f"{seconds:.2f}",
                                     rate=f"{n / seconds:.0f}",
                                     marginal=f"{n / max(seconds - empty, 1e-6):.0f}",
                                     start=f"{empty:.2f}"))
    return {f"{name}_per_s": round(n / seconds, 1),
            f"{name}_marginal_per_s": round(n / max(seconds - empty, 1e-6), 1),
            f"{name}_start_s": round(empty, 2)}


def scaling_rows(engines: dict[str, Any], cpus: int, gpu_s_per_photo: float
                 ) -> list[dict[str, Any]]:
    """Photos/day per node and nodes for :data:`PHOTOS_PER_DAY`, from the measured rates."""
    per_core = engines["ray2"]["photos_per_s"] / max(cpus, 1)
    nodes = [
        (f"this machine ({cpus} cores), local engine", engines["local"]["photos_per_s"],
         "measured rate"),
        (f"this machine ({cpus} cores), ray 2 actors", engines["ray2"]["photos_per_s"],
         "measured rate"),
        ("CPU node, 16 cores (ray, 1 actor per 2 cores)", per_core * 16,
         "measured per-core rate x 16 (assumes linear in cores)"),
        ("GPU node, 1 GPU (ray, 1 actor)", 1.0 / gpu_s_per_photo,
         f"assumed {gpu_s_per_photo:.3f} s/photo: no GPU was measured"),
    ]
    rows = []
    for name, rate, basis in nodes:
        per_day = rate * 86_400 * UTILISATION
        rows.append({"node": name, "photos_per_s": round(rate, 2),
                     "photos_per_day": int(per_day),
                     "nodes_for_240k": math.ceil(PHOTOS_PER_DAY / per_day) if per_day else None,
                     "basis": basis})
    return rows
