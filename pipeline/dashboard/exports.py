"""Download buttons for a weekly report: CSV, Excel and PDF.

The files come from the store's report exporter (:mod:`pipeline.store.reports`: the same
CSV, Excel and PDF as the Monday job); without it CSV and Excel are written from the page's own
figures and PDF is off. Files are built only when the user clicks (deferred ``data`` callables).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from functools import partial

import pandas as pd
import streamlit as st

from pipeline.queries.scope import Scope
from pipeline.queries.weekly import WeeklyReport, report_csv

FORMATS = {
    "csv": ("CSV", "text/csv"),
    "xlsx": ("Excel", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "pdf": ("PDF", "application/pdf"),
}


def _store_exporter() -> Callable[[str, str, str], bytes] | None:
    try:
        from pipeline.store import reports
    except ImportError:
        return None
    if not (hasattr(reports, "build_report") and hasattr(reports, "export_report")):
        return None

    def export(store: str, week: str, fmt: str) -> bytes:
        return reports.export_report(reports.build_report(store, week), fmt).read_bytes()

    return export


def _xlsx(report: WeeklyReport) -> bytes:
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as book:
        pd.read_csv(io.BytesIO(report_csv(report)), nrows=1).to_excel(
            book, sheet_name="Summary", index=False)
        for name, table in (("Violations by rule", report.by_rule),
                            ("Cameras", report.cameras),
                            ("Share of shelf", report.share_of_shelf),
                            ("Recurring problems", report.recurring),
                            ("Days", report.daily)):
            table.to_excel(book, sheet_name=name[:31], index=False)
    return buf.getvalue()


def download_buttons(store: str, week: str, scope: Scope, report: WeeklyReport) -> None:
    """Three download buttons in a row (the scope is checked before any file is made)."""
    scope.check(store)
    export = _store_exporter()
    cols = st.columns(6)
    for col, (fmt, (label, mime)) in zip(cols, FORMATS.items(), strict=False):
        if export is not None:
            data = partial(export, store, week, fmt)
        elif fmt == "csv":
            data = partial(report_csv, report)
        elif fmt == "xlsx":
            data = partial(_xlsx, report)
        else:
            col.button(label, disabled=True, key=f"weekly_report_dl_{fmt}",
                       help="PDF export needs the store's report module")
            continue
        col.download_button(label, data=data, file_name=f"shelfaudit-{store}-{week}.{fmt}",
                            mime=mime, key=f"weekly_report_dl_{fmt}", icon=":material/download:",
                            on_click="ignore")
