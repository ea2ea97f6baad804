"""Which engine inspects the photos: ``local`` (this process, the default) or ``ray``.

Read in this order, the first that says wins: the command line (``--engine``, ``--address``,
``--actors``), the environment (``SHELFAUDIT_ENGINE``, ``SHELFAUDIT_RAY_ADDRESS``,
``SHELFAUDIT_RAY_ACTORS``), the settings file ``$SHELFAUDIT_HOME/cluster.yaml`` (or the file
named by ``SHELFAUDIT_CLUSTER``)::

    engine: ray            # local | ray
    address: auto          # auto (a cluster started on this machine), HOST:PORT or ray://HOST:PORT
    actors: 4              # inspection actors (default: one per GPU, else one per CPU)
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.errors import ShelfAuditError
from pipeline.i18n import _

ENGINES: tuple[str, ...] = ("local", "ray")
FILE_ENV = "SHELFAUDIT_CLUSTER"
ENV = {"engine": "SHELFAUDIT_ENGINE", "address": "SHELFAUDIT_RAY_ADDRESS",
       "actors": "SHELFAUDIT_RAY_ACTORS"}


@dataclass(frozen=True)
class EngineSettings:
    """The engine in force and, for ``ray``, where the cluster is and how many actors."""

    engine: str = "local"
    address: str = "auto"
    actors: int | None = None


def settings_file() -> Path | None:
    """``$SHELFAUDIT_CLUSTER``, else ``$SHELFAUDIT_HOME/cluster.yaml`` if it exists."""
    named = os.environ.get(FILE_ENV)
    if named:
        return Path(named).expanduser()
    from pipeline.settings import get_settings

    candidate = get_settings().home_dir / "cluster.yaml"
    return candidate if candidate.exists() else None


def _from_file() -> dict[str, Any]:
    path = settings_file()
    if path is None:
        return {}
    from pipeline import yamldoc

    doc = yamldoc.to_plain(yamldoc.load(path))
    if not isinstance(doc, dict):
        raise ShelfAuditError(_("{file}: expected a mapping with engine/address/actors").format(
            file=path))
    unknown = sorted(set(doc) - set(ENV))
    if unknown:
        raise ShelfAuditError(_("{file}: unknown setting {name} (use {names})").format(
            file=path, name=repr(unknown[0]), names=", ".join(ENV)))
    return doc


def _actors(value: Any, source: str) -> int | None:
    if value is None or value == "":
        return None
    try:
        n = int(value)
    except (TypeError, ValueError):
        n = 0
    if n < 1:
        raise ShelfAuditError(_("{source}: actors must be a whole number of at least 1, not "
                                "{value}").format(source=source, value=repr(value)))
    return n


def engine_settings(engine: str | None = None, address: str | None = None,
                    actors: int | None = None) -> EngineSettings:
    """The engine settings in force (flags over environment over the settings file).

    Raises:
        ShelfAuditError: an unknown engine, a bad actor count or a broken settings file.
    """
    file = _from_file()
    chosen = {key: os.environ.get(env) or file.get(key) for key, env in ENV.items()}
    name = str(engine or chosen["engine"] or "local").strip().lower()
    if name not in ENGINES:
        raise ShelfAuditError(_("unknown engine {name} (use {names})").format(
            name=repr(name), names=_(" or ").join(ENGINES)))
    return EngineSettings(engine=name, address=str(address or chosen["address"] or "auto"),
                          actors=_actors(actors if actors is not None else chosen["actors"],
                                         "--actors" if actors is not None else "settings"))
