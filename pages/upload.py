"""Upload: inspect shelf photos now, see what is wrong within seconds, save as an inspection."""

import streamlit as st

from pipeline.dashboard import frame, loaders, models, pictures
from pipeline.dashboard.auth import as_text
from pipeline.dashboard.formatting import SEVERITY_BADGE, pct
from pipeline.errors import ShelfAuditError
from pipeline.queries import uploads

RESULTS = "upload_results"

st.title("Upload")
scope = frame.scope()
st.caption(f"JPEG, PNG or WebP, up to {uploads.MAX_MB} MB each. Photos are checked by their "
           "content, turned upright by their EXIF orientation, kept as a clean copy without "
           "metadata, and judged by the rules of the store and camera you pick.")


def _cameras(store: str) -> list[str]:
    if store == uploads.ADHOC:
        return [uploads.ADHOC]
    try:
        return list(uploads.store_spec(store).cameras) or [uploads.ADHOC]
    except ShelfAuditError:
        return [c for _, c in loaders.cameras(scope, store)] or [uploads.ADHOC]


def _where() -> tuple[str | None, str | None]:
    stores = [s for s, _ in loaders.stores(scope)]
    if frame.store() in stores:
        st.session_state.setdefault("upload_store", frame.store())
    c1, c2 = st.columns(2)
    store = c1.selectbox("Store", [*stores, uploads.ADHOC], key="upload_store")
    camera = c2.selectbox("Camera", _cameras(store), key="upload_camera")
    return (None, None) if store == uploads.ADHOC else (store, camera)


def _run(files, store: str | None, camera: str | None) -> None:
    bar = st.progress(0.0, text="Reading the photos…")
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
        st.error(f"Cannot inspect now: {exc}")
        return

    def progress(done: int, total: int, name: str) -> None:
        bar.progress(done / max(total, 1),
                     text=f"Inspecting {name} ({done + 1} of {total})…" if name else "Done")

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
        st.warning(item.detections.extra.get("domain_reason"), icon="⚠️")
    left, right = st.columns([3, 2])
    boxes = [b for v in item.violations for b in v.get("boxes") or []]
    with left:
        st.image(pictures.draw(item.photo.image, item.detections, boxes), width="stretch",
                 caption=f"{len(item.detections.detections)} detections · {item.seconds:.1f} s")
    with right:
        kpis = item.verdict.get("kpis") or {}
        m = st.columns(2)
        m[0].metric("Compliance", pct(kpis.get("compliance")), border=True)
        m[1].metric("OSA", pct(kpis.get("osa")), border=True)
        st.markdown(f"**Violations ({len(item.violations)})**")
        for v in item.violations:
            st.markdown(f"{SEVERITY_BADGE.get(v.get('severity'), '')} "
                        f"**{as_text(v.get('rule'))}** — {as_text(v.get('message'))}")
        not_judged = item.verdict.get("not_judged") or []
        if not_judged:
            st.caption(f"Not judged on this photo ({len(not_judged)}): "
                       + ", ".join(as_text(n.get("rule")) for n in not_judged))
        if not item.violations:
            st.success("No violations.")
        saved = st.session_state.get(f"upload_saved_{i}")
        if saved:
            st.success(f"Saved as inspection #{saved}.")
        elif store and camera and scope.can_edit():
            if st.button("Save as inspection", key=f"upload_save_{i}"):
                _save(i, item, store, camera, rules)
                st.rerun()
        elif not store:
            st.caption("Ad-hoc photos are not saved; pick a store and camera to keep it.")


if not scope.can_edit():
    st.warning("Your role may look at reports but not upload photos.")
else:
    files = st.file_uploader("Shelf photos", type=list(uploads.ACCEPTED),
                             accept_multiple_files=True, key="upload_files",
                             max_upload_size=uploads.MAX_MB)
    store, camera = _where()
    if st.button("Inspect now", key="upload_run", type="primary", disabled=not files):
        for key in [k for k in st.session_state if str(k).startswith("upload_saved_")]:
            del st.session_state[key]
        _run(files, store, camera)
    found = st.session_state.get(RESULTS)
    if found:
        r_store, r_camera, results, rules = found
        for i, item in enumerate(results):
            _show(i, item, r_store, r_camera, rules)
