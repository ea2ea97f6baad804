"""trends page (skeleton)."""

import streamlit as st

st.title("trends")
