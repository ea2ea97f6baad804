"""What an edge of ShelfAudit reads once and hands down: the settings, the catalog, the sites.

An edge is where work starts: a CLI command, a scheduled job, the dashboard (one cached
resource), the API app (a :class:`FreshContext`). Each builds one :class:`EdgeContext` with
:func:`edge_context` and passes it (or the parts a function needs) down; the code below takes
the catalog and the stores from there instead of reading ``catalog.yaml`` or ``stores.yaml``
itself. They are read on first use, then kept: a command that needs neither pays for
neither, one that needs them reads each file once.

This module sits low: it imports only the settings, the catalog and the sites.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.settings import Settings, get_settings

if TYPE_CHECKING:
    from pipeline.catalog import Catalog
    from pipeline.sites import Sites


@dataclass(frozen=True, eq=False)
class EdgeContext:
    """The settings of one edge, with its catalog and sites read at most once.

    ``url``: the database the sites are checked against (``None``: the settings' one).
    """

    settings: Settings
    url: str | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def _once(self, name: str, read: Any) -> Any:
        """``read()`` the first time ``name`` is asked for, the same value after that (a
        dashboard's context is shared by its sessions' threads: one of them reads)."""
        kept = self.__dict__.get("_kept_" + name)
        if kept is None:
            with self._lock:
                kept = self.__dict__.get("_kept_" + name)
                if kept is None:
                    kept = self.__dict__["_kept_" + name] = read()
        return kept

    @property
    def catalog(self) -> Catalog:
        """``catalog.yaml`` of the rules folder in force.

        Raises:
            YamlFileError: the file is broken (every problem located).
        """
        from pipeline.catalog import load_catalog

        return self._once("catalog", lambda: load_catalog(self.settings.rules_dir
                                                          / "catalog.yaml"))

    @property
    def sites(self) -> Sites:
        """``stores.yaml`` of the rules folder in force (a broken file: its last good version).

        Raises:
            YamlFileError: ``stores.yaml`` is broken and no valid version is on record.
        """
        from pipeline.sites import load_sites

        return self._once("sites", lambda: load_sites(self.settings.rules_dir, self.url))


def edge_context(settings: Settings | None = None, url: str | None = None) -> EdgeContext:
    """The context an edge builds once (``settings``: default the process's, from the
    environment and the settings file)."""
    return EdgeContext(settings if settings is not None else get_settings(), url)


def rules_stamp(folder: Path, period_s: float) -> tuple:
    """When the files behind the catalog and the sites (``catalog.yaml``, ``stores.yaml``, the
    planograms) last changed, with the current period of ``period_s`` seconds: a long-running
    edge makes its context again when this changes (after a period, too, since a broken
    file's last good version may have changed in the database)."""
    files = [folder / "catalog.yaml", folder / "stores.yaml",
             *sorted((folder / "planograms").glob("*.yaml"))]
    changed = []
    for path in files:
        try:
            changed.append((path.name, path.stat().st_mtime_ns))
        except OSError:
            changed.append((path.name, 0))
    return (*changed, int(time.monotonic() // period_s))


class FreshContext:
    """The context of a long-running edge (the API server): one :class:`EdgeContext` shared
    by its requests, made again when a rules file changes, at the latest after ``period_s``.

    ``settings``: the edge's (default: the process's, looked up on each call).
    """

    def __init__(self, period_s: float, settings: Settings | None = None,
                 url: str | None = None) -> None:
        self.period_s, self._settings, self._url = period_s, settings, url
        self._key: tuple | None = None
        self._context: EdgeContext | None = None
        self._making = threading.Lock()

    def __call__(self) -> EdgeContext:
        settings = self._settings if self._settings is not None else get_settings()
        folder = settings.rules_dir
        key = (id(settings), str(folder), rules_stamp(folder, self.period_s))
        with self._making:
            if self._context is None or self._key != key:
                self._context, self._key = edge_context(settings, self._url), key
            return self._context
