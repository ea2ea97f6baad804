"""The Monday job of one store: its weekly report built, exported and saved, with a
``job_runs`` row, and the report's worst photos drawn for the Weekly report page."""

from __future__ import annotations

import logging
import traceback

from pipeline.db import tables
from pipeline.reports.build import make_report
from pipeline.reports.model import WeeklyReport


def weekly_report_job(store: str, week: str, trigger: str = "manual",
                      url: str | None = None) -> dict[str, str]:
    """The scheduled Monday job for one store, with its ``job_runs`` row."""
    from pipeline.inbox.jobs import finish_job_run, start_job_run

    run_id = start_job_run("report", store, trigger, url)
    try:
        report, files = make_report(store, week, url=url)
    except Exception as exc:  # noqa: BLE001 - recorded; the next store's report still runs
        finish_job_run(run_id, tables.ERROR, message=f"{week}: {type(exc).__name__}: {exc}",
                       error=traceback.format_exc(), url=url)
        return {}
    finish_job_run(run_id, tables.OK, counts={"inspections": report.inspections},
                   message=f"{store} {week}: report with {report.inspections} inspections",
                   url=url)
    _draw_worst_photos(report, url)
    return files


def _draw_worst_photos(report: WeeklyReport, url: str | None) -> None:
    """Draw the report's worst photos at the page's size now, so Monday's first visitors of the
    Weekly report page read them from disk (:mod:`pipeline.dashboard.stored_pictures`); a
    failure here is logged and never the report's."""
    try:
        from pipeline.dashboard.pictures import keep_worst_photos

        keep_worst_photos([p.inspection for p in report.worst_photos], url)
    except Exception:  # noqa: BLE001 - the pictures are a convenience, the report is done
        logging.getLogger(__name__).warning("could not draw the worst photos of %s %s",
                                            report.store, report.week, exc_info=True)
