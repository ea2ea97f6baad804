"""Cached access to :mod:`pipeline.queries` for the pages (``st.cache_data`` on plain values).

``load(fn, *args)`` runs a query function ``fn(*args, engine=...)`` against the database in
force and caches the result for :data:`TTL` seconds, keyed by the database URL, the function
and its (plain, hashable) arguments — a scope, a week label, a filter dataclass. Writers call
:func:`refresh` after changing data so the next render shows it.

A scope is keyed by its stores and role, not by who asks (:func:`shared`): supervisors of the
same stores share one cached result, and a user never gets a result computed for other
stores. So a function whose result depends on the user's name must not be loaded here (reads
in :mod:`pipeline.queries` use ``scope.user`` only to audit writes, which are never cached).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import streamlit as st

from pipeline.access.scope import Scope
from pipeline.queries import pickers

if TYPE_CHECKING:
    from pipeline.context import EdgeContext

TTL = 60
T = TypeVar("T")


def db_url() -> str:
    """The database URL in force (settings are read per process)."""
    from pipeline.db import database_url

    return database_url()


def _resolve(name: str) -> Callable[..., Any]:
    module, _, attr = name.partition(":")
    return getattr(importlib.import_module(module), attr)


@st.cache_data(ttl=TTL, show_spinner=False, max_entries=512)
def _cached(url: str, name: str, args: tuple, kwargs: tuple) -> Any:
    from pipeline.db import get_engine

    return _resolve(name)(*args, engine=get_engine(url), **dict(kwargs))


def shared(value: Any) -> Any:
    """A :class:`Scope` without the user's name (the cache key of what it may see); any other
    value as it is."""
    if isinstance(value, Scope) and value.user:
        return Scope(stores=value.stores, role=value.role, user="")
    return value


def load(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``fn(*args, **kwargs, engine=<engine in force>)``, cached for :data:`TTL` seconds and
    shared by users who see the same stores with the same role."""
    name = f"{fn.__module__}:{fn.__qualname__}"
    return _cached(db_url(), name, tuple(map(shared, args)),
                   tuple(sorted((k, shared(v)) for k, v in kwargs.items())))


def refresh() -> None:
    """Forget cached query results and charts (after an upload, a rule save, a new reference
    photo)."""
    _cached.clear()
    _figure.clear()


@st.cache_resource(ttl=TTL, show_spinner=False, max_entries=512)
def _figure(url: str, key: tuple, _build: Callable[[], Any]) -> Any:
    return _build()


def figure(key: tuple, build: Callable[[], T]) -> T:
    """``build()`` — a chart — kept for :data:`TTL` seconds and shared by every session that
    asks with the same ``key`` in the same language (building a plotly figure costs more than
    the query behind it).

    ``key`` must name everything the chart shows: the loader calls behind its data with
    their arguments (a scope counts by its stores and role, as in :func:`load`) and the page's
    choices (KPI, stores picked …). The chart is shared, so nothing may change it afterwards
    (``st.plotly_chart`` only reads it)."""
    from pipeline import i18n

    return _figure(db_url(), (*map(shared, key), i18n.current()), build)


def stores(scope: Scope) -> list[tuple[str, str]]:
    return load(pickers.stores, scope)


def weeks(scope: Scope) -> list[str]:
    return load(pickers.weeks, scope)


def cameras(scope: Scope, store: str | None = None) -> list[tuple[str, str]]:
    return load(pickers.cameras, scope, store)


def store_zones(scope: Scope) -> dict[str, str]:
    return load(pickers.store_zones, scope)


@st.cache_resource(show_spinner=False, max_entries=8)
def _context(url: str, rules_dir: str, stamp: tuple) -> EdgeContext:
    from pipeline.context import edge_context

    return edge_context(url=url)


def context() -> EdgeContext:
    """The dashboard's edge context — its settings, catalog and sites — one cached resource
    shared by every session: the catalog and ``stores.yaml`` are read once, and again when a
    rules file changes (or after :data:`TTL` seconds), not on every run of a page."""
    from pipeline.context import rules_stamp
    from pipeline.settings import get_settings

    folder = get_settings().rules_dir  # the one read of the settings: the dashboard's edge
    return _context(db_url(), str(folder), rules_stamp(folder, TTL))


def store_cameras(store: str) -> tuple[str, ...]:
    """The cameras ``stores.yaml`` lists for ``store`` (from :func:`context`).

    Raises:
        ShelfAuditError: the store is not in ``stores.yaml``, or the file is broken with no
            good version on record.
    """
    from pipeline.actions import uploads

    return tuple(uploads.store_spec(store, context()).cameras)
