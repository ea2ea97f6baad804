"""System page: models, schedules and runs, catalog, adding a reference photo."""

from __future__ import annotations

import pytest

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


@pytest.mark.parametrize("lang, words", [
    ("en", "beverages.yaml:6:11: rule 'water-upright': unknown rule type 'orientaton' — did you "
           "mean 'orientation'?"),
    ("zh", "beverages.yaml:6:11: 规则 'water-upright'：未知规则类型 'orientaton' —— 是不是想写 "
           "'orientation'？")])
def test_a_broken_rule_files_problem_in_the_readers_language(empty_db, rules_copy, lang, words):
    """The rule files table names a broken file's first problem in the reader's words (the
    cached table is kept per language)."""
    from streamlit.testing.v1 import AppTest

    from tests.factories.accounts import sign_in
    from tests.factories.dashboard_fixtures import APP

    path = rules_copy / "beverages.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace(
        "    type: orientation\n", "    type: orientaton\n", 1), encoding="utf-8")
    at = AppTest.from_file(APP, default_timeout=60)
    sign_in(at, "admin", [])
    at.session_state["lang"] = lang
    at.run()
    at.switch_page("pages/system.py").run()
    assert not at.exception, at.exception
    problems = [v for frame in at.dataframe for v in frame.value.get("problem", [])]
    assert words in problems, problems
