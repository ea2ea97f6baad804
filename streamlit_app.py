"""ShelfAudit dashboard — the router and the picture frame.

Run with ``streamlit run streamlit_app.py`` (``make run`` does it). Pages live in ``pages/`` and
render only; the shared store and week pickers and the language switch live in the sidebar (see
:mod:`pipeline.dashboard.frame`). Page titles are translated here, on every run, in the reader's
language (:mod:`pipeline.i18n`); their URLs come from the file names and never change.
"""

import streamlit as st

from pipeline.dashboard import auth, frame
from pipeline.i18n import _

st.set_page_config(page_title="ShelfAudit", page_icon="🛒", layout="wide")

frame.prepare()  # the reader's language first: the sign-in form is translated too


def pages() -> dict[str, list]:
    """The page groups, titled in the reader's language."""
    return {
        _("Shelves"): [
            st.Page("pages/overview.py", title=_("Overview"), icon=":material/dashboard:",
                    default=True),
            st.Page("pages/fixes.py", title=_("Today's fixes"), icon=":material/construction:"),
            st.Page("pages/weekly_report.py", title=_("Weekly report"),
                    icon=":material/summarize:"),
            st.Page("pages/inspections.py", title=_("Inspections"),
                    icon=":material/photo_library:"),
            st.Page("pages/trends.py", title=_("Trends"), icon=":material/trending_up:"),
        ],
        _("Work"): [
            st.Page("pages/upload.py", title=_("Upload"), icon=":material/upload:"),
            st.Page("pages/rules.py", title=_("Rules"), icon=":material/rule:"),
            st.Page("pages/system.py", title=_("System"), icon=":material/settings:"),
        ],
        _("Admin"): [
            st.Page("pages/admin.py", title=_("Users & audit"),
                    icon=":material/admin_panel_settings:", url_path="admin"),
        ],
    }


user = auth.gate(pages())  # no page, no data before sign-in (every page's URL: the form)
page = st.navigation(auth.allowed_pages(pages(), user))
with st.sidebar:
    st.markdown("### ShelfAudit")
frame.language_switch()
frame.sidebar()
auth.sidebar(user)
page.run()
frame.settle()  # cheap garbage collection from here on (see there)
