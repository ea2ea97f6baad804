"""Overview: the selected week across the user's stores, with the change from last week."""

import streamlit as st

from pipeline.dashboard import frame, loaders
from pipeline.dashboard.formatting import KPI_COLUMN_CONFIG, pct, points, relative, when
from pipeline.queries import operations, overview

st.title("Overview")
week = frame.need_week()
scope = frame.store_scope()


def _kpis(week: str) -> None:
    now, before = loaders.load(overview.kpi_changes, scope, week)
    st.caption(f"Week {week} · {now.inspections} inspections · "
               + ("all your stores" if frame.store() is None else f"store {frame.store()}"))
    cols = st.columns(5)
    for col, name in zip(cols, overview.KPI_COLUMNS, strict=False):
        col.metric(overview.KPI_LABELS[name], pct(now.value(name)),
                   points(now.value(name), before.value(name)), border=True)
    cols[4].metric(overview.KPI_LABELS["open_high"], now.open_high,
                   now.open_high - before.open_high if before.inspections else None,
                   delta_color="inverse", border=True,
                   help="High-severity violations on each camera's last photo of the week: "
                        "what is still wrong on the shelf.")


def _scheduler() -> None:
    st.subheader("Scheduler")
    health = loaders.load(operations.scheduler_health, scope)
    ok = ":green-badge[ok]" if health.healthy else ":red-badge[failures]"
    with st.container(border=True):
        st.markdown(
            f"{ok} **Last run** {relative(health.last_started)}"
            + (f" — {health.last_job} · {health.last_status}" if health.last_job else "")
            + f"  \n:material/schedule: **Next run** {relative(health.next_run)}"
            + f"  \n:material/history: **Runs, last 7 days** {health.runs_7d}"
            + f"  \n:material/error: **Failures, last 7 days** {health.failures_7d}",
            help=f"Last run {when(health.last_started)} UTC, next run "
                 f"{when(health.next_run)} UTC. Details on the System page.")
        if health.running:
            st.info(f"{health.running} job(s) running now.")


if week:
    _kpis(week)
    st.subheader("Store ranking")
    st.dataframe(loaders.load(overview.store_ranking, scope, week), hide_index=True,
                 column_config=KPI_COLUMN_CONFIG, height="auto")
    left, right = st.columns([3, 2])
    with left:
        st.subheader("Worst cameras")
        st.dataframe(loaders.load(overview.worst_cameras, scope, week), hide_index=True,
                     column_config=KPI_COLUMN_CONFIG)
    with right:
        _scheduler()
else:
    _scheduler()
