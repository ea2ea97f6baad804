"""The vision models for the pages, loaded once per process (``st.cache_resource``).

``SHELFAUDIT_INSPECTOR`` picks the inspector as for the scheduled runs (``models`` by default;
``truth``/``fake`` for demos and tests).
"""

from __future__ import annotations

import os
from typing import Any

import streamlit as st


def inspector_spec() -> str:
    from pipeline.store.inspectors import ENV

    return os.environ.get(ENV) or "models"


@st.cache_resource(show_spinner="Loading the models (first time only)…")
def _inspector(spec: str) -> Any:
    from pipeline.store.inspectors import make_inspector

    return make_inspector(spec)


def inspector() -> Any:
    """The shared inspector; never mutated by the pages."""
    return _inspector(inspector_spec())
