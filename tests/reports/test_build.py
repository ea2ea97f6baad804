"""Weekly reports: numbers match the inspections; CSV, Excel and PDF exports."""

from __future__ import annotations

import csv
from pathlib import Path
from statistics import fmean

import pytest
from sqlalchemy import func, select

from pipeline import db
from pipeline.db import tables
from pipeline.errors import ShelfAuditError
from pipeline.inbox.inspectors import FakeInspector
from pipeline.inbox.jobs import RunOptions, run_once
from pipeline.reports import build as reports
from pipeline.reports.model import WeeklyReport
from pipeline.schedule.weekly_job import weekly_report_job
from pipeline.settings import get_settings
from tests.factories.databases import use_database
from tests.factories.sites import FakeRules, drop_photos, make_sites


@pytest.fixture(scope="module")
def two_weeks(tmp_path_factory, module_db_url):
    """Store s1 with photos in 2026-W46 (Nov 9-15) and 2026-W47 (Nov 16-22), on SQLite and
    on PostgreSQL."""
    home = tmp_path_factory.mktemp("reports") / "home"
    mp = pytest.MonkeyPatch()
    mp.setenv("SHELFAUDIT_HOME", str(home))
    use_database(mp, module_db_url)
    db.upgrade()
    for day, seed in ((10, 1), (12, 2), (16, 3), (17, 4), (18, 5)):
        drop_photos(home, "s1", "c1", 2, seed=seed, day=day)
        drop_photos(home, "s1", "c2", 2, seed=seed + 50, day=day)
    run_once(make_sites(), ["s1"], RunOptions(inspector=FakeInspector(),
                                              rules_loader=lambda s: FakeRules()))
    yield home, module_db_url
    db.dispose_engines()
    mp.undo()
    get_settings.cache_clear()


@pytest.fixture
def week_home(two_weeks, monkeypatch):
    home, url = two_weeks
    monkeypatch.setenv("SHELFAUDIT_HOME", str(home))
    use_database(monkeypatch, url)
    return home


def _db_mean(column, week):
    with db.session_scope() as s:
        values = s.scalars(select(column).where(tables.Inspection.iso_week == week)).all()
    return round(fmean(values), 1)


def test_report_numbers_come_from_the_weeks_inspections(week_home):
    report = reports.build_report("s1", "2026-W47")
    assert report.inspections == 12 and report.previous_week == "2026-W46"
    assert report.kpis["compliance"] == _db_mean(tables.Inspection.compliance, "2026-W47")
    assert report.previous_kpis["compliance"] == _db_mean(tables.Inspection.compliance,
                                                          "2026-W46")
    assert report.change["compliance"] == round(report.kpis["compliance"]
                                                - report.previous_kpis["compliance"], 1)
    with db.session_scope() as s:
        total = s.scalar(select(func.count()).select_from(tables.Violation)
                         .where(tables.Violation.iso_week == "2026-W47"))
    assert report.violations.total == total
    assert sum(report.violations.by_severity.values()) == total
    assert [d.key for d in report.daily] == ["2026-11-16", "2026-11-17", "2026-11-18"]
    assert sum(c.inspections for c in report.cameras) == 12
    days = [p.days for p in report.top_problems]
    assert days == sorted(days, reverse=True)
    worst = [w.compliance for w in report.worst_photos]
    assert worst == sorted(worst) and len(worst) == reports.WORST_PHOTOS
    assert report.share_of_shelf == {"colaco": 100.0}


@pytest.mark.parametrize(("photos", "expected"), [
    # facings weigh: 2 colaco packs beside 38 fizzup are 5 %, not the mean of 100 % and 0 %
    ([({"colaco": 100.0}, {"colaco-cola-330": 2}),
      ({"fizzup": 100.0}, {"fizzup-lemon-330": 38})], {"fizzup": 95.0, "colaco": 5.0}),
    # unrecognised products count for nobody
    ([({"colaco": 50.0, "fizzup": 50.0}, {"colaco-cola-330": 2, "fizzup-lemon-330": 2,
                                          "unknown": 6})], {"colaco": 50.0, "fizzup": 50.0}),
    # a photo with nothing recognised, and no photos at all
    ([({}, {"unknown": 4})], {}),
    ([], {}),
])
def test_share_of_shelf_is_facings_of_the_week(photos, expected):
    assert reports.share_of_shelf(photos) == expected


def test_exports_in_all_three_formats_are_stored(week_home):
    report, files = reports.make_report("s1", "2026-W47")
    assert set(files) == {"csv", "xlsx", "pdf"}
    with open(files["csv"], encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    kpi = {(r["item"], r["metric"]): r["value"] for r in rows if r["section"] == "kpi"}
    assert float(kpi[("compliance", "this_week")]) == report.kpis["compliance"]

    from openpyxl import load_workbook

    wb = load_workbook(files["xlsx"])
    assert {"Summary", "Share of shelf", "Daily", "Violations", "Top problems",
            "Worst photos"} <= set(wb.sheetnames)
    assert wb["Summary"]["B2"].value == report.kpis["compliance"]
    assert len(wb["Daily"]._charts) == 1
    assert len(wb["Worst photos"]._images) == reports.WORST_PHOTOS

    pdf = Path(files["pdf"]).read_bytes()
    assert pdf.startswith(b"%PDF") and pdf.count(b"/Subtype /Image") >= reports.WORST_PHOTOS
    with db.session_scope() as s:
        row = s.scalars(select(tables.Report).where(tables.Report.iso_week == "2026-W47")).one()
        assert row.files == files and row.compliance == report.kpis["compliance"]
        assert WeeklyReport.from_document(row.kpis) == report


def test_empty_week_still_makes_a_report(week_home, tmp_path):
    report = reports.build_report("s1", "2026-W30")
    assert report.inspections == 0 and report.kpis["compliance"] is None
    for fmt in reports.FORMATS:
        out = reports.export_report(report, fmt, tmp_path / f"r.{fmt}")
        assert out.stat().st_size > 0


@pytest.mark.parametrize(("store", "week", "message"), [
    ("nope", "2026-W47", "unknown store"),
    ("s1", "2026-47", "not like 2026-W46"),
    ("s1", "2026-W54", "does not exist"),
])
def test_bad_store_or_week_is_a_user_error(week_home, store, week, message):
    with pytest.raises(ShelfAuditError, match=message):
        reports.build_report(store, week)


def test_weekly_job_records_a_job_run(week_home):
    files = weekly_report_job("s1", "2026-W46", trigger="scheduled")
    assert set(files) == {"csv", "xlsx", "pdf"}
    with db.session_scope() as s:
        run = s.scalars(select(tables.JobRun).where(tables.JobRun.job == "report")
                        .order_by(tables.JobRun.id.desc())).first()
        assert (run.status, run.store_id, run.trigger) == (tables.OK, "s1", "scheduled")


def test_photos_out_of_the_models_domain_are_counted_and_explained(week_home):
    """A photo whose product-name rules were not judged is counted, with what to do."""
    with db.session_scope() as s:
        row = s.scalars(select(tables.Inspection).where(
            tables.Inspection.iso_week == "2026-W47").order_by(tables.Inspection.id)).first()
        before = list(row.rule_results)
        row.rule_results = [*before, {"rule": "x", "type": "orientation", "passed": True,
                                      "not_judged": "not judged: unlike the training photos"}]
    try:
        report = reports.build_report("s1", "2026-W47")
        assert report.not_judged == 1
        assert report.not_judged_note.startswith("1 of 12 photos")
        assert "models pull" in report.not_judged_note
        assert b"not_judged" in reports.render(report, "csv")
        assert reports.build_report("s1", "2026-W46").not_judged_note is None
    finally:
        with db.session_scope() as s:
            s.get(tables.Inspection, row.id).rule_results = before
