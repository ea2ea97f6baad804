"""rules page (skeleton)."""

import streamlit as st

st.title("rules")
