"""Key columns stay in view: the id, store, camera ... columns that lead a table are pinned by
column_config (a phone scrolls a wide table sideways: tests/browser/test_phone.py)."""

from __future__ import annotations

from pipeline.dashboard.formatting import column_config


def _pinned(config: dict) -> list[str]:
    return [name for name, c in config.items() if isinstance(c, dict) and c.get("pinned")]


def test_the_leading_key_columns_are_pinned_and_nothing_moves():
    assert _pinned(column_config(["id", "store", "store_name", "camera", "compliance"])) == \
        ["id", "store"]
    assert _pinned(column_config(["store", "camera", "camera_name", "captured_local"])) == \
        ["store", "camera"]
    assert _pinned(column_config(["store_name", "store", "compliance"])) == []  # not leading
    assert _pinned(column_config()) == []  # order unknown: nothing pinned


def test_a_pages_own_setting_wins():
    import streamlit as st

    config = column_config(["id", "store"], id=st.column_config.Column("#", pinned=False),
                           store=None)
    assert config["id"]["pinned"] is False and config["store"] is None
    assert config["id"]["label"] == "#"
