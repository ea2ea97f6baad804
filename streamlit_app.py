"""ShelfAudit dashboard — the router and the picture frame.

Run with ``streamlit run streamlit_app.py`` (``make run`` does it). Pages live in ``pages/`` and
render only; the shared store and week pickers live in the sidebar (see
:mod:`pipeline.dashboard.frame`).
"""

import streamlit as st

from pipeline.dashboard import auth, frame

st.set_page_config(page_title="ShelfAudit", page_icon="🛒", layout="wide")

PAGES = {
    "Shelves": [
        st.Page("pages/overview.py", title="Overview", icon=":material/dashboard:",
                default=True),
        st.Page("pages/weekly_report.py", title="Weekly report", icon=":material/summarize:"),
        st.Page("pages/inspections.py", title="Inspections", icon=":material/photo_library:"),
        st.Page("pages/trends.py", title="Trends", icon=":material/trending_up:"),
    ],
    "Work": [
        st.Page("pages/upload.py", title="Upload", icon=":material/upload:"),
        st.Page("pages/rules.py", title="Rules", icon=":material/rule:"),
        st.Page("pages/system.py", title="System", icon=":material/settings:"),
    ],
    "Admin": [
        st.Page("pages/admin.py", title="Users & audit", icon=":material/admin_panel_settings:",
                url_path="admin"),
    ],
}

frame.prepare()
user = auth.gate()  # no page, no data before sign-in
page = st.navigation(auth.allowed_pages(PAGES, user))
with st.sidebar:
    st.markdown("### ShelfAudit")
frame.sidebar()
auth.sidebar(user)
page.run()
