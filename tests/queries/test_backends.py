"""The dashboard's queries give the same answers on SQLite and on PostgreSQL.

Each test runs on both (``query_db`` is the small database built on the ``db_url`` backend);
the expected numbers follow from :mod:`tests.factories.demo_db`: W46 compliance is
90 - 2 x weekday (+3 on camera c02) for s001 and 28 points lower for s002.
"""

from __future__ import annotations

from datetime import date

from pipeline.access.scope import ALL_STORES, Scope
from pipeline.queries import inspections, operations, overview, pickers, trends

S001 = Scope(stores=frozenset({"s001"}), role="viewer", user="vera")


def test_week_kpis_and_changes(query_db):
    now, before = overview.kpi_changes(ALL_STORES, "2026-W46")
    assert (now.inspections, before.inspections) == (28, 28)
    assert now.compliance == 71.5 and before.compliance == 71.5
    assert overview.week_kpis(S001, "2026-W46").compliance == 85.5
    assert now.open_high == 4  # the newest photo of each camera has one high violation


def test_ranking_and_worst_cameras(query_db):
    ranking = overview.store_ranking(ALL_STORES, "2026-W46")
    assert list(ranking["store"]) == ["s001", "s002"]
    assert list(ranking["compliance"]) == [85.5, 57.5] and list(ranking["change"]) == [0.0, 0.0]
    worst = overview.worst_cameras(ALL_STORES, "2026-W46", limit=2)
    assert list(zip(worst["store"], worst["camera"], strict=True)) == [("s002", "c01"),
                                                                      ("s002", "c02")]
    assert list(worst["violations"]) == [21, 21] and list(worst["high_severity"]) == [7, 7]


def test_pickers_stay_in_scope(query_db):
    assert pickers.stores(S001) == [("s001", "Riverside")]
    assert pickers.cameras(ALL_STORES, "s002") == [("s002", "c01"), ("s002", "c02")]
    assert pickers.weeks(ALL_STORES) == ["2026-W46", "2026-W45"]
    assert pickers.rule_ids(S001) == ["cola-facings", "water-upright"]


def test_trends_per_store_rule_and_brand(query_db):
    weeks = trends.store_weeks(ALL_STORES)
    assert list(weeks["inspections"]) == [14, 14, 14, 14]
    assert list(weeks["violations"]) == [28, 42, 28, 42]
    rules = trends.rule_weeks(ALL_STORES, first="2026-W46")
    assert dict(zip(rules["rule"], rules["violations"], strict=True)) == {
        "cola-facings": 28, "price-match": 14, "water-upright": 28}
    brands = trends.brand_weeks(S001, last="2026-W45")
    assert dict(zip(brands["brand"], brands["share"], strict=True)) == {"colaco": 60.0,
                                                                       "fizzup": 40.0}


def test_inspection_list_filters_and_detail(query_db):
    flt = inspections.InspectionFilter(store="s002", camera="c01", start=date(2026, 11, 9),
                                       end=date(2026, 11, 10), rule="price-match")
    listed = inspections.list_inspections(ALL_STORES, flt)
    assert len(listed) == 2 and set(listed["violations"]) == {3}
    detail = inspections.inspection_detail(int(listed["id"].iloc[0]), ALL_STORES)
    assert detail is not None
    assert len(inspections.violations_of(int(listed["id"].iloc[0]), ALL_STORES)) == 3
    assert inspections.list_inspections(S001, flt).empty


def test_run_history_and_scheduler_health(query_db):
    runs = operations.job_runs(ALL_STORES)
    assert list(runs["status"]) == ["error", "ok"]
    assert list(operations.job_runs(S001)["store"]) == ["s001"]
    health = operations.scheduler_health(ALL_STORES)
    assert health.last_status == "error" and health.next_run is not None
