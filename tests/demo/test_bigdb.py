"""bigdb: a synthetic history that reads back like real inspections."""

from __future__ import annotations

from datetime import date
from statistics import fmean

from sqlalchemy import func, select

from pipeline import db
from pipeline.db import tables
from pipeline.demo.bigdb import BigDbOptions, build_bigdb


def test_bigdb_rows_read_back_through_the_orm(db_url):
    db.upgrade()
    summary = build_bigdb(BigDbOptions(stores=3, cameras=2, weeks=2, progress=False,
                                       today=date(2026, 11, 25)))
    assert summary["inspections"] == 3 * 2 * 14 and summary["reports"] == 3 * 2
    with db.session_scope() as s:
        insp = s.scalars(select(tables.Inspection).order_by(tables.Inspection.id)).first()
        assert insp.captured_on == date(2026, 11, 9) and insp.iso_week == "2026-W46"
        assert insp.captured_at.date() == insp.captured_on and insp.photo.path.endswith(".jpg")
        assert isinstance(insp.share_of_shelf, dict) and insp.violation_count == len(
            insp.violations)
        assert s.scalar(select(func.count()).select_from(tables.Violation)) == \
            summary["violations"]
        report = s.scalars(select(tables.Report).where(tables.Report.store_id == "b0001",
                                                       tables.Report.iso_week == "2026-W47")).one()
        values = s.scalars(select(tables.Inspection.compliance).where(
            tables.Inspection.store_id == "b0001", tables.Inspection.iso_week == "2026-W47"))
        assert report.compliance == round(fmean(values), 1) and report.inspections == 14
    again = build_bigdb(BigDbOptions(stores=3, cameras=2, weeks=2, progress=False,
                                     today=date(2026, 11, 25)))  # replaces, never doubles
    with db.session_scope() as s:
        assert s.scalar(select(func.count()).select_from(tables.Inspection)) == \
            again["inspections"]
    with db.session_scope() as s:  # an ordinary insert after bulk rows with explicit ids
        s.add(tables.Photo(sha256="e" * 64, store_id="b0001", camera_id="c01", path="x",
                           original_name="x", captured_at=tables.utcnow()))
    db.dispose_engines()
