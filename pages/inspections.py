"""Inspections: a filterable list, and one inspection with its annotated photo.

Dates are store-local: the date range filters on each photo's capture day on its store's clock
(the day its ISO week counts it in), and times are shown on that clock with the zone named.

The URL carries the filters and the open inspection (``?inspection=218&camera=s001/c01&rule=...
&severity=high&from=2026-11-09&to=2026-11-09``): other pages link here with them (a chart point,
a ranking row, a worst photo), and a bookmark opens the same view.
"""

from datetime import date, timedelta

import streamlit as st

from pipeline import i18n
from pipeline.catalog import display_name
from pipeline.dashboard import frame, loaders, names, pictures
from pipeline.dashboard.formatting import (
    column_config,
    kpi_card,
    labels_for,
    levels,
    pct,
    severity,
    when,
)
from pipeline.i18n import _, ngettext
from pipeline.kpis import SHORT_LABELS
from pipeline.queries import inspections, pickers
from pipeline.rules.wording import violation_text
from pipeline.weeks import week_start

CURRENT = "inspections_current"
ALL = "(all)"

st.title(_("Inspections"))
scope = frame.store_scope()
week = frame.need_week()


def _open(inspection_id: int | None) -> None:
    """Show ``inspection_id`` (a callback: the picker follows when the list has it)."""
    st.session_state[CURRENT] = inspection_id
    if inspection_id in st.session_state.get("inspections_listed", []):
        st.session_state["inspections_pick"] = inspection_id
    else:
        st.session_state.pop("inspections_pick", None)


def _picked() -> None:
    _open(st.session_state.get("inspections_pick"))


def _row_clicked() -> None:
    rows = st.session_state["inspections_table"]["selection"]["rows"]
    ids = st.session_state.get("inspections_listed", [])
    if rows and rows[0] < len(ids):
        _open(ids[rows[0]])


def _dates_for_week() -> tuple:
    # Streamlit forgets a widget's value when its page is left: set the range again then too.
    stale = st.session_state.get("inspections_week") != week or \
        "inspections_dates" not in st.session_state
    if stale and week:
        start = week_start(week)
        st.session_state["inspections_dates"] = (start, start + timedelta(days=6))
        st.session_state["inspections_week"] = week
    return st.session_state.get("inspections_dates", ())


def _all_or(value: str) -> str:
    return _("(all)") if value == ALL else value


def _day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _from_url(cam_options: list[str], rules: list[str]) -> None:
    """Filters and the open inspection the URL brought (a link from another page, a bookmark)."""
    for name, key, options in (("camera", "inspections_camera", cam_options),
                               ("rule", "inspections_rule", [ALL, *rules]),
                               ("severity", "inspections_severity",
                                [ALL, *pickers.SEVERITIES])):
        asked = frame.url_param(name)
        if asked in options:
            st.session_state[key] = asked
    first, last = _day(frame.url_param("from")), _day(frame.url_param("to"))
    if first or last:
        st.session_state["inspections_dates"] = (first or last, last or first)
        st.session_state["inspections_week"] = week
    asked = frame.url_param("inspection")
    if asked and asked.isdigit():
        _open(int(asked))


def _to_url(flt: inspections.InspectionFilter) -> None:
    start = week_start(week) if week else None
    own_dates = start is not None and (flt.start, flt.end) != (start, start + timedelta(days=6))
    frame.show_in_url({
        "camera": f"{flt.store}/{flt.camera}" if flt.camera else None,
        "rule": flt.rule, "severity": flt.severity,
        "from": flt.start.isoformat() if own_dates and flt.start else None,
        "to": flt.end.isoformat() if own_dates and flt.end else None,
        "inspection": st.session_state.get(CURRENT)})


def _filters() -> inspections.InspectionFilter:
    cams = loaders.cameras(frame.scope(), frame.store())
    rules = loaders.load(pickers.rule_ids, scope)
    c1, c2, c3, c4 = st.columns([2, 2, 2, 1])
    cam_options = [ALL, *[f"{s}/{c}" for s, c in cams]]
    _from_url(cam_options, rules)
    for key, options in (("inspections_camera", cam_options), ("inspections_rule", [ALL, *rules])):
        if st.session_state.get(key) not in options:
            st.session_state.pop(key, None)
    camera = c1.selectbox(_("Camera"), cam_options, key="inspections_camera",
                          format_func=labels_for(cam_options, lambda o: _all_or(o) if o == ALL
                                                 else names.store_camera(o)))
    _dates_for_week()
    dates = c2.date_input(_("Dates (store time)"), key="inspections_dates",
                          format="YYYY-MM-DD",
                          help=_("Days on each store's own clock, as weeks are counted."))
    rule = c3.selectbox(_("Rule broken"), [ALL, *rules], key="inspections_rule",
                        format_func=labels_for([ALL, *rules], _all_or))
    severities = [ALL, *pickers.SEVERITIES]
    sev = c4.selectbox(_("Severity"), severities, key="inspections_severity",
                       format_func=labels_for(severities, lambda s: _all_or(s) if s == ALL
                                              else severity(s)))
    store, cam = camera.split("/", 1) if camera != ALL else (None, None)
    if isinstance(dates, date):  # a range half picked in the calendar
        dates = (dates,)
    start, end = (tuple(dates or ()) + (None, None))[:2]
    return inspections.InspectionFilter(
        store=store, camera=cam, start=start, end=end or start,
        rule=None if rule == ALL else rule, severity=None if sev == ALL else sev)


def _list(flt: inspections.InspectionFilter):
    table = loaders.load(inspections.list_inspections, scope, flt)
    shown = ngettext("{n} inspection", "{n} inspections", len(table)).format(n=len(table))
    st.caption(shown + (" " + _("(newest shown)") if len(table) >= flt.limit else ""))
    ids = [int(i) for i in table["id"]]
    if st.session_state.get(CURRENT) not in ids and ids:
        st.session_state.setdefault(CURRENT, ids[0])
    shown = names.named(table)
    visible = [c for c in shown.columns if c != "captured_at"]
    taken = st.column_config.DatetimeColumn(_("Taken (store time)"), format="YYYY-MM-DD HH:mm")
    st.dataframe(levels(shown), hide_index=True, height=260, column_order=visible,
                 column_config=column_config(visible, captured_local=taken),
                 key="inspections_table", on_select=_row_clicked, selection_mode="single-row")
    st.session_state["inspections_listed"] = ids
    labels = {int(r.id): f"#{r.id} · {r.store}/{names.camera(r.store, r.camera)} · "
              f"{i18n.moment(r.captured_at, r.timezone, weekday=False)} · {pct(r.compliance)}"
              for r in table.itertuples()}
    if ids:
        current = st.session_state.get(CURRENT)
        st.selectbox(_("Open inspection"), ids, key="inspections_pick", on_change=_picked,
                     index=ids.index(current) if current in ids else 0,
                     format_func=lambda i: labels.get(i, f"#{i}"))
    return ids


def _violation_rows(detail) -> None:
    st.markdown("**" + _("Violations ({n})").format(n=len(detail.violations)) + "**")
    if detail.violations.empty:
        st.success(_("No violations on this photo."))
        return
    table = detail.violations[["severity", "rule", "message", "type"]].copy()
    table["severity"] = table["severity"].map(severity)
    table["message"] = [violation_text(r) for r in detail.violations.itertuples()]
    st.dataframe(table, hide_index=True, column_config=column_config(
        table.columns, message=st.column_config.TextColumn(_("Message"), width="large")))


def _photo(detail) -> None:
    layers = st.pills(_("Layers"), list(pictures.LAYERS), selection_mode="multi",
                      default=list(pictures.LAYERS),
                      format_func=labels_for(pictures.LAYERS, lambda k: _(pictures.LAYERS[k])),
                      key="inspections_layers") or []
    options = ["all", "none", *[str(i) for i in detail.violations["id"]]]
    names = {str(r.id): f"[{severity(r.severity)}] {r.rule}: {violation_text(r)}"
             for r in detail.violations.itertuples()}
    names.update({"all": _("All violations"), "none": _("None")})
    focus = st.selectbox(_("Highlight"), options, key="inspections_focus",
                         format_func=labels_for(options, lambda o: names.get(o, o)))
    chosen = detail.violations if focus == "all" else \
        detail.violations[detail.violations["id"].astype(str) == focus]
    evidence = tuple(tuple(b) for ev in chosen["evidence"] for b in
                     inspections.evidence_boxes(ev))
    jpeg, real = pictures.annotated_jpeg(detail.photo_path, detail.detections, evidence,
                                       tuple(layers), detail.width, detail.height)
    st.image(jpeg, width="stretch",
             caption=None if real else _("Photo file not available — boxes drawn on a blank "
                                         "canvas of the photo's size."))
    pictures.legend(layers, violations=not chosen.empty)


def _heading(detail) -> None:
    camera = detail.camera if detail.camera_name in ("", detail.camera) else \
        f"{detail.camera} · {detail.camera_name}"
    st.subheader(f"#{detail.id} · {detail.store}/{camera} · "
                 f"{when(detail.captured_at, detail.timezone)}")
    st.caption(_("Week {week} on the store's clock · {utc}").format(
        week=detail.iso_week, utc=when(detail.captured_at, "UTC")))


def _detail(inspection_id: int) -> None:
    detail = loaders.load(inspections.inspection_detail, inspection_id, scope)
    if detail is None:
        st.warning(_("Inspection #{id} is not one of yours or no longer exists.")
                   .format(id=inspection_id))
        return
    _heading(detail)
    nav = st.columns([1, 1, 6])
    nav[0].button(_("◀ Previous"), key="inspections_prev", disabled=detail.previous_id is None,
                  on_click=_open, args=(detail.previous_id,),
                  help=_("Earlier photo of this camera"))
    nav[1].button(_("Next ▶"), key="inspections_next", disabled=detail.next_id is None,
                  on_click=_open, args=(detail.next_id,), help=_("Later photo of this camera"))
    if detail.out_of_domain:
        st.warning(detail.domain_reason, icon="⚠️")
    left, right = st.columns([3, 2])
    with left:
        _photo(detail)
    with right:
        m = st.columns(2)
        for i, name in enumerate(SHORT_LABELS):
            kpi_card(m[i % 2], _(SHORT_LABELS[name]), detail.kpis[name])
        _violation_rows(detail)
    found = detail.detections.get("detections") or []
    with st.expander(_("Detections ({n})").format(n=len(found))):
        table = inspections.detections_table(detail.detections)
        table.insert(2, "name", [display_name(s) if s else "" for s in table["sku"]])
        st.dataframe(table, hide_index=True, column_config=column_config(table.columns))
    if detail.share_of_shelf:
        shares = sorted(detail.share_of_shelf.items(), key=lambda kv: -kv[1])
        st.caption(_("Share of shelf: {shares}").format(shares=", ".join(
            f"{display_name(b)} {i18n.percent(v, 0)}" for b, v in shares)))


if week:
    flt = _filters()
    ids = _list(flt)
    _to_url(flt)
    current = st.session_state.get(CURRENT)
    if current is not None:
        st.divider()
        _detail(int(current))
    elif not ids:
        st.info(_("No inspections match these filters."))
