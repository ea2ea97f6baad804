"""Today's fixes: what to put right on each camera's shelf now (its latest photo), numbered on
the photo and in the list, with "done" / "not a problem" marks and each rule's precision."""

import streamlit as st

from pipeline.access.roles import ANY_STORE, can
from pipeline.access.scope import ScopeError
from pipeline.actions import fix_marks
from pipeline.catalog import display_name
from pipeline.dashboard import frame, loaders, pictures
from pipeline.dashboard.auth import as_text
from pipeline.dashboard.formatting import (
    column_config,
    labels_for,
    percent_column,
    relative,
    rule_type,
    severity_badge,
    when,
)
from pipeline.i18n import _, ngettext
from pipeline.queries import fixes
from pipeline.rules.wording import violation_text

CAMERA = "fixes_camera"
NOTE = "fixes_note"

st.title(_("Today's fixes"))
scope = frame.store_scope()
st.caption(_("What is wrong on each camera's latest photo, the most severe first. Mark each one "
             "done when the shelf is put right, or not a problem when the rule was wrong: the "
             "mark is kept with your name and counts towards the rule's precision."))


def _mark(violation_id: int, verdict: str | None) -> None:
    """Record (or, with ``verdict=None``, take back) a mark; a callback."""
    try:
        if verdict is None:
            fix_marks.clear_feedback(violation_id, frame.scope())
        else:
            fix_marks.record_feedback(violation_id, verdict, frame.scope())
    except ScopeError as exc:
        st.session_state[NOTE] = str(exc)
    loaders.refresh()


def _key(store: str, camera: str) -> str:
    return f"{store}/{camera}"


def _row_clicked() -> None:
    rows = st.session_state["fixes_table"]["selection"]["rows"]
    keys = st.session_state.get("fixes_listed", [])
    if rows and rows[0] < len(keys):
        st.session_state[CAMERA] = keys[rows[0]]


def _summary() -> list[str]:
    """The cameras table (worst first) and the camera picker; the picked camera's key."""
    summary = loaders.load(fixes.camera_summary, scope)
    if summary.empty:
        st.info(_("No cameras in your stores yet."))
        return []
    keys = [_key(s, c) for s, c in zip(summary["store"], summary["camera"], strict=True)]
    table = summary[["store", "camera", "camera_name", "open", "high", "marked"]].copy()
    table.insert(3, "taken", [when(t, z) if t is not None and t == t else "–" for t, z in
                              zip(summary["captured_at"], summary["timezone"], strict=True)])
    number = st.column_config.NumberColumn
    st.session_state["fixes_listed"] = keys
    st.dataframe(table, hide_index=True, key="fixes_table", on_select=_row_clicked,
                 selection_mode="single-row", column_config=column_config(
                     table.columns, camera_name=st.column_config.Column(_("Camera name")),
                     taken=st.column_config.Column(_("Latest photo (store time)")),
                     open=number(_("Open")), high=number(_("High severity")),
                     marked=number(_("Marked"))))
    names = {k: f"{k} · {n}" if n != c else k for k, n, c in
             zip(keys, summary["camera_name"], summary["camera"], strict=True)}
    if st.session_state.get(CAMERA) not in keys:
        st.session_state[CAMERA] = keys[0]
    return [st.selectbox(_("Camera"), keys, key=CAMERA,
                         format_func=labels_for(keys, lambda k: names[k]))]


def _photo(found: fixes.CameraFixes) -> None:
    markers = tuple((str(f.number), b) for f in found.fixes for b in f.boxes)
    jpeg, real = pictures.annotated_jpeg(found.photo_path, found.detections, (), (),
                                         found.width, found.height, markers=markers)
    st.image(jpeg, width="stretch",
             caption=None if real else _("Photo file not available — boxes drawn on a blank "
                                         "canvas of the photo's size."))
    pictures.legend(layers=(), violations=True)


def _title(fix: fixes.Fix) -> str:
    words = [f"**{fix.number}**", severity_badge(fix.severity), f"**{rule_type(fix.type)}**"]
    if fix.sku and fix.sku != "unknown":
        words.append("· " + as_text(display_name(fix.sku)))
    return " ".join(w for w in words if w)


def _one(fix: fixes.Fix, crop: bytes | None, can_mark: bool) -> None:
    with st.container(border=True):
        left, right = st.columns([1, 2])
        if crop:
            left.image(crop, width="stretch")
        else:
            left.caption(_("Whole photo"))
        right.markdown(_title(fix))
        right.caption(f"{as_text(fix.rule)}: {as_text(violation_text(fix))}")
        b1, b2 = right.columns(2)
        help_ = None if can_mark else _("Your role may look at fixes but not mark them.")
        b1.button(_("Done"), key=f"fixes_done_{fix.violation_id}", icon=":material/check:",
                  on_click=_mark, args=(fix.violation_id, fixes.DONE), disabled=not can_mark,
                  help=help_, width="stretch")
        b2.button(_("Not a problem"), key=f"fixes_wrong_{fix.violation_id}",
                  icon=":material/block:", on_click=_mark,
                  args=(fix.violation_id, fixes.NOT_A_PROBLEM), disabled=not can_mark,
                  help=help_, width="stretch")


def _shelf_title(shelf: int | None) -> str:
    return _("Shelf {n} (from the top)").format(n=shelf) if shelf is not None else \
        _("Whole photo")


def _list(found: fixes.CameraFixes) -> None:
    shown = found.fixes
    st.markdown("**" + ngettext("{n} to fix", "{n} to fix", len(shown)).format(n=len(shown))
                + "**")
    if not shown:
        st.success(_("Nothing left to fix on this photo."))
    crops = pictures.crops_jpeg(found.photo_path, tuple(f.boxes for f in shown),
                                found.width, found.height)
    crop_of = {f.violation_id: c for f, c in zip(shown, crops, strict=True)}
    can_mark = can(frame.scope(), "mark_fixes", ANY_STORE)
    for group in found.shelves:
        st.markdown("##### " + _shelf_title(group.shelf))
        for fix in group.fixes:
            _one(fix, crop_of.get(fix.violation_id), can_mark)
    if found.marked:
        with st.expander(ngettext("{n} marked", "{n} marked", len(found.marked))
                         .format(n=len(found.marked))):
            for fix in found.marked:
                said = _("done") if fix.verdict == fixes.DONE else _("not a problem")
                st.markdown(_("**{number}** {rule}: {verdict} — {who}, {at}").format(
                    number=fix.number, rule=as_text(fix.rule), verdict=said,
                    who=as_text(fix.marked_by), at=when(fix.marked_at, found.timezone)))
                st.button(_("Undo"), key=f"fixes_undo_{fix.violation_id}", on_click=_mark,
                          args=(fix.violation_id, None), disabled=not can_mark)


def _camera(key: str) -> None:
    store, camera = key.split("/", 1)
    found = loaders.load(fixes.camera_fixes, scope, store, camera)
    if found is None:
        st.info(_("No photo from this camera yet."))
        return
    st.subheader(f"{found.store} · {found.store_name} / {found.camera} · {found.camera_name}")
    st.caption(_("Latest photo {when} ({ago}) · inspection #{id}").format(
        when=when(found.captured_at, found.timezone), ago=relative(found.captured_at),
        id=found.inspection_id))
    left, right = st.columns([3, 2])
    with left:
        _photo(found)
    with right:
        _list(found)


def _precision() -> None:
    st.subheader(_("How often each rule was right"))
    st.caption(_("Of the violations people marked, the share that was done (a real problem) "
                 "rather than not a problem. Rules with low precision need a look."))
    table = loaders.load(fixes.rule_precision, scope)
    if table.empty:
        st.caption(_("No marks yet."))
        return
    table = table.copy()
    table["type"] = table["type"].map(rule_type)
    number = st.column_config.NumberColumn
    st.dataframe(table, hide_index=True, column_config=column_config(
        table.columns, done=number(_("Done")), not_a_problem=number(_("Not a problem")),
        marked=number(_("Marked")), precision=percent_column(_("Precision"))))


if NOTE in st.session_state:
    st.warning(st.session_state.pop(NOTE))
picked = _summary()
if picked:
    st.divider()
    _camera(picked[0])
st.divider()
_precision()
