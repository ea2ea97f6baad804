"""Cached access to :mod:`pipeline.queries` for the pages (``st.cache_data`` on plain values).

``load(fn, *args)`` runs a query function ``fn(*args, engine=...)`` against the database in
force and caches the result for :data:`TTL` seconds, keyed by the database URL, the function
and its (plain, hashable) arguments — a scope, a week label, a filter dataclass. Writers call
:func:`refresh` after changing data so the next render shows it.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any, TypeVar

import streamlit as st

from pipeline.queries import pickers
from pipeline.queries.scope import Scope

TTL = 60
T = TypeVar("T")


def db_url() -> str:
    """The database URL in force (settings are read per process)."""
    from pipeline.store.db import database_url

    return database_url()


def _resolve(name: str) -> Callable[..., Any]:
    module, _, attr = name.partition(":")
    return getattr(importlib.import_module(module), attr)


@st.cache_data(ttl=TTL, show_spinner=False, max_entries=512)
def _cached(url: str, name: str, args: tuple, kwargs: tuple) -> Any:
    from pipeline.store.db import get_engine

    return _resolve(name)(*args, engine=get_engine(url), **dict(kwargs))


def load(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``fn(*args, **kwargs, engine=<engine in force>)``, cached for :data:`TTL` seconds."""
    name = f"{fn.__module__}:{fn.__qualname__}"
    return _cached(db_url(), name, args, tuple(sorted(kwargs.items())))


def refresh() -> None:
    """Forget cached query results (after an upload, a rule save, a new reference photo)."""
    _cached.clear()


def stores(scope: Scope) -> list[tuple[str, str]]:
    return load(pickers.stores, scope)


def weeks(scope: Scope) -> list[str]:
    return load(pickers.weeks, scope)


def cameras(scope: Scope, store: str | None = None) -> list[tuple[str, str]]:
    return load(pickers.cameras, scope, store)


def store_zones(scope: Scope) -> dict[str, str]:
    return load(pickers.store_zones, scope)
