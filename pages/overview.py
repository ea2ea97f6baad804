"""Overview: the selected week across the user's stores, with the change from last week.

KPI cards and table cells are coloured by level (green, amber, red: ``pipeline.kpis``); a row of
the store ranking or of the worst cameras opens its inspections."""

import streamlit as st

from pipeline.dashboard import clicks, demo_status, frame, loaders, names
from pipeline.dashboard.formatting import (
    JOB_LABELS,
    STATUS_LABELS,
    column_config,
    kpi_card,
    levels,
    points,
    relative,
    when,
    word,
)
from pipeline.i18n import _, ngettext
from pipeline.queries import fixes, operations, overview

st.title(_("Overview"))
building = demo_status.show(have_data=frame.week() is not None)  # first start: demo history
week = frame.week() if building else frame.need_week()
scope = frame.store_scope()


def _fixes_link() -> None:
    """What to fix now (each camera's latest photo), linked to Today's fixes (not drawn for
    someone who sees no store: there is no such page for them)."""
    if scope.stores is not None and not scope.stores:
        return
    open_, high = loaders.load(fixes.open_fix_count, scope)
    label = ngettext("Today's fixes: {n} to fix on the latest photos ({high} high severity)",
                     "Today's fixes: {n} to fix on the latest photos ({high} high severity)",
                     open_).format(n=open_, high=high)
    st.page_link("pages/fixes.py", label=label, icon=":material/construction:")


def _kpis(week: str) -> None:
    now, before = loaders.load(overview.kpi_changes, scope, week)
    where = _("all your stores") if frame.store() is None else \
        _("store {store}").format(store=frame.store())
    st.caption(ngettext("Week {week} · {n} inspection · {where}",
                        "Week {week} · {n} inspections · {where}", now.inspections)
               .format(week=week, n=now.inspections, where=where))
    cols = st.columns(5)
    for col, name in zip(cols, overview.KPI_COLUMNS, strict=False):
        kpi_card(col, _(overview.KPI_LABELS[name]), now.value(name),
                 points(now.value(name), before.value(name)))
    cols[4].metric(_(overview.KPI_LABELS["open_high"]), now.open_high,
                   now.open_high - before.open_high if before.inspections else None,
                   delta_color="inverse", border=True,
                   help=_("High-severity violations on each camera's last photo of the week: "
                          "what is still wrong on the shelf."))


def _ranking(week: str) -> None:
    st.subheader(_("Store ranking"))
    ranking = loaders.load(overview.store_ranking, scope, week)
    clicks.table(levels(ranking), "overview_ranking",
                 lambda row: {"store": ranking["store"].iloc[row]} if row < len(ranking)
                 else None, hide_index=True, column_config=column_config(), height="auto")
    st.caption(_("Pick a row to open its inspections of the week."))


def _worst_cameras(week: str) -> None:
    st.subheader(_("Worst cameras"))
    cameras = loaders.load(overview.worst_cameras, scope, week)
    clicks.table(levels(names.named(cameras)), "overview_cameras",
                 lambda row: {"camera": f"{cameras['store'].iloc[row]}/"
                                        f"{cameras['camera'].iloc[row]}"}
                 if row < len(cameras) else None,
                 hide_index=True, column_config=column_config())


def _scheduler() -> None:
    st.subheader(_("Scheduler"))
    health = loaders.load(operations.scheduler_health, scope)
    ok = ":green-badge[" + _("ok") + "]" if health.healthy else \
        ":red-badge[" + _("failures") + "]"
    last = ""
    if health.last_job:
        last = f" — {word(JOB_LABELS, health.last_job)} · {word(STATUS_LABELS, health.last_status)}"
    tz = frame.clock()
    lines = [
        (ok, _("Last run"), relative(health.last_started) + last),
        (":material/schedule:", _("Next run"), relative(health.next_run)),
        (":material/history:", _("Runs, last 7 days"), health.runs_7d),
        (":material/error:", _("Failures, last 7 days"), health.failures_7d),
    ]
    with st.container(border=True):
        st.markdown(
            "  \n".join(f"{mark} **{label}** {value}" for mark, label, value in lines),
            help=_("Last run {last}, next run {next}. Details on the System page.").format(
                last=when(health.last_started, tz), next=when(health.next_run, tz)))
        if health.running:
            st.info(ngettext("{n} job running now.", "{n} jobs running now.", health.running)
                    .format(n=health.running))


_fixes_link()
if week:
    _kpis(week)
    _ranking(week)
    left, right = st.columns([3, 2])
    with left:
        _worst_cameras(week)
    with right:
        _scheduler()
else:
    _scheduler()
