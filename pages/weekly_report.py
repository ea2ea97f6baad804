"""Weekly report: one store and week, with charts, the worst photos and downloads.

Everything drawn here comes from one :class:`~pipeline.reports.model.WeeklyReport`, the
object the CSV, Excel and PDF downloads are written from (in the reader's language). A day of
the daily chart, a rule, a camera, a recurring problem or a worst photo opens its inspections.
"""

import pandas as pd
import streamlit as st

from pipeline import kpis
from pipeline.catalog import display_name
from pipeline.dashboard import charts, clicks, exports, frame, loaders, names, pictures
from pipeline.dashboard.formatting import column_config, kpi_card, levels, severity, when
from pipeline.i18n import _
from pipeline.queries import weekly
from pipeline.reports import format as fmt
from pipeline.reports.model import WeeklyReport

st.title(_("Weekly report"))
week = frame.need_week()


def _store() -> str | None:
    if frame.store():
        return frame.store()
    stores = loaders.stores(frame.scope())
    if not stores:
        return None
    names = dict(stores)
    return st.selectbox(_("Store"), list(names), key="weekly_report_store",
                        format_func=lambda s: f"{s} · {names[s]}" if names[s] != s else s)


def _kpis(report: WeeklyReport) -> None:
    cols = st.columns(len(kpis.NAMES) + 1)
    for col, name in zip(cols, kpis.NAMES, strict=False):
        delta = report.change[name]
        kpi_card(col, _(kpis.LABELS[name]), report.kpis[name],
                 None if delta is None else fmt.change(delta))
    cols[-1].metric(_("Inspections"), report.inspections,
                    report.inspections - report.previous_inspections
                    if report.previous_inspections else None, delta_color="off", border=True)


def _tables(report: WeeklyReport) -> dict[str, pd.DataFrame]:
    return {
        "daily": pd.DataFrame([d.flat("day") for d in report.daily]),
        "share": pd.DataFrame(list(report.share_of_shelf.items()), columns=["brand", "share"]),
        "rules": pd.DataFrame([{"rule": r.rule, "severity": r.severity, "violations": r.count}
                               for r in report.violations.by_rule]),
        "cameras": pd.DataFrame([c.flat("camera") for c in report.cameras]),
        "problems": pd.DataFrame([{"rule": p.rule, "camera": p.camera, "days": p.days,
                                   "violations": p.count, "example": p.example_text()}
                                  for p in report.top_problems]),
    }


def _charts(report: WeeklyReport, scope) -> None:
    t = _tables(report)
    key = (report.store, report.week, scope)  # the report's loader call (charts are shared)
    left, right = st.columns(2)
    with left:
        if not t["daily"].empty:
            clicks.chart(loaders.figure(("weekly_daily", *key), lambda: charts.lines(
                t["daily"], "day", ["compliance", "osa"], title=_("Day by day (store time)"),
                legend=lambda k: _(kpis.SHORT_LABELS[k]))), "weekly_report_daily",
                lambda p: {"store": report.store, "from": str(p.get("x"))[:10],
                           "to": str(p.get("x"))[:10]})
        if not t["share"].empty:
            st.plotly_chart(loaders.figure(("weekly_share", *key), lambda: charts.bars(
                t["share"], "brand", "share",
                title=_("Share of shelf by brand (percent of recognised facings)"),
                horizontal=True, percent=True, names=display_name)),
                key="weekly_report_share")
    with right:
        if not t["rules"].empty:
            clicks.chart(loaders.figure(("weekly_rules", *key), lambda: charts.bars(
                t["rules"], "rule", "violations", color="severity",
                title=_("Violations by rule"), horizontal=True, legend=severity)),
                "weekly_report_rules", lambda p: {"store": report.store, "rule": p.get("y")})
        st.markdown("**" + _("Cameras") + "**")
        cameras = t["cameras"]
        clicks.table(levels(names.with_camera_names(cameras, report.store)),
                     "weekly_report_cameras",
                     lambda row: {"store": report.store,
                                  "camera": f"{report.store}/{cameras['camera'].iloc[row]}"},
                     hide_index=True, column_config=column_config())
    st.markdown("**" + _("Top recurring problems") + "**")
    if t["problems"].empty:
        st.success(_("No violations this week."))
    else:
        problems = t["problems"]
        clicks.table(names.with_camera_names(problems, report.store), "weekly_report_problems",
                     lambda row: {"store": report.store, "rule": problems["rule"].iloc[row],
                                  "camera": f"{report.store}/{problems['camera'].iloc[row]}"},
                     hide_index=True, column_config=column_config())
    st.caption(_("Click a day, a rule or a row to open its inspections."))


def _worst_photos(report: WeeklyReport, scope) -> None:
    st.markdown("**" + _("Worst photos") + "**")
    cols = st.columns(max(len(report.worst_photos), 1))
    for col, photo in zip(cols, report.worst_photos, strict=False):
        jpeg = pictures.inspection_jpeg(photo.inspection, scope, pictures.WORST_SIDE)
        if jpeg is not None:
            col.image(jpeg, caption=fmt.photo_caption(photo))
        col.page_link(clicks.INSPECTIONS, label=_("Open inspection #{id}").format(
            id=photo.inspection), icon=":material/open_in_new:", query_params={
            "store": report.store, "week": report.week, "inspection": photo.inspection})
    if report.worst_photos:
        pictures.legend()


store = _store() if week else None
if week and store:
    scope = frame.scope()
    report = loaders.load(weekly.weekly_report, store, week, scope)
    saved = loaders.load(weekly.saved_at, store, week, scope)
    status = _("report saved {when}").format(when=when(saved, frame.zone_of(store))) if saved \
        else _("live figures (the weekly report job has not saved this week yet)")
    st.caption(_("Store **{store}** · week **{week}** ({start} – {end}, store time) · "
                 "{status}").format(store=store, week=week, start=report.week_start,
                                    end=report.week_end, status=status))
    if report.inspections == 0:
        st.info(_("No inspections for {store} in {week}.").format(store=store, week=week))
    else:
        if report.not_judged_note:
            st.warning(report.not_judged_note, icon="⚠️")
        _kpis(report)
        exports.download_buttons(scope, report)
        _charts(report, scope)
        _worst_photos(report, scope)
