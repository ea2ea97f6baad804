"""System: models in use, schedules and run history, the catalog and its reference photos."""

import pandas as pd
import streamlit as st

from pipeline.dashboard import frame, loaders, models
from pipeline.dashboard.auth import as_text
from pipeline.dashboard.formatting import when
from pipeline.errors import ShelfAuditError
from pipeline.queries import operations, system, uploads

st.title("System")
scope = frame.scope()
tab_models, tab_runs, tab_catalog = st.tabs(["Models", "Schedules & runs", "Catalog"])


def _models() -> None:
    try:
        files, config = system.model_files()
    except ShelfAuditError as exc:
        st.error(f"The models settings file has a problem: {exc}")
        return
    st.dataframe(pd.DataFrame([f.__dict__ for f in files]), hide_index=True,
                 key="system_models_table")
    missing = [f for f in files if not f.found]
    if missing:
        st.warning("Missing: " + ", ".join(f"{f.stage} ({f.source})" for f in missing)
                   + ". Train the starter models with `shelfaudit train`, or point the models "
                   "settings file (`$SHELFAUDIT_HOME/models.yaml`) at your own weights.")
    c = st.columns(3)
    c[0].metric("Device", models.device_name(config.device), border=True)
    c[1].metric("Inspector", models.inspector_spec(), border=True)
    c[2].metric("Detector input", f"{config.imgsz} px", border=True)
    recorded = loaders.load(system.recorded_models, scope)
    if recorded:
        st.caption(f"Models recorded with the newest inspection ({when(recorded['captured_at'])})")
        st.json({k: v for k, v in recorded.items() if k != "captured_at"}, expanded=False)


def _rule_files() -> None:
    status = loaders.load(system.rule_files_status, scope)
    st.markdown("**Rule files**")
    for row in status[status["state"] != "ok"].itertuples():
        st.warning(f"{as_text(row.file)} does not validate, so it is not used: "
                   + (f"{as_text(row.in_force)} stays in force." if "last good" in row.state else
                      "no valid version is on record, so the stores it may apply to are not "
                      "inspected until it is fixed (their photos wait in the inbox)."),
                   icon=":material/rule:")
    st.dataframe(status, hide_index=True, key="system_rule_files")


def _runs() -> None:
    _rule_files()
    st.markdown("**Schedules**")
    st.dataframe(loaders.load(operations.schedules, scope), hide_index=True,
                 key="system_schedules")
    st.markdown("**Run history**")
    runs = loaders.load(operations.job_runs, scope)
    status = st.segmented_control("Status", ["all", "ok", "partial", "error", "skipped",
                                             "running"], default="all",
                                  key="system_run_status") or "all"
    shown = runs if status == "all" or runs.empty else runs[runs["status"] == status]
    st.dataframe(shown, hide_index=True, key="system_runs")


def _add_reference(skus: list[str]) -> None:
    st.markdown("**Add a reference photo** — one product, upright, cropped to its edges. "
                "Recognition uses it at once; no retraining.")
    if scope.role != "admin":
        st.caption("Reference photos change recognition for every store, so only an admin "
                   "may add them.")
        return
    c1, c2 = st.columns([1, 2])
    sku = c1.selectbox("SKU", skus, key="system_ref_sku")
    photo = c2.file_uploader("Photo", type=["jpg", "jpeg", "png", "webp"],
                             key="system_ref_file", max_upload_size=uploads.MAX_MB)
    if st.button("Add to the gallery", key="system_ref_add", disabled=photo is None):
        try:
            saved = system.add_reference(sku, photo.name, photo.getvalue(), scope,
                                         models.loaded_recognizer())
        except ShelfAuditError as exc:
            st.error(str(exc))
            return
        loaders.refresh()
        st.session_state["system_ref_notice"] = f"Added {saved.name} to {sku}'s references."
        st.rerun()


def _catalog() -> None:
    table = loaders.load(system.catalog_table)
    notice = st.session_state.pop("system_ref_notice", None)
    if notice:
        st.success(notice)
    st.dataframe(table, hide_index=True, key="system_catalog",
                 column_config={"price": st.column_config.NumberColumn(format="%.2f")})
    skus = list(table["sku"])
    sku = st.selectbox("Reference photos of", skus, key="system_gallery_sku")
    photos = system.reference_photos(sku)
    if photos:
        cols = st.columns(6)
        for i, path in enumerate(photos[:12]):
            cols[i % 6].image(str(path), caption=path.name)
    else:
        st.caption("No reference photos yet: the recognizer names this SKU from its text "
                   "prompts alone.")
    _add_reference(skus)


with tab_models:
    _models()
with tab_runs:
    _runs()
with tab_catalog:
    _catalog()
