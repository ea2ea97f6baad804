"""The picture frame around every page: database start-up, who is asking, store and week.

The router (``streamlit_app.py``) calls :func:`prepare` and :func:`sidebar` on every run; pages
read the shared choices with :func:`scope`, :func:`store` and :func:`week`.

Shared session keys (no page prefix): ``store`` (a store id or ``"*"`` for all of the user's
stores) and ``week`` (``2026-W46``). The access layer sets ``auth_scope`` (a
:class:`~pipeline.queries.scope.Scope`); without it no store is visible.
"""

from __future__ import annotations

import streamlit as st

from pipeline.dashboard import loaders
from pipeline.queries.scope import Scope

NOBODY = Scope(stores=frozenset(), role="viewer", user="nobody")  # not signed in: sees nothing

ALL = "*"
STORE_KEY = "store"
WEEK_KEY = "week"
SCOPE_KEY = "auth_scope"


@st.cache_resource(show_spinner="Preparing the database…")
def _migrated(url: str) -> bool:
    from pipeline.store.db import upgrade

    upgrade(url)
    return True


def prepare() -> None:
    """Bring the database schema up to date once per process and URL."""
    _migrated(loaders.db_url())


def scope() -> Scope:
    """The stores and role of whoever uses the app (set by the sign-in gate,
    :func:`pipeline.dashboard.auth.gate`; without it, no store at all)."""
    found = st.session_state.get(SCOPE_KEY)
    return found if isinstance(found, Scope) else NOBODY


def store() -> str | None:
    """The store picked in the sidebar, or ``None`` for all of the user's stores."""
    value = st.session_state.get(STORE_KEY, ALL)
    return None if value in (None, ALL) else value


def week() -> str | None:
    """The ISO week picked in the sidebar (``None`` when there is no data yet)."""
    return st.session_state.get(WEEK_KEY)


def store_scope() -> Scope:
    """The user's scope narrowed to the sidebar's store."""
    return scope().narrow(store())


def _keep_valid(key: str, options: list[str], default: str | None) -> None:
    if st.session_state.get(key) not in options:
        st.session_state[key] = default


def sidebar() -> None:
    """Draw the shared store and week pickers."""
    sc = scope()
    stores = loaders.stores(sc)
    names = dict(stores)
    store_options = [ALL, *names]
    _keep_valid(STORE_KEY, store_options, ALL)
    weeks = loaders.weeks(sc)
    _keep_valid(WEEK_KEY, weeks, weeks[0] if weeks else None)
    with st.sidebar:
        st.selectbox("Store", store_options, key=STORE_KEY,
                     format_func=lambda s: "All my stores" if s == ALL else
                     f"{s} · {names.get(s, s)}" if names.get(s, s) != s else s,
                     help="Pages show this store, or every store you may see.")
        if weeks:
            st.selectbox("Week", weeks, key=WEEK_KEY,
                         help="ISO week, Monday to Sunday.")
        else:
            st.caption("No inspections yet.")
        # who is signed in is shown, as plain text, by pipeline.dashboard.auth.sidebar


def need_week() -> str | None:
    """The picked week, or a friendly note (and ``None``) when the database is empty."""
    value = week()
    if value is None:
        st.info("No inspections yet. Load the demo history with `shelfaudit demo`, drop photos "
                "into the camera inbox, or try a photo on the **Upload** page.")
    return value
