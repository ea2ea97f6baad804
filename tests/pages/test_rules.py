"""Rules page: live validation with line numbers, diff, what-if, save as a version, rollback."""

from __future__ import annotations

import pytest

from pipeline.access.scope import ALL_STORES, Scope
from pipeline.actions import rule_edits
from tests.factories.apptest import table_with


def _versions(at):
    """The history's version picker (keyed by the versions it offers)."""
    return next(s for s in at.selectbox if s.key.startswith("rules_version_"))


def _open(app, name: str):
    at = app("pages/rules.py")
    at.selectbox(key="rules_file").set_value(name).run()
    return at


def test_rules_page_renders_on_an_empty_database(empty_db, rules_copy, app):
    at = app("pages/rules.py")
    assert not at.exception
    assert at.text_area(key="rules_text").value.startswith("#")


def test_broken_yaml_is_rejected_with_its_line_number(empty_db, rules_copy, app):
    at = _open(app, "beverages.yaml")
    text = at.text_area(key="rules_text").value
    broken = text.replace("    type: orientation\n", "    type: orientaton\n", 1)
    line = broken.splitlines().index("    type: orientaton") + 1
    at.text_area(key="rules_text").set_value(broken).run()
    assert not at.exception
    assert any(f"line {line}" in e.value and "orientation" in e.value for e in at.error)
    assert at.button(key="rules_save").disabled
    assert (rules_copy / "beverages.yaml").read_text(encoding="utf-8") == text


def test_valid_edit_is_saved_as_a_new_version(small_db, rules_copy, app):
    at = _open(app, "general.yaml")
    text = at.text_area(key="rules_text").value
    edited = text.replace("    max: 0\n", "    max: 1\n", 1)
    at.text_area(key="rules_text").set_value(edited).run()
    assert any("Valid" in s.value for s in at.success)
    at.button(key="rules_whatif").click().run()
    assert not at.exception
    assert "Violations that disappear" in [m.label for m in at.metric]
    assert "rules_author" not in [t.key for t in at.text_input]  # the author is not typed
    at.text_input(key="rules_comment").set_value("one gap is fine").run()
    at.button(key="rules_save").click().run()
    assert not at.exception
    assert (rules_copy / "general.yaml").read_text(encoding="utf-8") == edited
    assert any("Saved general.yaml as version" in s.value for s in at.success)
    history = table_with(at, "author")
    assert history.iloc[0]["author"] == "test-admin"  # the signed-in user
    assert history.iloc[0]["comment"] == "one gap is fine"


def test_rollback_restores_the_earlier_text(small_db, rules_copy, app):
    at = _open(app, "pricing.yaml")
    text = at.text_area(key="rules_text").value
    at.text_area(key="rules_text").set_value(text + "\n# trial\n").run()
    at.button(key="rules_save").click().run()
    history = table_with(at, "author")
    oldest = int(history.iloc[-1]["id"])
    _versions(at).set_value(oldest).run()
    at.button(key="rules_rollback").click().run()
    assert not at.exception
    assert "rules_rollback_confirm" in [b.key for b in at.button]  # asks first
    assert (rules_copy / "pricing.yaml").read_text(encoding="utf-8") != text
    at.button(key="rules_rollback_confirm").click().run()
    assert not at.exception
    assert (rules_copy / "pricing.yaml").read_text(encoding="utf-8") == text
    assert at.text_area(key="rules_text").value == text
    history = table_with(at, "author")
    assert history.iloc[0]["author"] == "test-admin"  # the rollback is a row of its own
    assert history.iloc[0]["event"] == f"rolled back to #{oldest}"


def test_a_rollback_can_be_called_off(small_db, rules_copy, app):
    at = _open(app, "pricing.yaml")
    text = at.text_area(key="rules_text").value
    at.text_area(key="rules_text").set_value(text + "\n# trial\n").run()
    at.button(key="rules_save").click().run()
    oldest = int(table_with(at, "author").iloc[-1]["id"])
    _versions(at).set_value(oldest).run()
    at.button(key="rules_rollback").click().run()
    at.button(key="rules_rollback_cancel").click().run()
    assert not at.exception
    assert "rules_rollback_confirm" not in [b.key for b in at.button]
    assert (rules_copy / "pricing.yaml").read_text(encoding="utf-8") == text + "\n# trial\n"


def test_leaving_and_coming_back_keeps_the_editor_filled(empty_db, rules_copy, app):
    at = app("pages/rules.py")
    at.switch_page("pages/overview.py").run()
    at.switch_page("pages/rules.py").run()
    assert not at.exception
    assert at.text_area(key="rules_text").value.startswith("#")


WORDS = {  # what the page says, in each language
    "en": {"new": "New rule file for my store", "create": "Create the file",
           "created": "Created stores/s001/late-deliveries.yaml", "saved": "as version",
           "read_only": "Read only", "every_store": "applies to every store",
           "title": "Rules"},
    "zh": {"new": "为我的门店新建规则文件", "create": "创建文件",
           "created": "已创建 stores/s001/late-deliveries.yaml", "saved": "保存为版本",
           "read_only": "只读", "every_store": "作用于所有门店", "title": "规则"},
}


def _supervisor(lang: str, file: str | None = None):
    """The Rules page of a supervisor of s001 only, in ``lang``."""
    from streamlit.testing.v1 import AppTest

    from tests.factories.accounts import sign_in
    from tests.factories.dashboard_fixtures import APP

    at = AppTest.from_file(APP, default_timeout=60)
    sign_in(at, "supervisor", ["s001"], username="sue")
    at.session_state["lang"] = lang
    at.run()
    at.switch_page("pages/rules.py").run()
    if file:
        at.selectbox(key="rules_file").set_value(file).run()
    assert not at.exception, at.exception
    return at


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_one_store_supervisor_creates_and_saves_her_stores_file(small_db, rules_copy, app,
                                                                   lang):
    words = WORDS[lang]
    at = _supervisor(lang)
    assert at.title[0].value == words["title"]
    assert words["new"] in [e.label for e in at.expander]
    assert at.selectbox(key="rules_new_store").options == ["s001"]  # her store only
    at.text_input(key="rules_new_name").input("late-deliveries")
    next(b for b in at.button if b.label == words["create"]).click().run()
    assert not at.exception, at.exception
    name = "stores/s001/late-deliveries.yaml"
    assert any(words["created"] in s.value for s in at.success)
    assert at.selectbox(key="rules_file").value == name  # opened in the editor
    text = at.text_area(key="rules_text").value
    assert "enabled: false" in text
    edited = text.replace("    enabled: false", "    enabled: true")
    edited = edited.split("    enabled: true")[0] + "    enabled: true\n"
    at.text_area(key="rules_text").set_value(edited).run()
    at.text_input(key="rules_comment").set_value("one gap is fine at Riverside").run()
    at.button(key="rules_save").click().run()
    assert not at.exception, at.exception
    assert (rules_copy / name).read_text(encoding="utf-8") == edited
    assert any(words["saved"] in s.value for s in at.success)
    history = table_with(at, "author")
    assert list(history["author"])[:2] == ["sue", "sue"]
    newest = int(history.iloc[0]["id"])
    assert _versions(at).value == newest  # the version now in force


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_file_she_may_not_save_opens_read_only_with_the_reason(small_db, rules_copy, app,
                                                                  lang):
    words = WORDS[lang]
    at = _supervisor(lang, "general.yaml")
    notes = [i.value for i in at.info]
    assert any(words["read_only"] in n and words["every_store"] in n for n in notes), notes
    assert "rules_text" not in [t.key for t in at.text_area]  # nothing to edit, preview
    keys = {b.key for b in at.button} | {t.key for t in at.text_input}
    assert not keys & {"rules_save", "rules_whatif", "rules_comment", "rules_rollback"}
    shown = (rules_copy / "general.yaml").read_text(encoding="utf-8")
    assert shown.strip() in [c.value.strip() for c in at.code]  # the text, with line numbers
    # her own store's file opens for editing
    rule_edits.create_store_file("s001", "mine", Scope(frozenset({"s001"}), "supervisor",
                                                         user="sue"))
    at.run()
    at.selectbox(key="rules_file").set_value("stores/s001/mine.yaml").run()
    assert not at.info and at.text_area(key="rules_text").value.startswith("#")


def test_other_stores_own_files_are_not_listed(small_db, rules_copy, app):
    rule_edits.create_store_file("s002", "theirs", ALL_STORES)
    def listed(page) -> list[str]:
        return [o.split()[0] for o in page.selectbox(key="rules_file").options]

    assert "stores/s002/theirs.yaml" not in listed(_supervisor("en"))
    assert "stores/s002/theirs.yaml" in listed(app("pages/rules.py"))


def test_what_if_with_no_photos_says_so_instead_of_a_score(empty_db, rules_copy, app):
    at = _open(app, "general.yaml")
    text = at.text_area(key="rules_text").value
    at.text_area(key="rules_text").set_value(text + "\n# trial\n").run()
    at.button(key="rules_whatif").click().run()
    assert not at.exception
    assert not at.metric  # no "Compliance 0.0 %"
    assert any("No photos to compare" in i.value for i in at.info)


PROBLEM_WORDS = {  # a bad number and an unknown rule type, explained in each language
    "en": {"line": "line {line}", "number": "min: Input should be a valid number, unable to "
           "parse string as a number", "type": "unknown rule type 'orientaton' — did you mean "
           "'orientation'?"},
    "zh": {"line": "第 {line} 行", "number": "min: 应为数字，无法把所填的文字读成数字",
           "type": "未知规则类型 'orientaton' —— 是不是想写 'orientation'？"},
}


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_validation_problems_are_explained_in_the_readers_language(empty_db, rules_copy, lang):
    """The same broken text: the same lines, the explanation in the reader's words (pydantic's
    errors by their type, the rule file's own checks), the file left as it was."""
    from streamlit.testing.v1 import AppTest

    from tests.factories.accounts import sign_in
    from tests.factories.dashboard_fixtures import APP

    words = PROBLEM_WORDS[lang]
    at = AppTest.from_file(APP, default_timeout=60)
    sign_in(at, "admin", [])
    at.session_state["lang"] = lang
    at.run()
    at.switch_page("pages/rules.py").run()
    at.selectbox(key="rules_file").set_value("beverages.yaml").run()
    text = at.text_area(key="rules_text").value
    broken = text.replace("    type: orientation\n", "    type: orientaton\n", 1).replace(
        "    min: 0.4 ", "    min: lots", 1)
    lines = broken.splitlines()
    type_line = lines.index("    type: orientaton") + 1
    min_line = next(i for i, t in enumerate(lines, 1) if t.startswith("    min: lots"))
    at.text_area(key="rules_text").set_value(broken).run()
    assert not at.exception, at.exception
    shown = "\n".join(e.value for e in at.error).replace("\\", "")  # markdown escapes off
    assert words["line"].format(line=type_line) in shown and words["type"] in shown, shown
    assert words["line"].format(line=min_line) in shown and words["number"] in shown, shown
    if lang == "zh":
        assert "Input should" not in shown and "unknown rule type" not in shown
    assert at.button(key="rules_save").disabled
    assert (rules_copy / "beverages.yaml").read_text(encoding="utf-8") == text
