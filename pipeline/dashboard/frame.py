"""The picture frame around every page: database start-up, who is asking, store and week.

The router (``streamlit_app.py``) calls :func:`prepare` and :func:`sidebar` on every run, and
:func:`settle` at its end; pages read the shared choices with :func:`scope`, :func:`store` and
:func:`week`.

Shared session keys (no page prefix): ``store`` (a store id or ``"*"`` for all of the user's
stores), ``week`` (``2026-W46``) and ``lang`` (``en`` / ``zh``: the reader's language, first
from the browser's ``Accept-Language``, then the sidebar switch; kept for the session). The
access layer sets ``auth_scope`` (a :class:`~pipeline.access.scope.Scope`); without it no
store is visible.

The URL carries the view (:func:`url_param`, :func:`show_in_url`): ``?store=s001&week=2026-W46``
on every page, plus what a page adds (Inspections: ``inspection``, ``camera`` ...), so a
bookmarked or shared link opens the same view — after sign-in if need be. What a URL brings
wins over the session's choice; ``url_seen`` keeps what this session last put in the URL.
"""

from __future__ import annotations

import threading

import streamlit as st

from pipeline import i18n
from pipeline.access.scope import Scope
from pipeline.dashboard import loaders
from pipeline.dashboard.formatting import labels_for
from pipeline.i18n import _
from pipeline.queries import pickers

NOBODY = Scope(stores=frozenset(), role="viewer", user="nobody")  # not signed in: sees nothing

ALL = "*"
STORE_KEY = "store"
WEEK_KEY = "week"
SCOPE_KEY = "auth_scope"
LANG_KEY = i18n.SESSION_KEY
LANG_PICK = "lang_pick"  # the switch's widget key (widget state is dropped on the sign-in form)
URL_SEEN = "url_seen"


@st.cache_resource(show_spinner=False)
def _migrated(url: str) -> bool:
    from pipeline.db import upgrade

    upgrade(url)
    return True


def prepare() -> None:
    """Choose the reader's language, bring the database schema up to date once per process."""
    choose_language()
    with st.spinner(_("Preparing the database…"), show_time=False):
        _migrated(loaders.db_url())


_FROZEN = {"modules": 0}  # how many modules were loaded at the last gc.freeze()
_FREEZING = threading.Lock()


def settle() -> None:
    """Keep garbage collection cheap: when this run loaded new modules (a page's first visit:
    plotly, torch …), collect once and freeze what is alive (``gc.freeze``), so later
    collections skip the hundreds of thousands of objects that imports leave for good.

    Streamlit's collection after every run is off (``runner.postScriptGC`` in
    ``.streamlit/config.toml``): a full collection of this process took 0.4 s with the GIL
    held, half the server's CPU under 25 sessions. Python's own collections still run."""
    import gc
    import sys

    if len(sys.modules) == _FROZEN["modules"]:
        return
    with _FREEZING:
        if len(sys.modules) != _FROZEN["modules"]:
            gc.collect()
            gc.freeze()
            _FROZEN["modules"] = len(sys.modules)


def choose_language() -> str:
    """The session's language: kept once chosen, else the browser's (``Accept-Language``)."""
    found = i18n.normalize(st.session_state.get(LANG_KEY))
    if found is None:
        found = i18n.browser_language()
    st.session_state[LANG_KEY] = found
    return found


def _switched() -> None:
    picked = st.session_state.get(LANG_PICK)  # None when the chosen one is clicked again
    if picked:
        st.session_state[LANG_KEY] = picked


def language_switch(in_sidebar: bool = True) -> None:
    """The language switch (for this browser session), in the sidebar or where called."""
    st.session_state[LANG_PICK] = choose_language()
    where = st.sidebar if in_sidebar else st.container()
    where.segmented_control(_("Language"), list(i18n.LANGUAGES), key=LANG_PICK,
                            format_func=i18n.LANGUAGES.get, on_change=_switched,
                            label_visibility="collapsed")


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


def zone_of(store_id: str | None) -> str:
    """The time zone of a store in scope (``UTC`` when unknown)."""
    return loaders.store_zones(scope()).get(store_id or "", "UTC") if store_id else "UTC"


def clock() -> str:
    """The clock to show times that belong to no one store on: the sidebar's store's zone,
    else the zone all of the user's stores share, else UTC."""
    zones = loaders.store_zones(store_scope())
    return next(iter(set(zones.values()))) if len(set(zones.values())) == 1 else "UTC"


def url_param(name: str) -> str | None:
    """A query parameter the URL brought — a bookmark, a shared or edited link, a click-through
    from another page: its value when it differs from what this session last put in the URL,
    else ``None`` (the session's own choice stands)."""
    value = st.query_params.get(name)
    seen = st.session_state.setdefault(URL_SEEN, {})
    if value is None or seen.get(name) == value:
        return None
    seen[name] = value
    return value


def show_in_url(values: dict[str, object]) -> None:
    """Put the view's choices in the URL (``None``: take the parameter out), so that reloading,
    bookmarking or sharing the address opens the same view."""
    seen = st.session_state.setdefault(URL_SEEN, {})
    for name, value in values.items():
        text = None if value is None else str(value)
        if text is None:
            if name in st.query_params:
                del st.query_params[name]
        elif st.query_params.get(name) != text:
            st.query_params[name] = text
        seen[name] = text


def open_page(page: str, params: dict[str, object]) -> None:
    """Go to ``page`` (``pages/inspections.py``) showing what ``params`` name — a click-through
    from a chart, a ranking or a photo — in the sidebar's store and week unless they say
    otherwise. The URL carries it all (see :func:`url_param`)."""
    query = {STORE_KEY: store(), WEEK_KEY: week(), **params}
    st.switch_page(page, query_params={k: str(v) for k, v in query.items() if v is not None})


def _keep_valid(key: str, options: list[str], default: str | None) -> None:
    if st.session_state.get(key) not in options:
        st.session_state[key] = default


def sidebar() -> None:
    """Draw the shared store and week pickers."""
    sc = scope()
    stores = loaders.stores(sc)
    names = dict(stores)
    store_options = [ALL, *names]
    asked = url_param(STORE_KEY)
    if asked in store_options:
        st.session_state[STORE_KEY] = asked
    _keep_valid(STORE_KEY, store_options, ALL)
    weeks = loaders.weeks(sc)
    asked = url_param(WEEK_KEY)
    if asked in weeks:
        st.session_state[WEEK_KEY] = asked
    if st.session_state.get(WEEK_KEY) not in weeks:  # the latest complete scheduled week
        st.session_state[WEEK_KEY] = loaders.load(pickers.default_week, sc) if weeks else None
    with st.sidebar:
        st.selectbox(_("Store"), store_options, key=STORE_KEY,
                     format_func=labels_for(store_options, lambda s: _("All my stores")
                                            if s == ALL else f"{s} · {names.get(s, s)}"
                                            if names.get(s, s) != s else s),
                     help=_("Pages show this store, or every store you may see."))
        if weeks:
            st.selectbox(_("Week"), weeks, key=WEEK_KEY,
                         help=_("ISO week, Monday to Sunday, on each store's own clock."))
        else:
            st.caption(_("No inspections yet."))
        # who is signed in is shown, as plain text, by pipeline.dashboard.auth.sidebar
    show_in_url({STORE_KEY: store(), WEEK_KEY: week()})


def need_week() -> str | None:
    """The picked week, or a friendly note (and ``None``) when the database is empty."""
    value = week()
    if value is None:
        st.info(_("No inspections yet. Load the demo history with `shelfaudit demo`, drop photos "
                  "into the camera inbox, or try a photo on the **Upload** page."))
    return value
