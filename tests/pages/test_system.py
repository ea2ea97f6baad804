"""System page: models, schedules and runs, catalog, adding a reference photo."""

from __future__ import annotations

from tests.factories.apptest import table_with
from tests.factories.demo_db import shelf_photo


def test_system_renders_on_an_empty_database(empty_db, app):
    at = app("pages/system.py")
    assert not at.exception
    assert len(table_with(at, "sku")) >= 24  # the catalog


def test_run_history_filters_by_status(small_db, app):
    at = app("pages/system.py")
    assert set(table_with(at, "job")["status"]) == {"ok", "error"}
    at.segmented_control(key="system_run_status").set_value("error").run()
    assert not at.exception
    assert set(table_with(at, "job")["status"]) == {"error"}


def test_adding_a_reference_photo_grows_the_gallery(empty_db, app, tmp_path, home):
    at = app("pages/system.py")
    sku = table_with(at, "sku")["sku"].iloc[0]
    before = int(table_with(at, "sku").set_index("sku").loc[sku, "references"])
    data = shelf_photo(tmp_path / "ref.jpg", 90, 200).read_bytes()
    at.selectbox(key="system_ref_sku").set_value(sku).run()
    at.file_uploader(key="system_ref_file").set_value(("ref.jpg", data, "image/jpeg")).run()
    at.button(key="system_ref_add").click().run()
    assert not at.exception
    assert list((home / "gallery" / sku).glob("*.png"))
    after = int(table_with(at, "sku").set_index("sku").loc[sku, "references"])
    assert after == before + 1
