"""Weekly report: one store and week, with charts, the worst photos and downloads."""

import streamlit as st

from pipeline.dashboard import charts, exports, frame, loaders, pictures
from pipeline.dashboard.formatting import KPI_COLUMN_CONFIG, pct, points, when
from pipeline.queries import inspections, overview, weekly

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


def _kpis(report: weekly.WeeklyReport) -> None:
    cols = st.columns(5)
    for col, name in zip(cols, overview.KPI_COLUMNS, strict=False):
        col.metric(overview.KPI_LABELS[name], pct(report.kpis.value(name)),
                   points(report.kpis.value(name), report.previous.value(name)), border=True)
    cols[4].metric("Inspections", report.kpis.inspections,
                   report.kpis.inspections - report.previous.inspections
                   if report.previous.inspections else None, delta_color="off", border=True)


def _charts(report: weekly.WeeklyReport) -> None:
    left, right = st.columns(2)
    with left:
        if not report.daily.empty:
            st.plotly_chart(charts.lines(report.daily, "day", ["compliance", "osa"],
                                         title="Day by day"), key="weekly_report_daily")
        if not report.share_of_shelf.empty:
            st.plotly_chart(charts.bars(report.share_of_shelf, "brand", "share",
                                        title="Share of shelf by brand", horizontal=True,
                                        percent=True), key="weekly_report_share")
    with right:
        if not report.by_rule.empty:
            st.plotly_chart(charts.bars(report.by_rule, "rule", "violations", color="severity",
                                        title="Violations by rule", horizontal=True),
                            key="weekly_report_rules")
        st.markdown("**Cameras**")
        st.dataframe(report.cameras, hide_index=True, column_config=KPI_COLUMN_CONFIG)
    st.markdown("**Top recurring problems**")
    if report.recurring.empty:
        st.success("No violations this week.")
    else:
        st.dataframe(report.recurring, hide_index=True,
                     column_config={"days": st.column_config.NumberColumn("Days seen")})


def _worst_photos(report: weekly.WeeklyReport, scope) -> None:
    st.markdown("**Worst photos**")
    cols = st.columns(max(len(report.worst), 1))
    for col, row in zip(cols, report.worst.itertuples(), strict=False):
        detail = loaders.load(inspections.inspection_detail, int(row.id), scope)
        if detail is None:
            continue
        boxes = tuple(tuple(b) for ev in detail.violations["evidence"]
                      for b in inspections.evidence_boxes(ev))
        jpeg, _ = pictures.annotated_jpeg(detail.photo_path, detail.detections, boxes,
                                        tuple(pictures.LAYERS), detail.width, detail.height,
                                        max_side=640)
        col.image(jpeg, caption=f"#{row.id} · {row.camera} · {row.captured_at:%a %H:%M} · "
                               f"{pct(row.compliance)} · {row.violations} violations")


store = _store() if week else None
if week and store:
    scope = frame.scope()
    report = loaders.load(weekly.weekly_report, store, week, scope)
    st.caption(f"Store **{store}** · week **{week}** · "
               + (f"report saved {when(report.generated_at)}" if report.generated_at
                  else "live figures (the weekly report job has not saved this week yet)"))
    if report.kpis.inspections == 0:
        st.info(f"No inspections for {store} in {week}.")
    else:
        _kpis(report)
        exports.download_buttons(store, week, scope, report)
        _charts(report)
        _worst_photos(report, scope)
