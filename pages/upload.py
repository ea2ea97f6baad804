"""upload page (skeleton)."""

import streamlit as st

st.title("upload")
