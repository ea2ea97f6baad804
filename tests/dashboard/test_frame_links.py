"""The URL carries the view (issue #19 item 8): store and week on every page, the filters and
the open inspection on Inspections — read from a bookmark or a click-through, written back as
the view changes. (The real browser: tests/browser/test_links_and_phones.py.)"""

from __future__ import annotations

from tests.factories.apptest import table_with


def _opened(page: str, params: dict[str, str], role: str = "admin", stores=()):
    """``page`` opened from a URL with ``params`` in a signed-in tab."""
    from streamlit.testing.v1 import AppTest

    from pipeline.dashboard.bench_pages import navigation_pages_manager
    from tests.factories.accounts import sign_in
    from tests.factories.dashboard_fixtures import APP

    with navigation_pages_manager():
        at = AppTest.from_file(APP, default_timeout=60)
        sign_in(at, role, stores)
        at.switch_page(page)
        at.query_params.update(params)
        at.run()
    return at


def test_store_and_week_come_from_the_url_and_go_back_into_it(small_db, app):
    at = _opened("pages/overview.py", {"store": "s002", "week": "2026-W45"})
    assert not at.exception
    assert at.session_state["store"] == "s002" and at.session_state["week"] == "2026-W45"
    assert list(table_with(at, "rank")["store"]) == ["s002"]
    at.sidebar.selectbox(key="week").set_value("2026-W46").run()
    assert at.query_params["week"] == "2026-W46" and at.query_params["store"] == "s002"
    at.sidebar.selectbox(key="store").set_value("*").run()
    assert "store" not in at.query_params  # all of the user's stores: nothing to say


def test_a_store_or_week_the_user_may_not_see_is_ignored(small_db):
    at = _opened("pages/overview.py", {"store": "s002", "week": "1999-W01"}, role="viewer",
                 stores=("s001",))
    assert not at.exception
    assert at.session_state["store"] == "*" and at.session_state["week"] == "2026-W46"
    assert set(table_with(at, "rank")["store"]) == {"s001"}


def test_an_inspection_in_the_url_opens_with_its_filters(small_db):
    from pipeline.access.scope import ALL_STORES
    from pipeline.queries import inspections

    listed = inspections.list_inspections(ALL_STORES, inspections.InspectionFilter(
        store="s002", camera="c01"))
    wanted = int(listed["id"].iloc[3])
    at = _opened("pages/inspections.py", {"week": "2026-W46", "inspection": str(wanted),
                                          "camera": "s002/c01", "rule": "price-match"})
    assert not at.exception
    assert at.session_state["inspections_current"] == wanted
    assert at.selectbox(key="inspections_camera").value == "s002/c01"
    assert at.selectbox(key="inspections_rule").value == "price-match"
    assert set(table_with(at, "captured_at")["camera"]) == {"c01"}
    assert f"#{wanted}" in at.subheader[0].value
    at.button(key="inspections_prev").click().run()  # the URL follows the open inspection
    assert at.query_params["inspection"] == str(at.session_state["inspections_current"])
    assert at.query_params["inspection"] != str(wanted)


def test_a_day_range_from_the_url_narrows_the_list(small_db):
    at = _opened("pages/inspections.py", {"week": "2026-W46", "from": "2026-11-10",
                                          "to": "2026-11-10"})
    assert not at.exception
    listed = table_with(at, "captured_at")
    assert len(listed) == 2 * 2  # 2 stores x 2 cameras, one day
    assert at.query_params["from"] == "2026-11-10"


def test_a_severity_from_the_url_is_the_filters(small_db):
    at = _opened("pages/inspections.py", {"severity": "high"})
    assert at.selectbox(key="inspections_severity").value == "high"
    assert at.query_params["severity"] == "high"


def test_unknown_filter_values_in_the_url_are_ignored(small_db):
    at = _opened("pages/inspections.py", {"camera": "s009/c99", "rule": "<script>",
                                          "severity": "urgent", "inspection": "abc",
                                          "from": "not-a-day"})
    assert not at.exception
    assert at.selectbox(key="inspections_camera").value == "(all)"
    assert len(table_with(at, "captured_at")) == 28


def test_upload_takes_a_photo_with_the_devices_camera_when_asked(small_db, app):
    at = app("pages/upload.py")
    assert at.get("file_uploader") and not at.get("camera_input")  # a desktop: files first
    at.toggle(key="upload_take").set_value(True).run()
    assert not at.exception
    assert at.get("camera_input") and not at.get("file_uploader")
    assert at.button(key="upload_run").disabled  # nothing taken yet
