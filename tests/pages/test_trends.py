"""Trends page: charts per store, rule, brand; the week range filters the data."""

from __future__ import annotations

from tests.factories.apptest import table_with


def test_trends_renders_on_an_empty_database(empty_db, app):
    at = app("pages/trends.py")
    assert not at.exception


def test_trends_shows_every_week_and_store(small_db, app):
    at = app("pages/trends.py")
    assert not at.exception
    table = table_with(at, "week")
    assert set(table["week"]) == {"2026-W45", "2026-W46"}
    assert set(table["store"]) == {"s001", "s002"}
    assert len(at.get("plotly_chart")) >= 5
    assert len(at.get("download_button")) >= 5


def test_week_range_narrows_the_data(small_db, app):
    at = app("pages/trends.py")
    at.selectbox(key="trends_first").set_value("2026-W46").run()
    assert not at.exception
    assert set(table_with(at, "week")["week"]) == {"2026-W46"}
