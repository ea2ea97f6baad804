"""Inspections: a filterable list, and one inspection with its annotated photo."""

from datetime import date, timedelta

import streamlit as st

from pipeline.dashboard import frame, loaders, pictures
from pipeline.dashboard.formatting import KPI_COLUMN_CONFIG, pct, when
from pipeline.queries import inspections, pickers
from pipeline.store.calendar import week_start

CURRENT = "inspections_current"
ALL = "(all)"

st.title("Inspections")
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


def _filters() -> inspections.InspectionFilter:
    cams = loaders.cameras(frame.scope(), frame.store())
    rules = loaders.load(pickers.rule_ids, scope)
    c1, c2, c3, c4 = st.columns([2, 2, 2, 1])
    camera = c1.selectbox("Camera", [ALL, *[f"{s}/{c}" for s, c in cams]],
                          key="inspections_camera")
    _dates_for_week()
    dates = c2.date_input("Dates", key="inspections_dates", format="YYYY-MM-DD")
    rule = c3.selectbox("Rule broken", [ALL, *rules], key="inspections_rule")
    severity = c4.selectbox("Severity", [ALL, *pickers.SEVERITIES], key="inspections_severity")
    store, cam = camera.split("/", 1) if camera != ALL else (None, None)
    if isinstance(dates, date):  # a range half picked in the calendar
        dates = (dates,)
    start, end = (tuple(dates or ()) + (None, None))[:2]
    return inspections.InspectionFilter(
        store=store, camera=cam, start=start, end=end or start,
        rule=None if rule == ALL else rule, severity=None if severity == ALL else severity)


def _list(flt: inspections.InspectionFilter):
    table = loaders.load(inspections.list_inspections, scope, flt)
    st.caption(f"{len(table)} inspections" + (" (newest shown)" if len(table) >= flt.limit
                                              else ""))
    ids = [int(i) for i in table["id"]]
    if st.session_state.get(CURRENT) not in ids and ids:
        st.session_state.setdefault(CURRENT, ids[0])
    st.dataframe(table, hide_index=True, height=260, column_config=KPI_COLUMN_CONFIG,
                 key="inspections_table", on_select=_row_clicked,
                 selection_mode="single-row")
    st.session_state["inspections_listed"] = ids
    labels = {int(r.id): f"#{r.id} · {r.store}/{r.camera} · {r.captured_at:%Y-%m-%d %H:%M}"
              f" · {pct(r.compliance)}" for r in table.itertuples()}
    if ids:
        current = st.session_state.get(CURRENT)
        st.selectbox("Open inspection", ids, key="inspections_pick", on_change=_picked,
                     index=ids.index(current) if current in ids else 0,
                     format_func=lambda i: labels.get(i, f"#{i}"))
    return ids


def _violation_rows(detail) -> None:
    st.markdown(f"**Violations ({len(detail.violations)})**")
    if detail.violations.empty:
        st.success("No violations on this photo.")
        return
    st.dataframe(detail.violations[["severity", "rule", "message", "type"]], hide_index=True,
                 column_config={"message": st.column_config.TextColumn(width="large")})


def _photo(detail) -> None:
    layers = st.pills("Layers", list(pictures.LAYERS), selection_mode="multi",
                      default=list(pictures.LAYERS), format_func=pictures.LAYERS.get,
                      key="inspections_layers") or []
    options = ["all", "none", *[str(i) for i in detail.violations["id"]]]
    names = {str(r.id): f"[{r.severity}] {r.rule}: {r.message}"
             for r in detail.violations.itertuples()}
    focus = st.selectbox("Highlight", options, key="inspections_focus",
                         format_func=lambda o: {"all": "All violations", "none": "None"}
                         .get(o, names.get(o, o)))
    chosen = detail.violations if focus == "all" else \
        detail.violations[detail.violations["id"].astype(str) == focus]
    evidence = tuple(tuple(b) for ev in chosen["evidence"] for b in
                     inspections.evidence_boxes(ev))
    jpeg, real = pictures.annotated_jpeg(detail.photo_path, detail.detections, evidence,
                                       tuple(layers), detail.width, detail.height)
    st.image(jpeg, width="stretch",
             caption=None if real else "Photo file not available — boxes drawn on a blank "
                                       "canvas of the photo's size.")


def _detail(inspection_id: int) -> None:
    detail = loaders.load(inspections.inspection_detail, inspection_id, scope)
    if detail is None:
        st.warning(f"Inspection #{inspection_id} is not one of yours or no longer exists.")
        return
    st.subheader(f"#{detail.id} · {detail.store}/{detail.camera} · {when(detail.captured_at)}")
    nav = st.columns([1, 1, 6])
    nav[0].button("◀ Previous", key="inspections_prev", disabled=detail.previous_id is None,
                  on_click=_open, args=(detail.previous_id,), help="Earlier photo of this camera")
    nav[1].button("Next ▶", key="inspections_next", disabled=detail.next_id is None,
                  on_click=_open, args=(detail.next_id,), help="Later photo of this camera")
    if detail.out_of_domain:
        st.warning(detail.domain_reason, icon="⚠️")
    left, right = st.columns([3, 2])
    with left:
        _photo(detail)
    with right:
        m = st.columns(2)
        m[0].metric("Compliance", pct(detail.kpis["compliance"]), border=True)
        m[1].metric("OSA", pct(detail.kpis["osa"]), border=True)
        m[0].metric("Price", pct(detail.kpis["price_compliance"]), border=True)
        m[1].metric("Promo", pct(detail.kpis["promo_compliance"]), border=True)
        _violation_rows(detail)
    with st.expander(f"Detections ({len(detail.detections.get('detections') or [])})"):
        st.dataframe(inspections.detections_table(detail.detections), hide_index=True)
    if detail.share_of_shelf:
        st.caption("Share of shelf: " + ", ".join(
            f"{b} {v:.0f} %" for b, v in sorted(detail.share_of_shelf.items(),
                                                key=lambda kv: -kv[1])))


if week:
    flt = _filters()
    ids = _list(flt)
    current = st.session_state.get(CURRENT)
    if current is not None:
        st.divider()
        _detail(int(current))
    elif not ids:
        st.info("No inspections match these filters.")
