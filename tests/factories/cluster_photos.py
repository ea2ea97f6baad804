"""Synthetic shelf photos for the cluster tests, rendered once per session."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pipeline.cluster.bench import synthetic_photos
from pipeline.cluster.bench_home import drop_into_inbox


@lru_cache(maxsize=4)
def rendered(n: int, width: int = 480) -> tuple[bytes, ...]:
    """``n`` synthetic shelf photos (JPEG bytes), the same every call."""
    return tuple(synthetic_photos(n, width))


def drop_synthetic(home: Path, store: str, cameras: tuple[str, ...], n: int) -> list[Path]:
    """Put ``n`` rendered photos into the store's camera inboxes, one per hour."""
    return drop_into_inbox(home, rendered(n), store, cameras)
