"""Overview page: KPIs of the week, store ranking, worst cameras, scheduler health."""

from __future__ import annotations

from tests.factories.apptest import table_with


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


def test_ranking_carries_each_stores_weekly_trend(small_db):
    from pipeline.access.scope import ALL_STORES
    from pipeline.queries.overview import store_ranking

    ranking = store_ranking(ALL_STORES, "2026-W46").set_index("store")
    assert len(ranking.loc["s001", "trend"]) == 2  # W45 and W46
    assert ranking.loc["s001", "trend"][-1] == ranking.loc["s001", "compliance"]
    assert ranking.loc["s002", "name"] == "Old Town"


def test_relative_times_read_like_speech():
    from datetime import datetime, timedelta

    from pipeline import i18n
    from pipeline.dashboard.formatting import relative

    now = datetime(2026, 11, 23, 12, 0)
    with i18n.using("en"):
        assert relative(now - timedelta(minutes=12), now) == "12 min. ago"
        assert relative(now + timedelta(hours=9), now) == "in 9 hr."
        assert relative(None, now) == "—"
    with i18n.using("zh"):
        assert relative(now - timedelta(minutes=12), now) == "12分钟前"
        assert relative(now + timedelta(hours=9), now) == "9小时后"
