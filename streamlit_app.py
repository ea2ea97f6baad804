"""ShelfAudit dashboard — router and frame (placeholder until the Dashboard issue)."""

import streamlit as st

st.set_page_config(page_title="ShelfAudit", page_icon="🛒", layout="wide")
st.title("ShelfAudit")
st.write("Retail shelf compliance. The dashboard pages arrive with the Dashboard issue.")
