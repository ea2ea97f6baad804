"""Upload: inspect shelf photos now, see what is wrong within seconds, save as an inspection.

The camera is required: the photo is first compared with that camera's usual view and judged
by its planogram only when it shows that shelf (:mod:`pipeline.actions.camera_views`). The
verdict reads by rule and shelf with counts. Saved uploads are listed below, where they can be
excluded from the figures, counted again or deleted (:mod:`pipeline.queries.saved_uploads`).
"""

import streamlit as st

from pipeline import i18n
from pipeline.access.roles import ANY_STORE, can
from pipeline.access.scope import ScopeError
from pipeline.actions import camera_views, upload_exclusions, uploads
from pipeline.dashboard import frame, loaders, models, pictures
from pipeline.dashboard.auth import as_text
from pipeline.dashboard.formatting import (
    column_config,
    labels_for,
    pct,
    rule_type,
    severity_badge,
    when,
)
from pipeline.errors import ShelfAuditError
from pipeline.i18n import _, ngettext
from pipeline.kpis import SHORT_LABELS
from pipeline.queries import saved_uploads
from pipeline.queries.upload_verdicts import group_violations
from pipeline.rules.wording import violation_text
from pipeline.vision.domain_reasons import domain_reason_text

RESULTS = "upload_results"
NOTE = "upload_note"

st.title(_("Upload"))
scope = frame.scope()
st.caption(_("JPEG, PNG or WebP, up to {mb} MB each. Photos are checked by their content, "
             "turned upright by their EXIF orientation, kept as a clean copy without metadata, "
             "and judged by the rules of the store and camera you pick.").format(mb=uploads.MAX_MB))


def _cameras(store: str) -> list[str]:
    if store == uploads.ADHOC:
        return [uploads.ADHOC]
    try:
        return list(loaders.store_cameras(store)) or [uploads.ADHOC]
    except ShelfAuditError:
        return [c for _store, c in loaders.cameras(scope, store)] or [uploads.ADHOC]


def _place(value: str) -> str:
    return _("ad hoc (no store)") if value == uploads.ADHOC else value


def _where() -> tuple[str | None, str | None]:
    stores = [s for s, _ in loaders.stores(scope)]
    if frame.store() in stores:
        st.session_state.setdefault("upload_store", frame.store())
    c1, c2 = st.columns(2)
    places = [*stores, uploads.ADHOC]
    store = c1.selectbox(_("Store"), places, key="upload_store",
                         format_func=labels_for(places, _place))
    cameras = _cameras(store)
    adhoc = store == uploads.ADHOC
    camera = c2.selectbox(_("Camera"), cameras, key="upload_camera", index=0 if adhoc else None,
                          format_func=labels_for(cameras, _place), disabled=adhoc,
                          placeholder=_("Choose the camera whose shelf the photo shows"))
    if not adhoc and camera is None:
        st.caption(_("Pick a camera: the photo is compared with its usual view, then judged by "
                     "its planogram and rules."))
    return (None, None) if adhoc else (store, camera)


def _run(files, store: str | None, camera: str | None) -> None:
    bar = st.progress(0.0, text=_("Reading the photos…"))
    try:  # check, decode, clean copy without metadata; refusals are audited
        decoded = [uploads.receive(f.name, f.getvalue(), scope, store) for f in files]
    except ShelfAuditError as exc:
        bar.empty()
        st.error(str(exc))
        return
    try:
        inspector = models.inspector()
        rules = uploads.rules_for(store, loaders.context())
    except Exception as exc:  # noqa: BLE001 - a missing model or a broken rule file: say so
        bar.empty()
        st.error(_("Cannot inspect now: {reason}").format(reason=exc))
        return

    def progress(done: int, total: int, name: str) -> None:
        bar.progress(done / max(total, 1),
                     text=_("Inspecting {name} ({n} of {total})…").format(
                         name=name, n=done + 1, total=total) if name else _("Done"))

    if store:
        bar.progress(0.0, text=_("Comparing with camera {camera}'s usual view…").format(
            camera=camera))
    try:  # judged only when it shows the camera's shelf
        views = camera_views.judge_uploads(decoded, store, camera, scope, inspector, rules,
                                           progress, context=loaders.context())
    except ShelfAuditError as exc:
        bar.empty()
        st.error(str(exc))
        return
    st.session_state[RESULTS] = (store, camera, decoded, rules, views)


def _save(i: int, item, store: str, camera: str, rules) -> None:
    try:
        found = uploads.save_upload(item, store, camera, scope, models.inspector(), rules,
                                    context=loaders.context())
    except ShelfAuditError as exc:
        st.error(str(exc))
        return
    loaders.refresh()
    st.session_state[f"upload_saved_{i}"] = found


def _judge_as(camera: str) -> None:
    """Pick another camera and inspect again (a callback)."""
    st.session_state["upload_camera"] = camera
    st.session_state["upload_again"] = True


def _not_judged(i: int, item, store: str, view) -> None:
    st.warning(camera_views.view_message(view, store, loaders.context()), icon="⚠️")
    left, right = st.columns([3, 2])
    left.image(item.photo.image, width="stretch")
    if view.nearest and view.nearest != view.camera:
        right.button(_("Judge as camera {camera} instead").format(camera=view.nearest),
                     key=f"upload_as_{i}", on_click=_judge_as, args=(view.nearest,))


def _verdict(item) -> None:
    """The violations by rule (most severe, then most frequent, first) and shelf."""
    st.markdown("**" + _("Violations ({n})").format(n=len(item.violations)) + "**")
    for rule in group_violations(item.violations, item.detections.to_dict(), violation_text):
        with st.expander(f"{rule.rule} · {rule_type(rule.type)} · " + ngettext(
                "{n} violation", "{n} violations", rule.count).format(n=rule.count),
                expanded=len(item.violations) <= 5):
            st.markdown(severity_badge(rule.severity))
            for shelf in rule.shelves:
                where = _("Shelf {n} (from the top)").format(n=shelf.shelf) \
                    if shelf.shelf is not None else _("Whole photo")
                more = shelf.count - len(shelf.messages)
                lines = [as_text(m) for m in shelf.messages] + (
                    [ngettext("… and {n} more", "… and {n} more", more).format(n=more)]
                    if more > 0 else [])
                st.markdown(f"**{where}** ({shelf.count})  \n" + "  \n".join(lines))


def _show(i: int, item, store: str | None, camera: str | None, rules, view=None) -> None:
    st.subheader(as_text(item.name))
    if item.error:
        st.error(item.error)
        return
    if view is not None and not view.judge:
        _not_judged(i, item, store, view)
        return
    if view is not None:
        st.caption(camera_views.view_message(view, store, loaders.context()))
    if item.detections.extra.get("out_of_domain"):
        st.warning(domain_reason_text(item.detections.extra), icon="⚠️")
    left, right = st.columns([3, 2])
    boxes = [b for v in item.violations for b in v.get("boxes") or []]
    with left:
        found = len(item.detections.detections)
        st.image(pictures.draw(item.photo.image, item.detections, boxes,
                               structure=item.verdict.get("structure")), width="stretch",
                 caption=ngettext("{n} detection · {seconds} s", "{n} detections · {seconds} s",
                                  found).format(n=found, seconds=i18n.number(item.seconds)))
        pictures.legend(violations=bool(boxes))
    with right:
        kpis = item.verdict.get("kpis") or {}
        m = st.columns(2)
        m[0].metric(_(SHORT_LABELS["compliance"]), pct(kpis.get("compliance")), border=True)
        m[1].metric(_(SHORT_LABELS["osa"]), pct(kpis.get("osa")), border=True)
        _verdict(item)
        not_judged = item.verdict.get("not_judged") or []
        if not_judged:
            st.caption(_("Not judged on this photo ({n}): {rules}").format(
                n=len(not_judged), rules=", ".join(as_text(n.get("rule")) for n in not_judged))
                + " — " + _(as_text(not_judged[0].get("reason"))))
        if not item.violations:
            st.success(_("No violations."))
        saved = st.session_state.get(f"upload_saved_{i}")
        if saved:
            st.success(_("Saved as inspection #{id}.").format(id=saved))
        elif store and camera and can(scope, "upload", store):
            if st.button(_("Save as inspection"), key=f"upload_save_{i}"):
                _save(i, item, store, camera, rules)
                st.rerun()
        elif not store:
            st.caption(_("Ad-hoc photos are not saved; pick a store and camera to keep it."))


def _change(action: str) -> None:
    """Exclude, count again or delete the picked saved upload (a callback)."""
    photo = st.session_state.get("upload_pick")
    try:
        if action == "exclude":
            note = upload_exclusions.exclude_upload(photo, frame.scope(),
                                                st.session_state.get("upload_reason", ""))
        elif action == "include":
            note = upload_exclusions.include_upload(photo, frame.scope())[1]
        else:
            note = upload_exclusions.delete_upload(photo, frame.scope())
            st.session_state["upload_sure"] = False
    except ScopeError as exc:
        note = str(exc)
    if note:
        st.session_state[NOTE] = note
    loaders.refresh()


def _saved_uploads() -> None:
    st.divider()
    st.subheader(_("Saved uploads"))
    st.caption(_("A saved upload counts in its week's figures but never changes anyone's "
                 "default week. Exclude one to take it out of every figure (it is kept and can "
                 "count again), or delete it with its photo file. Every change is recorded."))
    if NOTE in st.session_state:
        st.warning(st.session_state.pop(NOTE))
    table = loaders.load(saved_uploads.list_uploads, scope)
    if table.empty:
        st.caption(_("No saved uploads yet."))
        return
    shown = table.copy()
    shown["taken"] = [when(t, z) for t, z in zip(shown["captured_at"], shown["timezone"],
                                                  strict=True)]
    status = {saved_uploads.COUNTED: _("counted"), "excluded": _("excluded")}
    shown["status"] = shown["status"].map(status)
    columns = ["photo_id", "store", "camera", "taken", "name", "uploaded_by", "status",
               "compliance", "violations", "inspection_id"]
    st.dataframe(shown[columns], hide_index=True, column_config=column_config(
        columns, photo_id=st.column_config.NumberColumn(_("Upload")),
        taken=st.column_config.Column(_("Taken (store time)")),
        name=st.column_config.Column(_("File")),
        uploaded_by=st.column_config.Column(_("Saved by")),
        inspection_id=st.column_config.NumberColumn(_("Inspection"))))
    ids = [int(i) for i in table["photo_id"]]
    names = {int(r.photo_id): f"#{r.photo_id} · {r.store}/{r.camera} · {r.name} · "
             f"{status[r.status]}" for r in table.itertuples()}
    pick = st.selectbox(_("Saved upload"), ids, key="upload_pick",
                        format_func=labels_for(ids, lambda i: names[i]))
    excluded = table.set_index("photo_id").loc[pick, "status"] != saved_uploads.COUNTED
    c1, c2, c3 = st.columns([3, 2, 2])
    if excluded:
        c1.button(_("Count it again"), key="upload_include", on_click=_change,
                  args=("include",))
    else:
        c1.text_input(_("Why exclude it (optional)"), key="upload_reason")
        c1.button(_("Exclude from the figures"), key="upload_exclude", on_click=_change,
                  args=("exclude",))
    sure = c2.checkbox(_("Delete it and its photo file"), key="upload_sure")
    c3.button(_("Delete"), key="upload_delete", on_click=_change, args=("delete",),
              disabled=not sure, type="primary")


def _on_a_phone() -> bool:
    try:
        return "Mobi" in str(st.context.headers.get("User-Agent") or "")
    except Exception:  # noqa: BLE001 - no browser (tests)
        return False


def _photos() -> list:
    """The photos to inspect: taken now with the device's camera (first on a phone), or files."""
    if st.toggle(_("Take a photo with this device's camera"), key="upload_take",
                 value=_on_a_phone(),
                 help=_("On a phone or tablet: the camera opens here; the photo is checked and "
                        "inspected like an uploaded file.")):
        shot = st.camera_input(_("Take a photo of the shelf"), key="upload_shot",
                               resolution="1080p")
        return [shot] if shot is not None else []
    return st.file_uploader(_("Shelf photos"), type=list(uploads.ACCEPTED),
                            accept_multiple_files=True, key="upload_files",
                            max_upload_size=uploads.MAX_MB) or []


if not can(scope, "upload", ANY_STORE):
    st.warning(_("Your role may look at reports but not upload photos."))
else:
    files = _photos()
    store, camera = _where()
    again = st.session_state.pop("upload_again", False) and files
    if st.button(_("Inspect now"), key="upload_run", type="primary",
                 disabled=not files or (store is not None and camera is None)) or again:
        for key in [k for k in st.session_state if str(k).startswith("upload_saved_")]:
            del st.session_state[key]
        _run(files, store, camera)
    found = st.session_state.get(RESULTS)
    if found:
        r_store, r_camera, results, rules, views = found
        for i, item in enumerate(results):
            _show(i, item, r_store, r_camera, rules, views[i])
    _saved_uploads()
