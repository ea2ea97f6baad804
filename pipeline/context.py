"""What an edge of ShelfAudit reads once and hands down: the settings, the catalog, the sites.

An edge is where work starts: a CLI command, a scheduled job, the dashboard (one cached
resource), the API app. Each builds one :class:`EdgeContext` with :func:`edge_context` and
passes it (or the parts a function needs) down; the code below never reads the settings,
``catalog.yaml`` or ``stores.yaml`` on its own. The catalog and the sites are read on first
use, then kept: a command that needs neither pays for neither, one that needs them reads each
file once.

This module sits low: it imports only the settings, the catalog and the sites.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
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
