"""Overview: the selected week across the user's stores, with the change from last week."""

import streamlit as st

from pipeline.dashboard import frame, loaders
from pipeline.dashboard.formatting import KPI_COLUMN_CONFIG, pct, points, when
from pipeline.queries import operations, overview

st.title("Overview")
week = frame.need_week()
scope = frame.store_scope()

if week:
    now, before = loaders.load(overview.kpi_changes, scope, week)
    st.caption(f"Week {week} · {now.inspections} inspections"
               + (" · all your stores" if frame.store() is None else f" · store {frame.store()}"))
    cols = st.columns(5)
    for col, name in zip(cols, overview.KPI_COLUMNS, strict=False):
        col.metric(overview.KPI_LABELS[name], pct(now.value(name)),
                   points(now.value(name), before.value(name)), border=True)
    cols[4].metric(overview.KPI_LABELS["open_high"], now.open_high,
                   now.open_high - before.open_high if before.inspections else None,
                   delta_color="inverse", border=True,
                   help="High-severity violations in each camera's last photo of the week.")

    left, right = st.columns([3, 2])
    with left:
        st.subheader("Store ranking")
        ranking = loaders.load(overview.store_ranking, scope, week)
        st.dataframe(ranking, hide_index=True, key="overview_ranking",
                     column_config=KPI_COLUMN_CONFIG)
    with right:
        st.subheader("Worst cameras")
        worst = loaders.load(overview.worst_cameras, scope, week)
        st.dataframe(worst, hide_index=True, key="overview_worst",
                     column_config=KPI_COLUMN_CONFIG)

st.subheader("Scheduler")
health = loaders.load(operations.scheduler_health, scope)
cols = st.columns(4)
cols[0].metric("Last run", when(health.last_started),
               f"{health.last_job} · {health.last_status}" if health.last_job else None,
               delta_color="off", border=True)
cols[1].metric("Next run (UTC)", when(health.next_run), border=True)
cols[2].metric("Runs, last 7 days", health.runs_7d, border=True)
cols[3].metric("Failures, last 7 days", health.failures_7d, border=True,
               delta="check the System page" if health.failures_7d else None,
               delta_color="inverse")
if health.running:
    st.info(f"{health.running} job(s) running now.")
