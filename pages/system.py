"""system page (skeleton)."""

import streamlit as st

st.title("system")
