"""Synthetic shelf photos for the cluster tests, rendered once per session."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path

START = datetime(2026, 11, 16, 2, 0)


@lru_cache(maxsize=4)
def rendered(n: int, width: int = 480) -> tuple[bytes, ...]:
    """``n`` synthetic shelf photos (JPEG bytes), the same every call."""
    from pipeline.catalog import load_catalog
    from pipeline.settings import SHIPPED_RULES_DIR
    from pipeline.synth import render_scene

    catalog = load_catalog(SHIPPED_RULES_DIR / "catalog.yaml")
    out = []
    for i in range(n):
        scene = render_scene(catalog, 9_000 + i, width=width, view_seed=77 + i % 4)
        buffer = io.BytesIO()
        scene.image.save(buffer, "JPEG", quality=85)
        out.append(buffer.getvalue())
    return tuple(out)


def drop_synthetic(home: Path, store: str, cameras: tuple[str, ...], n: int) -> list[Path]:
    """Put ``n`` rendered photos into the store's camera inboxes, one per hour."""
    paths = []
    for i, data in enumerate(rendered(n)):
        camera = cameras[i % len(cameras)]
        when = START + timedelta(hours=i)
        path = home / "inbox" / store / camera / f"{camera}_{when:%Y%m%dT%H%M%S}.jpg"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        paths.append(path)
    return paths
