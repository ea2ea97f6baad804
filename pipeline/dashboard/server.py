"""The dashboard's web server: Streamlit's own, plus the sign-in cookie's route.

Started with ``streamlit run pipeline/dashboard/server.py`` (``shelfaudit serve`` and
``make run`` do it): Streamlit finds :data:`app` (``st.App``) and serves the router,
``streamlit_app.py``, exactly as ``streamlit run streamlit_app.py`` would, with one more HTTP
route, ``/api/session`` (:mod:`pipeline.dashboard.cookie_route`), that sets and clears the
sign-in cookie (:mod:`pipeline.access.session_cookie`), and the narrow screens' stylesheet and
script (:mod:`pipeline.dashboard.narrow`), linked from every page. Run as ``streamlit run
streamlit_app.py`` the dashboard works the same, but a reload signs out (there is no route to
set the cookie, and the pages do not offer it) and phones get Streamlit's own layout.
"""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st
from starlette.middleware import Middleware

from pipeline.access import session_cookie
from pipeline.dashboard import cookie_route, narrow

HERE = Path(__file__).resolve().parent
ROUTER = HERE.parents[1] / "streamlit_app.py"
# `streamlit run` puts this file's folder first on sys.path; its modules (models.py, auth.py
# ...) must not pass for top-level packages of that name.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]


def _no_pages_folder_fallback() -> None:
    """Never run a file of ``pages/`` on its own. Until some session's router has called
    ``st.navigation``, Streamlit treats a ``pages/`` folder next to the main script as a
    version-1 multipage app: the first visit after start-up to ``/inspections`` would run
    ``pages/inspections.py`` directly — without the router's sign-in gate. The router always
    navigates, so the fallback is off from the start."""
    from streamlit.runtime.pages_manager import PagesManager

    PagesManager.uses_pages_directory = False


_no_pages_folder_fallback()
session_cookie.serve()  # the pages may offer the cookie now
# `streamlit run` finds the app by this very assignment (st.App called here, by name)
app = st.App(ROUTER, routes=[*cookie_route.routes(), *narrow.routes()],
             middleware=[Middleware(narrow.LinkAssets)])  # phones: narrow.css and .js
