"""The vision models for the pages, loaded once per process (``st.cache_resource``).

``SHELFAUDIT_INSPECTOR`` picks the inspector as for the scheduled runs (``models`` by default;
``truth``/``fake`` for demos and tests).
"""

from __future__ import annotations

import os
from typing import Any

import streamlit as st

from pipeline.i18n import _

_loaded: set[str] = set()  # inspector specs this process has loaded


def inspector_spec() -> str:
    from pipeline.inbox.inspectors import ENV

    return os.environ.get(ENV) or "models"


@st.cache_resource(show_spinner=False)
def _inspector(spec: str) -> Any:
    from pipeline.inbox.inspectors import make_inspector

    found = make_inspector(spec)
    _loaded.add(spec)
    return found


def inspector() -> Any:
    """The shared inspector; never mutated by the pages."""
    spec = inspector_spec()
    if spec in _loaded:
        return _inspector(spec)
    with st.spinner(_("Loading the models (first time only)…")):
        return _inspector(spec)


def loaded_recognizer() -> Any:
    """The shared inspector's recognizer if the models are loaded already, else ``None``
    (a new reference photo then takes effect when they load)."""
    if inspector_spec() not in _loaded:
        return None
    found = inspector()
    for path in (("_engine", "recognizer"), ("engine", "recognizer"), ("recognizer",)):
        obj = found
        for name in path:
            obj = getattr(obj, name, None)
        if obj is not None:
            return obj
    return None


@st.cache_resource(show_spinner=False)
def device_name(requested: str) -> str:
    """The device the models run on for a requested setting (``auto`` resolved)."""
    try:
        from pipeline.vision.device import pick_device

        return str(pick_device(requested))
    except Exception as exc:  # noqa: BLE001 - shown on the System page
        return f"{requested} ({type(exc).__name__}: {exc})"
