"""System: models in use, schedules and run history, the catalog and its reference photos.

Every time here names its clock: schedules on each store's clock (with UTC beside them), run
history and file times in UTC.
"""

import pandas as pd
import streamlit as st

from pipeline import i18n
from pipeline.actions import reference_photos, uploads
from pipeline.catalog import display_name
from pipeline.dashboard import frame, loaders, models
from pipeline.dashboard.auth import as_text
from pipeline.dashboard.formatting import (
    STAGE_LABELS,
    STATUS_LABELS,
    column_config,
    labels_for,
    when,
    word,
)
from pipeline.errors import ShelfAuditError
from pipeline.i18n import _
from pipeline.queries import operations, system

UTC_TIME = st.column_config.DatetimeColumn  # shown with "(UTC)" in the heading

st.title(_("System"))
scope = frame.scope()
tab_models, tab_runs, tab_catalog = st.tabs([_("Models"), _("Schedules & runs"), _("Catalog")])


def _models() -> None:
    try:
        files, config = system.model_files()
    except ShelfAuditError as exc:
        st.error(_("The models settings file has a problem: {problem}").format(problem=exc))
        return
    table = pd.DataFrame([f.__dict__ for f in files])
    st.dataframe(table, hide_index=True, key="system_models_table",
                 column_config=column_config(table.columns, modified=UTC_TIME(
                     _("Modified (UTC)"), format="YYYY-MM-DD HH:mm")))
    missing = [f for f in files if not f.found]
    if missing:
        st.warning(_("Missing: {files}. Train the starter models with `shelfaudit train`, or "
                     "point the models settings file (`$SHELFAUDIT_HOME/models.yaml`) at your "
                     "own weights.").format(
            files=", ".join(f"{word(STAGE_LABELS, f.stage)} ({f.source})" for f in missing)))
    c = st.columns(3)
    c[0].metric(_("Device"), models.device_name(config.device), border=True)
    c[1].metric(_("Inspector"), models.inspector_spec(), border=True)
    c[2].metric(_("Detector input"), f"{config.imgsz} px", border=True)
    recorded = loaders.load(system.recorded_models, scope)
    if recorded:
        st.caption(_("Models recorded with the newest inspection ({when})").format(
            when=when(recorded["captured_at"], "UTC")))
        st.json({k: v for k, v in recorded.items() if k != "captured_at"}, expanded=False)


def _rule_state(row) -> tuple[str, str]:
    """(state, what is in force) of one rule file, in the reader's words."""
    if row.state == "ok":
        return _("ok"), _("the file as saved")
    if row.state == "last_good":
        return (_("broken: last good version in force"),
                _("version #{id} of {when}").format(id=row.version,
                                                    when=when(row.version_at, "UTC")))
    return (_("broken: no valid version, its stores wait"),
            _("nothing (photos wait in the inbox)"))


def _rule_files() -> None:
    status = loaders.load(system.rule_files_status, scope, lang=i18n.current())  # per language
    st.markdown("**" + _("Rule files") + "**")
    shown = pd.DataFrame([(row.file, *_rule_state(row), row.problem)
                          for row in status.itertuples()],
                         columns=["file", "state", "in_force", "problem"])
    for row, text in zip(status.itertuples(), shown.itertuples(), strict=True):
        if row.state == "ok":
            continue
        st.warning(_("{file} does not validate, so it is not used: {outcome}").format(
            file=as_text(row.file),
            outcome=_("{version} stays in force.").format(version=as_text(text.in_force))
            if row.state == "last_good" else
            _("no valid version is on record, so the stores it may apply to are not "
              "inspected until it is fixed (their photos wait in the inbox).")),
            icon=":material/rule:")
    st.dataframe(shown, hide_index=True, key="system_rule_files",
                 column_config=column_config(shown.columns))


def _schedules() -> None:
    st.markdown("**" + _("Schedules") + "**")
    table = loaders.load(operations.schedules, scope)
    st.dataframe(table, hide_index=True, key="system_schedules", column_config=column_config(
        table.columns,
        next_run=st.column_config.DatetimeColumn(_("Next run (store time)"),
                                                 format="YYYY-MM-DD HH:mm"),
        next_run_utc=UTC_TIME(_("Next run (UTC)"), format="YYYY-MM-DD HH:mm")))
    st.caption(_("Schedules are cron lines on each store's clock (its time zone), or "
                 "\"every N hours\"."))


def _runs() -> None:
    _rule_files()
    _schedules()
    st.markdown("**" + _("Run history") + "**")
    runs = loaders.load(operations.job_runs, scope)
    status = st.segmented_control(_("Status"), list(STATUS_LABELS), default="all",
                                  format_func=labels_for(STATUS_LABELS,
                                                         lambda s: word(STATUS_LABELS, s)),
                                  key="system_run_status") or "all"
    shown = runs if status == "all" or runs.empty else runs[runs["status"] == status]
    st.dataframe(shown, hide_index=True, key="system_runs", column_config=column_config(
        shown.columns, started_at=UTC_TIME(_("Started (UTC)"), format="YYYY-MM-DD HH:mm:ss")))


def _add_reference(skus: list[str]) -> None:
    st.markdown(_("**Add a reference photo** — one product, upright, cropped to its edges. "
                  "Recognition uses it at once; no retraining."))
    if scope.role != "admin":
        st.caption(_("Reference photos change recognition for every store, so only an admin "
                     "may add them."))
        return
    c1, c2 = st.columns([1, 2])
    sku = c1.selectbox(_("SKU"), skus, key="system_ref_sku",
                       format_func=labels_for(skus, lambda s: f"{s} · {display_name(s)}"))
    photo = c2.file_uploader(_("Photo"), type=["jpg", "jpeg", "png", "webp"],
                             key="system_ref_file", max_upload_size=uploads.MAX_MB)
    if st.button(_("Add to the gallery"), key="system_ref_add", disabled=photo is None):
        try:
            saved = reference_photos.add_reference(sku, photo.name, photo.getvalue(), scope,
                                         models.loaded_recognizer(),
                                         catalog=loaders.context().catalog)
        except ShelfAuditError as exc:
            st.error(str(exc))
            return
        loaders.refresh()
        st.session_state["system_ref_notice"] = _("Added {file} to {sku}'s references.").format(
            file=saved.name, sku=sku)
        st.rerun()


def _catalog() -> None:
    table = loaders.load(system.catalog_table, loaders.context().catalog)
    notice = st.session_state.pop("system_ref_notice", None)
    if notice:
        st.success(notice)
    shown = table.drop(columns=["name_zh"], errors="ignore").assign(
        name=[display_name(s) for s in table["sku"]],
        brand=[display_name(b) for b in table["brand"]],
        category=[display_name(c) for c in table["category"]])
    st.dataframe(shown, hide_index=True, key="system_catalog", column_config=column_config(
        shown.columns, price=st.column_config.NumberColumn(_("Price"), format="%.2f")))
    skus = list(table["sku"])
    sku = st.selectbox(_("Reference photos of"), skus, key="system_gallery_sku",
                       format_func=labels_for(skus, lambda s: f"{s} · {display_name(s)}"))
    photos = system.reference_photos(sku)
    if photos:
        cols = st.columns(6)
        for i, path in enumerate(photos[:12]):
            cols[i % 6].image(str(path), caption=path.name)
    else:
        st.caption(_("No reference photos yet: the recognizer names this SKU from its text "
                     "prompts alone."))
    _add_reference(skus)


with tab_models:
    _models()
with tab_runs:
    _runs()
with tab_catalog:
    _catalog()
