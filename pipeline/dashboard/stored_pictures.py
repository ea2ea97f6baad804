"""Annotated photos kept on disk at display size, shared by every dashboard process.

An annotated photo costs a tenth of a second or more to draw and is the same for every
reader. Kept in memory (``st.cache_data``) it is drawn again by each replica, after each
restart and whenever the cache is emptied; kept here (``$SHELFAUDIT_HOME/cache/annotated/``)
it is drawn once — by the Monday report job for the weekly report's worst photos
(:func:`pipeline.dashboard.pictures.keep_worst_photos`), else by its first viewer.

A file is named by a digest of everything drawn: the photo file (path, size, modification
time), the detections, the evidence boxes, the layers, the size and :data:`VERSION`; any change
draws a new file. Only drawings of real photo files are kept (a missing photo is drawn on a
blank canvas and may come back). Files written more than :data:`KEEP_DAYS` days ago are
removed now and then (one still shown is drawn again). The folder holds no more than the photos themselves show, under the home's
owner-only permissions; who may see a photo is checked before it is asked for.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

VERSION = 3  # raise when the drawing changes: kept files are then drawn again
KEEP_DAYS = 30
FOLDER = ("cache", "annotated")


def folder() -> Path:
    from pipeline.settings import get_settings

    return get_settings().home_dir.joinpath(*FOLDER)


def digest(path: str | None, payload: Any, evidence: tuple, layers: tuple, width: int,
           height: int, max_side: int) -> str | None:
    """The file name (without ``.jpg``) of a drawing, or ``None`` when the photo file is gone."""
    try:
        found = Path(path).stat() if path else None
    except OSError:
        return None
    if found is None:
        return None
    text = json.dumps([VERSION, str(path), found.st_size, found.st_mtime_ns, payload,
                       [[float(v) for v in box] for box in evidence], list(layers), width,
                       height, max_side], sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def stored_jpeg(render: Callable[..., tuple[bytes, bool]], path: str | None, payload: Any,
                evidence: tuple, layers: tuple, width: int = 0, height: int = 0,
                max_side: int = 1600) -> tuple[bytes, bool]:
    """The kept drawing, else ``render(path, payload, evidence, layers, width, height,
    max_side)``, kept when the photo was real; JPEG bytes and whether the photo was real."""
    name = digest(path, payload, evidence, layers, width, height, max_side)
    where = folder() / f"{name}.jpg" if name else None
    if where is not None:
        try:
            return where.read_bytes(), True
        except OSError:
            pass
    jpeg, real = render(path, payload, evidence, layers, width, height, max_side)
    if real and where is not None:
        _keep(where, jpeg)
    return jpeg, real


def _keep(where: Path, data: bytes) -> None:
    """Write ``data`` to ``where`` atomically (readers never see half a file); a home that
    cannot be written only means the drawing is not kept."""
    try:
        where.parent.mkdir(parents=True, exist_ok=True)
        handle, part = tempfile.mkstemp(dir=where.parent, suffix=".part")
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(part, where)
    except OSError:
        return
    if random.random() < 0.02:
        prune(where.parent)


def prune(where: Path, days: float = KEEP_DAYS) -> int:
    """Remove drawings not written for ``days`` days; how many."""
    cutoff, removed = time.time() - days * 86400, 0
    for old in where.glob("*.jpg"):
        try:
            if old.stat().st_mtime < cutoff:
                old.unlink()
                removed += 1
        except OSError:
            pass
    return removed
