"""Rules page: live validation with line numbers, diff, what-if, save as a version, rollback."""

from __future__ import annotations

from tests.dashboard.helpers import table_with


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
    at.selectbox(key="rules_version").set_value(oldest).run()
    at.button(key="rules_rollback").click().run()
    assert not at.exception
    assert (rules_copy / "pricing.yaml").read_text(encoding="utf-8") == text
    assert at.text_area(key="rules_text").value == text


def test_leaving_and_coming_back_keeps_the_editor_filled(empty_db, rules_copy, app):
    at = app("pages/rules.py")
    at.switch_page("pages/overview.py").run()
    at.switch_page("pages/rules.py").run()
    assert not at.exception
    assert at.text_area(key="rules_text").value.startswith("#")
