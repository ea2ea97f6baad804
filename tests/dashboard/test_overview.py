"""Overview page: KPIs of the week, store ranking, worst cameras, scheduler health."""

from __future__ import annotations

from tests.dashboard.helpers import table_with


def test_overview_renders_on_an_empty_database(empty_db, app):
    at = app("pages/overview.py")
    assert not at.exception
    assert any("No inspections yet" in i.value for i in at.info)


def test_overview_shows_week_kpis_and_ranking(small_db, app):
    at = app("pages/overview.py")
    assert not at.exception
    assert at.session_state["week"] == "2026-W46"
    labels = {m.label: m for m in at.metric}
    assert labels["Compliance score"].value.endswith("%")
    ranking = table_with(at, "rank")
    assert list(ranking["store"]) == ["s001", "s002"]  # s002 is the worse store


def test_store_picker_narrows_the_ranking(small_db, app):
    at = app("pages/overview.py")
    at.sidebar.selectbox(key="store").set_value("s002").run()
    assert not at.exception
    assert list(table_with(at, "rank")["store"]) == ["s002"]
