"""Weekly report page: one store and week, charts, worst photos, downloads."""

from __future__ import annotations

from tests.factories.apptest import table_with


def test_weekly_report_renders_on_an_empty_database(empty_db, app):
    at = app("pages/weekly_report.py")
    assert not at.exception


def test_weekly_report_shows_the_store_week(small_db, app):
    at = app("pages/weekly_report.py")
    assert not at.exception
    assert at.selectbox(key="weekly_report_store").value == "s001"
    cameras = table_with(at, "camera")
    assert set(cameras["camera"]) == {"c01", "c02"}
    assert len(at.image) == 4  # the worst photos, annotated
    labels = [b.label for b in at.get("download_button")]
    assert "CSV" in labels and "Excel" in labels


def test_picking_another_store_changes_the_report(small_db, app):
    at = app("pages/weekly_report.py")
    before = table_with(at, "camera")["compliance"].tolist()
    at.selectbox(key="weekly_report_store").set_value("s002").run()
    after = table_with(at, "camera")["compliance"].tolist()
    assert not at.exception
    assert max(after) < min(before)  # s002 is the worse store


def test_downloads_render_the_report_the_page_shows(query_db, rules_copy):
    from pipeline.access.scope import ALL_STORES
    from pipeline.dashboard.exports import file_bytes
    from pipeline.queries import weekly

    report = weekly.weekly_report("s002", "2026-W46", ALL_STORES)
    assert "s002" in file_bytes(report, "csv").decode("utf-8")
    assert file_bytes(report, "pdf").startswith(b"%PDF")
    assert file_bytes(report, "xlsx")[:2] == b"PK"
