"""Store-local time: a Shanghai store's photos are filtered, counted and shown on its own clock.

The database keeps UTC; a photo at 2026-11-15T17:00Z is Monday 01:00 in Asia/Shanghai and
belongs to that Monday's ISO week, 2026-W47 — in the Inspections list, in Overview's count,
in the detail heading and in the weekly report.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from tests.factories.apptest import table_with

STORE, CAMERA, TZ = "sh1", "c01", "Asia/Shanghai"
MONDAY_EARLY = datetime(2026, 11, 15, 17, 0)  # UTC: Monday 2026-11-16 01:00 in Shanghai
W47 = "2026-W47"


def _moments() -> list[datetime]:
    """UTC moments: each day of W47 at 01:00 and 14:00 Shanghai, plus one photo on each side
    of the week (Sunday 23:30 of W46, Monday 00:30 of W48)."""
    found = []
    for day in range(7):
        local_midnight = datetime(2026, 11, 16) + timedelta(days=day)
        found += [local_midnight + timedelta(hours=1) - timedelta(hours=8),
                  local_midnight + timedelta(hours=14) - timedelta(hours=8)]
    found += [datetime(2026, 11, 15, 23, 30) - timedelta(hours=8),
              datetime(2026, 11, 23, 0, 30) - timedelta(hours=8)]
    return found


@pytest.fixture
def shanghai_db(home):
    """One Shanghai store whose week starts before Monday in UTC (rows as the runner writes
    them: ``captured_on`` and ``iso_week`` from the store's local day)."""
    from pipeline.db import session_scope, upgrade
    from pipeline.db import tables as t
    from pipeline.sites import StoreSpec
    from pipeline.weeks import iso_week

    upgrade()
    spec = StoreSpec(id=STORE, name="Shanghai One", timezone=TZ)
    ids = {}
    with session_scope() as s:
        s.add(t.Store(id=STORE, name=spec.name, timezone=TZ, schedule="every 6h"))
        s.add(t.Camera(store_id=STORE, id=CAMERA, name="Drinks aisle"))
        s.flush()
        for n, at in enumerate(_moments()):
            day = spec.local_day(at)
            photo = t.Photo(sha256=f"{n:064x}", store_id=STORE, camera_id=CAMERA,
                            path="/nowhere.jpg", original_name=f"{n}.jpg", captured_at=at,
                            state="inspected", width=320, height=240)
            s.add(photo)
            s.flush()
            insp = t.Inspection(photo_id=photo.id, store_id=STORE, camera_id=CAMERA,
                                captured_at=at, captured_on=day, iso_week=iso_week(day),
                                width=320, height=240, compliance=80.0, osa=90.0,
                                price_compliance=100.0, promo_compliance=100.0,
                                share_of_shelf={}, facings={}, models={}, violation_count=0)
            s.add(insp)
            s.flush()
            ids[at] = insp.id
    return ids


def test_a_week_lists_exactly_the_photos_overview_counts(shanghai_db):
    from pipeline.access.scope import ALL_STORES
    from pipeline.queries import inspections, overview

    week = inspections.InspectionFilter(start=date(2026, 11, 16), end=date(2026, 11, 22))
    listed = inspections.list_inspections(ALL_STORES, week)
    now, _before = overview.kpi_changes(ALL_STORES, W47)
    assert len(listed) == now.inspections == 14  # the early-Monday photos are in
    assert shanghai_db[MONDAY_EARLY] in set(listed["id"])
    assert shanghai_db[datetime(2026, 11, 15, 15, 30)] not in set(listed["id"])  # Sunday W46


def test_each_row_carries_its_time_on_the_stores_clock(shanghai_db):
    from pipeline.access.scope import ALL_STORES
    from pipeline.queries import inspections

    one_day = inspections.InspectionFilter(start=date(2026, 11, 16), end=date(2026, 11, 16))
    listed = inspections.list_inspections(ALL_STORES, one_day).set_index("id")
    row = listed.loc[shanghai_db[MONDAY_EARLY]]
    assert row["captured_local"] == datetime(2026, 11, 16, 1, 0)
    assert row["captured_at"] == MONDAY_EARLY and row["timezone"] == TZ
    assert len(listed) == 2  # Monday 01:00 and 14:00, though the first is Sunday in UTC


def test_the_detail_names_the_stores_clock(shanghai_db):
    from pipeline import i18n
    from pipeline.access.scope import ALL_STORES
    from pipeline.queries import inspections

    detail = inspections.inspection_detail(shanghai_db[MONDAY_EARLY], ALL_STORES)
    assert detail.iso_week == W47 and detail.timezone == TZ
    assert detail.captured_local == datetime(2026, 11, 16, 1, 0)
    assert i18n.moment(detail.captured_at, detail.timezone, lang="en") == \
        "Mon, Nov 16, 2026, 01:00 Asia/Shanghai"


def test_the_weekly_report_counts_the_same_week(shanghai_db):
    from pipeline.reports.build import build_report

    report = build_report(STORE, W47)
    assert report.inspections == 14
    assert report.daily[0].key == "2026-11-16" and report.daily[0].inspections == 2


def test_the_inspections_page_lists_what_overview_counts(shanghai_db, app):
    at = app("pages/overview.py")
    at.sidebar.selectbox(key="week").set_value(W47).run()
    assert any("14 inspections" in c.value for c in at.caption)
    at.switch_page("pages/inspections.py").run()
    assert not at.exception
    listed = table_with(at, "captured_local")
    assert len(listed) == 14
    assert at.date_input(key="inspections_dates").value == (date(2026, 11, 16),
                                                          date(2026, 11, 22))
    assert "Asia/Shanghai" in at.subheader[0].value  # the opened photo's time names its zone


def test_schedules_give_a_next_run_on_the_stores_clock(shanghai_db):
    from pipeline.access.scope import ALL_STORES
    from pipeline.queries import operations

    now = datetime(2026, 11, 20, 3, 0)  # UTC
    fire = operations.next_fire("0 2 * * *", TZ, now)
    assert fire == datetime(2026, 11, 20, 18, 0)  # 02:00 on the 21st in Shanghai
    table = operations.schedules(ALL_STORES)
    row = table.set_index("store").loc[STORE]
    assert row["next_run_utc"] is not None and row["next_run"] is not None  # "every 6h" too
    assert operations.scheduler_health(ALL_STORES).next_run is not None


@pytest.mark.parametrize(("schedule", "tz", "expected"), [
    ("0 2 * * *", "Asia/Shanghai", datetime(2026, 11, 20, 18, 0)),
    ("0 2 * * *", "UTC", datetime(2026, 11, 21, 2, 0)),
    ("at two", "UTC", None),
    (None, "UTC", None),
])
def test_next_fire_of_a_schedule(schedule, tz, expected):
    from pipeline.queries.operations import next_fire

    assert next_fire(schedule, tz, datetime(2026, 11, 20, 3, 0)) == expected


def test_an_every_schedule_fires_one_interval_from_now():
    from pipeline.db.tables import utcnow
    from pipeline.queries.operations import next_fire

    fire = next_fire("every 6h", "Asia/Shanghai")
    assert abs((fire - utcnow()) - timedelta(hours=6)) < timedelta(minutes=1)


def test_the_monday_report_covers_the_week_just_ended_on_the_stores_clock(shanghai_db,
                                                                          monkeypatch):
    from pipeline.db import tables
    from pipeline.reports import build as reports

    # Monday 06:00 in Shanghai is still Sunday 22:00 UTC: the week just ended is W47
    monkeypatch.setattr(tables, "utcnow", lambda: datetime(2026, 11, 22, 22, 0))
    assert reports.last_week_of(STORE) == W47


def test_a_store_without_a_schedule_has_no_next_run():
    """Stores with no schedule reach next_fire as None or NaN (from a data frame)."""
    from pipeline.queries.operations import next_fire

    for schedule, timezone in ((None, "UTC"), (float("nan"), "UTC"), ("", None),
                               ("0 2 * * *", float("nan"))):
        got = next_fire(schedule, timezone)
        assert got is None or schedule == "0 2 * * *"
    assert next_fire("0 2 * * *", float("nan")) is not None  # a missing zone means UTC
