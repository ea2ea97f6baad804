"""Trends: compliance over time per store, rule and brand; OSA; violations; store x week map.

Every week of the range is on the axis, in order: counts are zero in a week without any, KPIs
have a gap there. A click on a point opens its inspections (store, week, rule)."""

from functools import partial

import pandas as pd
import streamlit as st

from pipeline.catalog import display_name
from pipeline.dashboard import charts, clicks, frame, loaders, names
from pipeline.dashboard.formatting import column_config, labels_for, levels, rule_type
from pipeline.i18n import _
from pipeline.kpis import LABELS as KPI_LABELS
from pipeline.kpis import SHORT_LABELS as KPIS
from pipeline.queries import trends
from pipeline.weeks import weeks_between

MAX_LINES = 8  # more stores than this: the group line plus the worst stores
EVERYONE = "all stores"  # the group line's key in the store column

st.title(_("Trends"))
week = frame.need_week()


def _csv_bytes(df) -> bytes:
    return df.to_csv(index=False).encode("utf-8")


def _csv(df, name: str) -> None:
    """A CSV download of ``df``, written only when clicked."""
    st.download_button(_("CSV"), partial(_csv_bytes, df), f"{name}.csv", "text/csv",
                       key=f"trends_csv_{name}", icon=":material/download:", on_click="ignore")


def _range(weeks: list[str]) -> tuple[str, str]:
    ordered = sorted(weeks)
    c1, c2, _rest = st.columns([1, 1, 3])
    if st.session_state.get("trends_first") not in ordered:
        st.session_state["trends_first"] = ordered[max(0, len(ordered) - 12)]
    if st.session_state.get("trends_last") not in ordered:
        st.session_state["trends_last"] = ordered[-1]
    first = c1.selectbox(_("From week"), ordered, key="trends_first")
    last = c2.selectbox(_("To week"), ordered, key="trends_last")
    return (first, last) if first <= last else (last, first)


def _store_lines(per_store, group, kpi: str):
    stores = sorted(per_store["store"].unique())
    if len(stores) <= MAX_LINES:
        return per_store, stores
    means = per_store.groupby("store")[kpi].mean().sort_values()
    worst = list(means.index[: MAX_LINES - 1])
    shown = st.multiselect(_("Stores on the chart"), stores, default=worst, key="trends_stores",
                           help=_("Many stores: the group average and the worst stores are "
                                  "shown"))
    lines = per_store[per_store["store"].isin(shown)]
    everyone = group.assign(store=EVERYONE)[["store", "week", kpi]]
    return pd.concat([lines, everyone], ignore_index=True), shown


def _store_legend(name: str) -> str:
    return _("all stores") if name == EVERYONE else names.store(name)


def _week(point: clicks.Point) -> dict:
    return {"week": point.get("x")}


def _store_week(point: clicks.Point) -> dict:
    store = point.group if point.group != EVERYONE else None
    return {"week": point.get("x"), **({"store": store} if store else {})}


if week:
    weeks = loaders.weeks(frame.scope())
    first, last = _range(weeks)
    scope = frame.store_scope()
    kpi = st.segmented_control(_("KPI"), list(KPIS),
                               format_func=labels_for(KPIS, lambda k: _(KPIS[k])),
                               default="compliance", key="trends_kpi") or "compliance"
    per_store = loaders.load(trends.store_weeks, scope, first, last)
    group = trends.group_weeks(per_store)
    span = (scope, first, last)  # what every chart's data comes from (charts: loaders.figure)
    order = weeks_between(first, last)  # every week on the axis, in order

    st.subheader(_("{kpi} per store").format(kpi=_(KPI_LABELS[kpi])))
    st.caption(_("Click a point to open its inspections."))
    lines, shown = _store_lines(per_store, group, kpi)
    clicks.chart(loaders.figure(("trends_store", *span, kpi, tuple(shown)), lambda: charts.lines(
        lines, "week", kpi, color="store", legend=_store_legend, order=order)),
        "trends_store_chart", _store_week)
    _csv(per_store, "kpis-per-store-week")

    left, right = st.columns(2)
    with left:
        st.subheader(_("On-shelf availability"))
        clicks.chart(loaders.figure(("trends_osa", *span), lambda: charts.lines(
            group, "week", ["osa", "compliance"], legend=lambda k: _(KPIS[k]), order=order)),
            "trends_osa", _week)
        _csv(group, "kpis-per-week")
    rules = loaders.load(trends.rule_weeks, scope, first, last)
    with right:
        st.subheader(_("Violations by type"))
        types = trends.type_weeks(rules)
        clicks.chart(loaders.figure(("trends_types", *span), lambda: charts.bars(
            types, "week", "violations", color="type", legend=rule_type, order=order)),
            "trends_types", _week)
        _csv(types, "violations-per-type-week")

    left, right = st.columns(2)
    with left:
        st.subheader(_("Violations per rule"))
        clicks.chart(loaders.figure(("trends_rules", *span), lambda: charts.lines(
            rules.groupby(["week", "rule"], as_index=False)["violations"].sum(), "week",
            "violations", color="rule", percent=False, order=order, fill=0)),
            "trends_rules", lambda p: {"week": p.get("x"), "rule": p.group})
        _csv(rules, "violations-per-rule-week")
    with right:
        st.subheader(_("Share of shelf by brand"))
        brands = loaders.load(trends.brand_weeks, scope, first, last)
        clicks.chart(loaders.figure(("trends_brands", *span), lambda: charts.lines(
            brands, "week", "share", color="brand", legend=display_name, order=order)),
            "trends_brands", _week)
        _csv(brands, "share-of-shelf-per-brand-week")

    st.subheader(_("{kpi}: store × week").format(kpi=_(KPI_LABELS[kpi])))
    if not per_store.empty:
        st.caption(_("Colours fitted to the figures shown: red is the lowest here, green the "
                     "highest."))
        clicks.chart(loaders.figure(("trends_heatmap", *span, kpi), lambda: charts.heatmap(
            per_store, "week", "store", kpi, label=_(KPIS[kpi]), order=order,
            names=names.store)), "trends_heatmap",
            lambda p: {"store": p.get("y"), "week": p.get("x")})
    table = names.named(per_store)
    st.dataframe(levels(table), hide_index=True, height=240, key="trends_table",
                 column_config=column_config(table.columns))
