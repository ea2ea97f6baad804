"""inspections page (skeleton)."""

import streamlit as st

st.title("inspections")
