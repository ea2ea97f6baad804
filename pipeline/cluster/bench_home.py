"""The cluster bench's scratch world: a fresh home and database per measurement, photos
dropped into its camera inboxes, and one timed inbox run (shared by the engine rates and the
scaling measure)."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

STORE, CAMERAS = "s001", ("c01", "c02", "c03", "c04")
START = datetime(2026, 11, 16, 2, 0)


def drop_into_inbox(home: Path, photos: Sequence[bytes], store: str = STORE,
                    cameras: Sequence[str] = CAMERAS) -> list[Path]:
    """Put photos into the store's camera inboxes (round robin), one per hour from START."""
    paths = []
    for i, data in enumerate(photos):
        camera = cameras[i % len(cameras)]
        when = START + timedelta(hours=i)
        path = home / "inbox" / store / camera / f"{camera}_{when:%Y%m%dT%H%M%S}.jpg"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        paths.append(path)
    return paths


@contextmanager
def fresh_home(root: Path, name: str, url: str | None = None) -> Iterator[Path]:
    """A new SHELFAUDIT_HOME (and database: SQLite there, or ``url``) for one measurement."""
    from pipeline import db
    from pipeline.settings import get_settings

    saved = {k: os.environ.get(k) for k in ("SHELFAUDIT_HOME", "DATABASE_URL")}
    home = root / name
    os.environ["SHELFAUDIT_HOME"] = str(home)
    if url:
        os.environ["DATABASE_URL"] = url
    else:
        os.environ.pop("DATABASE_URL", None)
    get_settings.cache_clear()
    try:
        db.upgrade()
        yield home
    finally:
        db.dispose_engines()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        get_settings.cache_clear()


def timed_run(root: Path, name: str, photos: Sequence[bytes], engine: Any,
              url: str | None = None) -> float:
    """Seconds for the runner to take ``photos`` from the inbox to committed results."""
    from pipeline.inbox.jobs import RunOptions, run_once
    from pipeline.sites import load_sites

    with fresh_home(root, name, url) as home:
        drop_into_inbox(home, photos)
        sites = load_sites().stores
        start = time.perf_counter()
        result = run_once(sites, [STORE], RunOptions(engine=engine))[0]
        seconds = time.perf_counter() - start
    if result.counts.get("inspected", 0) != len(photos):
        from pipeline.errors import ShelfAuditError
        from pipeline.i18n import _

        raise ShelfAuditError(_("bench run {name}: {message}").format(
            name=name, message=result.message))
    return seconds
