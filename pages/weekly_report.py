"""weekly_report page (skeleton)."""

import streamlit as st

st.title("weekly_report")
