"""Upload: inspect shelf photos now, see what is wrong within seconds, save as an inspection."""

import streamlit as st

from pipeline import i18n
from pipeline.dashboard import frame, loaders, models, pictures
from pipeline.dashboard.auth import as_text
from pipeline.dashboard.formatting import labels_for, pct, severity_badge
from pipeline.errors import ShelfAuditError
from pipeline.i18n import _, ngettext
from pipeline.kpis import SHORT_LABELS
from pipeline.queries import uploads
from pipeline.rules.wording import violation_text
from pipeline.vision.domain_reasons import domain_reason_text

RESULTS = "upload_results"

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
    camera = c2.selectbox(_("Camera"), cameras, key="upload_camera",
                          format_func=labels_for(cameras, _place))
    return (None, None) if store == uploads.ADHOC else (store, camera)


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
        rules = uploads.rules_for(store)
    except Exception as exc:  # noqa: BLE001 - a missing model or a broken rule file: say so
        bar.empty()
        st.error(_("Cannot inspect now: {reason}").format(reason=exc))
        return

    def progress(done: int, total: int, name: str) -> None:
        bar.progress(done / max(total, 1),
                     text=_("Inspecting {name} ({n} of {total})…").format(
                         name=name, n=done + 1, total=total) if name else _("Done"))

    results = uploads.inspect_uploads(decoded, store, camera, inspector, rules, progress)
    st.session_state[RESULTS] = (store, camera, results, rules)


def _save(i: int, item, store: str, camera: str, rules) -> None:
    try:
        found = uploads.save_upload(item, store, camera, scope, models.inspector(), rules)
    except ShelfAuditError as exc:
        st.error(str(exc))
        return
    loaders.refresh()
    st.session_state[f"upload_saved_{i}"] = found


def _show(i: int, item, store: str | None, camera: str | None, rules) -> None:
    st.subheader(as_text(item.name))
    if item.error:
        st.error(item.error)
        return
    if item.detections.extra.get("out_of_domain"):
        st.warning(domain_reason_text(item.detections.extra), icon="⚠️")
    left, right = st.columns([3, 2])
    boxes = [b for v in item.violations for b in v.get("boxes") or []]
    with left:
        found = len(item.detections.detections)
        st.image(pictures.draw(item.photo.image, item.detections, boxes), width="stretch",
                 caption=ngettext("{n} detection · {seconds} s", "{n} detections · {seconds} s",
                                  found).format(n=found, seconds=i18n.number(item.seconds)))
    with right:
        kpis = item.verdict.get("kpis") or {}
        m = st.columns(2)
        m[0].metric(_(SHORT_LABELS["compliance"]), pct(kpis.get("compliance")), border=True)
        m[1].metric(_(SHORT_LABELS["osa"]), pct(kpis.get("osa")), border=True)
        st.markdown("**" + _("Violations ({n})").format(n=len(item.violations)) + "**")
        for v in item.violations:
            st.markdown(f"{severity_badge(v.get('severity'))} "
                        f"**{as_text(v.get('rule'))}** — {as_text(violation_text(v))}")
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
        elif store and camera and scope.can_edit():
            if st.button(_("Save as inspection"), key=f"upload_save_{i}"):
                _save(i, item, store, camera, rules)
                st.rerun()
        elif not store:
            st.caption(_("Ad-hoc photos are not saved; pick a store and camera to keep it."))


if not scope.can_edit():
    st.warning(_("Your role may look at reports but not upload photos."))
else:
    files = st.file_uploader(_("Shelf photos"), type=list(uploads.ACCEPTED),
                             accept_multiple_files=True, key="upload_files",
                             max_upload_size=uploads.MAX_MB)
    store, camera = _where()
    if st.button(_("Inspect now"), key="upload_run", type="primary", disabled=not files):
        for key in [k for k in st.session_state if str(k).startswith("upload_saved_")]:
            del st.session_state[key]
        _run(files, store, camera)
    found = st.session_state.get(RESULTS)
    if found:
        r_store, r_camera, results, rules = found
        for i, item in enumerate(results):
            _show(i, item, r_store, r_camera, rules)
