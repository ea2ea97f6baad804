"""Download buttons for a weekly report: CSV, Excel and PDF of the report the page shows.

The files are :func:`pipeline.reports.build.render` of the very
:class:`~pipeline.reports.model.WeeklyReport` the page draws (the same writers as the
Monday job and ``shelfaudit report``), built only when the user clicks (deferred ``data``), in
the reader's language (taken when the buttons are drawn: the click may be served elsewhere).
"""

from __future__ import annotations

from functools import partial

import streamlit as st

from pipeline import i18n
from pipeline.access.roles import require
from pipeline.access.scope import Scope
from pipeline.i18n import N_, _
from pipeline.reports.build import render
from pipeline.reports.model import WeeklyReport

FORMATS = {
    "csv": (N_("CSV"), "text/csv"),
    "xlsx": (N_("Excel"), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "pdf": (N_("PDF"), "application/pdf"),
}


def file_bytes(report: WeeklyReport, fmt: str, lang: str | None = None) -> bytes:
    """What the ``fmt`` button downloads (in ``lang``; default the current language)."""
    return render(report, fmt, lang=lang)


def download_buttons(scope: Scope, report: WeeklyReport) -> None:
    """Three download buttons in a row (the scope is checked before any file is made)."""
    require(scope, "view", report.store)
    cols = st.columns(6)
    lang = i18n.current()
    for col, (fmt, (label, mime)) in zip(cols, FORMATS.items(), strict=False):
        col.download_button(_(label), data=partial(file_bytes, report, fmt, lang),
                            file_name=f"shelfaudit-{report.store}-{report.week}.{fmt}",
                            mime=mime, key=f"weekly_report_dl_{fmt}",
                            icon=":material/download:", on_click="ignore")
