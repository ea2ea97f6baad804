"""Owner-only files by default: the database, reports, archived and uploaded photos.

A ShelfAudit process that opens the store (:func:`pipeline.db.get_engine` — the
dashboard, the scheduler, ``run-once``, ``report``, ``demo``) calls :func:`private_by_default`:
its umask becomes ``077``, so every file it creates is ``0600`` and every folder ``0700``
(the SQLite file, ``reports/``, ``archive/``, ``uploads``, the gallery). An existing SQLite
file is tightened to ``0600`` when it is opened. ``SHELFAUDIT_UMASK`` (octal, e.g. ``027`` to
let a backup group read) overrides the default; ``SHELFAUDIT_UMASK=keep`` leaves the process
umask alone.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

UMASK_ENV = "SHELFAUDIT_UMASK"
PRIVATE_UMASK = 0o077
PRIVATE_FILE = 0o600


def wanted_umask() -> int | None:
    """The umask to set (``None``: leave it), from ``SHELFAUDIT_UMASK`` or the default."""
    value = os.environ.get(UMASK_ENV, "").strip().lower()
    if value == "keep":
        return None
    if not value:
        return PRIVATE_UMASK
    try:
        return int(value, 8) & 0o777
    except ValueError:
        return PRIVATE_UMASK  # a typo never opens the files up


def private_by_default() -> None:
    """Make files this process creates owner-only (see the module notes). Idempotent."""
    mask = wanted_umask()
    if mask is not None and os.name == "posix":
        os.umask(mask)


def tighten(path: Path) -> None:
    """Remove group/other permissions from an existing file we own (``0644`` -> ``0600``),
    following ``SHELFAUDIT_UMASK``; anything else (not ours, missing, no POSIX) is left as is."""
    mask = wanted_umask()
    if mask is None or os.name != "posix":
        return
    try:
        info = path.stat()
        if info.st_uid == os.getuid() and stat.S_IMODE(info.st_mode) & mask:
            path.chmod(stat.S_IMODE(info.st_mode) & ~mask)
    except OSError:
        pass
