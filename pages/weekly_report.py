"""Weekly report: one store and week, with charts, the worst photos and downloads.

Everything drawn here comes from one :class:`~pipeline.store.report_model.WeeklyReport`, the
object the CSV, Excel and PDF downloads are written from.
"""

import pandas as pd
import streamlit as st

from pipeline import kpis
from pipeline.dashboard import charts, exports, frame, loaders, pictures
from pipeline.dashboard.formatting import KPI_COLUMN_CONFIG, when
from pipeline.queries import inspections, weekly
from pipeline.store import report_format as fmt
from pipeline.store.report_model import WeeklyReport

st.title("Weekly report")
week = frame.need_week()


def _store() -> str | None:
    if frame.store():
        return frame.store()
    stores = loaders.stores(frame.scope())
    if not stores:
        return None
    names = dict(stores)
    return st.selectbox("Store", list(names), key="weekly_report_store",
                        format_func=lambda s: f"{s} · {names[s]}" if names[s] != s else s)


def _kpis(report: WeeklyReport) -> None:
    cols = st.columns(len(kpis.NAMES) + 1)
    for col, name in zip(cols, kpis.NAMES, strict=False):
        delta = report.change[name]
        col.metric(kpis.LABELS[name], fmt.percent(report.kpis[name]),
                   None if delta is None else fmt.change(delta), border=True)
    cols[-1].metric("Inspections", report.inspections,
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
                                   "violations": p.count, "example": p.example}
                                  for p in report.top_problems]),
    }


def _charts(report: WeeklyReport) -> None:
    t = _tables(report)
    left, right = st.columns(2)
    with left:
        if not t["daily"].empty:
            st.plotly_chart(charts.lines(t["daily"], "day", ["compliance", "osa"],
                                         title="Day by day"), key="weekly_report_daily")
        if not t["share"].empty:
            st.plotly_chart(charts.bars(t["share"], "brand", "share",
                                        title="Share of shelf by brand (% of recognised facings)",
                                        horizontal=True, percent=True),
                            key="weekly_report_share")
    with right:
        if not t["rules"].empty:
            st.plotly_chart(charts.bars(t["rules"], "rule", "violations", color="severity",
                                        title="Violations by rule", horizontal=True),
                            key="weekly_report_rules")
        st.markdown("**Cameras**")
        st.dataframe(t["cameras"], hide_index=True, column_config=KPI_COLUMN_CONFIG)
    st.markdown("**Top recurring problems**")
    if t["problems"].empty:
        st.success("No violations this week.")
    else:
        st.dataframe(t["problems"], hide_index=True,
                     column_config={"days": st.column_config.NumberColumn("Days seen")})


def _worst_photos(report: WeeklyReport, scope) -> None:
    st.markdown("**Worst photos**")
    cols = st.columns(max(len(report.worst_photos), 1))
    for col, photo in zip(cols, report.worst_photos, strict=False):
        detail = loaders.load(inspections.inspection_detail, photo.inspection, scope)
        if detail is None:
            continue
        boxes = tuple(tuple(b) for ev in detail.violations["evidence"]
                      for b in inspections.evidence_boxes(ev))
        jpeg, _ = pictures.annotated_jpeg(detail.photo_path, detail.detections, boxes,
                                        tuple(pictures.LAYERS), detail.width, detail.height,
                                        max_side=640)
        col.image(jpeg, caption=fmt.photo_caption(photo))


store = _store() if week else None
if week and store:
    scope = frame.scope()
    report = loaders.load(weekly.weekly_report, store, week, scope)
    saved = loaders.load(weekly.saved_at, store, week, scope)
    st.caption(f"Store **{store}** · week **{week}** · "
               + (f"report saved {when(saved)}" if saved
                  else "live figures (the weekly report job has not saved this week yet)"))
    if report.inspections == 0:
        st.info(f"No inspections for {store} in {week}.")
    else:
        if report.not_judged_note:
            st.warning(report.not_judged_note, icon="⚠️")
        _kpis(report)
        exports.download_buttons(scope, report)
        _charts(report)
        _worst_photos(report, scope)
