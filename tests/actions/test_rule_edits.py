"""Rule edits as services: validation by line, atomic versioned saves, rights, rollback, what-if."""

from __future__ import annotations

import pytest

from pipeline.access.scope import ALL_STORES, Scope, ScopeError
from pipeline.actions import rule_edits
from pipeline.errors import ShelfAuditError
from pipeline.queries import rule_files, rule_history, what_if

BROKEN_TYPE = "  - id: water-upright\n    type: orientaton\n"


def _edit(text: str, old: str, new: str) -> str:
    assert old in text
    return text.replace(old, new, 1)


def test_validation_points_at_the_broken_line(rules_copy):
    text = rule_files.read_text("beverages.yaml")
    broken = _edit(text, "    type: orientation\n", "    type: orientaton\n")
    line = broken.splitlines().index("    type: orientaton") + 1
    problems = rule_files.errors(rule_files.validate_text("beverages.yaml", broken))
    assert problems and problems[0].line == line
    assert "did you mean 'orientation'" in problems[0].message


@pytest.mark.parametrize("text, needle", [
    ("rules: [\n", "syntax"),
    ("rules:\n  - {id: x, type: min_facings, sku: no-such-sku, min: 2}\n", "unknown sku"),
    ("rules:\n  - {id: x, type: min_facings}\n  - {id: x, type: min_facings}\n", "missing"),
])
def test_bad_texts_are_reported_not_raised(rules_copy, text, needle):
    problems = rule_files.validate_text("beverages.yaml", text)
    assert any(needle in p.message.lower() for p in problems), problems


def test_names_outside_the_rules_folder_are_refused(rules_copy):
    with pytest.raises(Exception, match="not a file of the rules folder"):
        rule_files.read_text("../pyproject.toml")


def test_save_writes_atomically_and_records_a_version(query_db, rules_copy):
    text = rule_files.read_text("snacks.yaml")
    edited = text + "\n# tightened after the reset\n"
    mia = Scope(stores=None, role="admin", user="mia")
    saved = rule_edits.save_text("snacks.yaml", edited, mia, "more facings")
    assert saved.new_version
    assert (rules_copy / "snacks.yaml").read_text(encoding="utf-8") == edited
    assert not list(rules_copy.glob(".snacks.yaml.*"))  # no temp file left behind
    hist = rule_history.history("snacks.yaml", ALL_STORES)
    assert hist.iloc[0]["author"] == "mia" and hist.iloc[0]["in_force"]  # who signed in
    assert hist.iloc[0]["comment"] == "more facings"
    assert len(hist) == 2  # the text before the edit is kept for rollback


def test_broken_text_is_never_written(query_db, rules_copy):
    before = (rules_copy / "beverages.yaml").read_text(encoding="utf-8")
    with pytest.raises(rule_edits.RuleEditRefused) as err:
        rule_edits.save_text("beverages.yaml", before + BROKEN_TYPE, ALL_STORES)
    assert err.value.problems
    assert (rules_copy / "beverages.yaml").read_text(encoding="utf-8") == before


def test_rollback_puts_the_earlier_text_back(query_db, rules_copy):
    original = rule_files.read_text("pricing.yaml")
    rule_edits.save_text("pricing.yaml", original + "\n# v2\n", ALL_STORES)
    first = rule_history.history("pricing.yaml", ALL_STORES).iloc[-1]
    rule_edits.rollback("pricing.yaml", int(first["id"]), ALL_STORES)
    assert rule_files.read_text("pricing.yaml") == original
    assert bool(rule_history.history("pricing.yaml", ALL_STORES).set_index("id")
                .loc[int(first["id"]), "in_force"])


def test_viewers_and_other_stores_supervisors_cannot_save(query_db, rules_copy):
    text = rule_files.read_text("beverages.yaml") + "\n# x\n"
    with pytest.raises(ScopeError):
        rule_edits.save_text("beverages.yaml", text, Scope(frozenset({"s001"}), "viewer"))
    # beverages.yaml applies to s00*, i.e. more stores than s001
    with pytest.raises(ScopeError, match="not yours"):
        rule_edits.save_text("beverages.yaml", text, Scope(frozenset({"s001"}), "supervisor"))


def test_what_if_counts_violations_that_disappear(query_db, rules_copy):
    text = rule_files.read_text("general.yaml")
    relaxed = _edit(text, "  - id: no-gaps\n    type: max_gaps\n    max: 0\n",
                    "  - id: no-gaps\n    type: max_gaps\n    max: 5\n")
    result = what_if.what_if("general.yaml", relaxed, ALL_STORES)
    assert result.photos > 0 and result.week == "2026-W46"
    row = result.by_rule.set_index("rule").loc["no-gaps"]
    assert 0 <= row["after"] < row["before"]
    assert row["disappear"] == row["before"] - row["after"]
    assert result.appear == 0


def test_what_if_a_reworded_violation_is_neither_gone_nor_new(query_db, rules_copy):
    text = rule_files.read_text("general.yaml")
    reworded = _edit(text, "empty space about {widths} products wide — refill it",
                     "a gap of {widths} facings — fill it now")
    result = what_if.what_if("general.yaml", reworded, ALL_STORES)
    row = result.by_rule.set_index("rule").loc["no-gaps"]
    assert row["before"] == row["after"] > 0
    assert (result.appear, result.disappear) == (0, 0)


def test_what_if_stays_inside_the_scope(query_db, rules_copy):
    text = rule_files.read_text("general.yaml")
    result = what_if.what_if("general.yaml", text + "\n", Scope(frozenset({"s002"}), "viewer"))
    assert result.cameras and all(c.startswith("s002/") for c in result.cameras)


SUE = Scope(frozenset({"s001"}), "supervisor", user="sue")


def test_a_one_store_supervisor_creates_her_stores_file(query_db, rules_copy):
    from pipeline.access.audit import audit_entries
    from pipeline.rules.config import load_config
    from tests.factories.accounts import make_user

    before = {c: load_config(rules_copy).rules_for("s001", c) for c in ("c01", "c02")}
    made = rule_edits.create_store_file("s001", "late-deliveries", SUE)
    assert made.name == "stores/s001/late-deliveries.yaml" and made.new_version
    assert (rules_copy / made.name).exists()
    assert made.name in [f.name for f in rule_files.rule_files()]
    # the first text is valid and changes nothing: its example rule is switched off
    assert not rule_files.errors(rule_files.validate_text(made.name, rule_files.read_text(
        made.name)))
    assert {c: load_config(rules_copy).rules_for("s001", c) for c in before} == before
    hist = rule_history.history(made.name, SUE)
    assert list(hist["author"]) == ["sue"] and bool(hist.iloc[0]["in_force"])
    row = audit_entries(make_user("root", "admin"), action="rule_create").iloc[0]
    assert (row["actor"], row["target"], row["store"]) == ("sue", made.name, "s001")
    # hers to change: a rule that replaces the shared no-gaps for s001
    text = rule_files.read_text(made.name) + "  - {id: no-gaps, type: max_gaps, max: 2}\n"
    assert rule_edits.read_only_reason(SUE, made.name) is None
    rule_edits.save_text(made.name, text, SUE, "two gaps are fine here")
    config = load_config(rules_copy)
    assert {r.id: r for r in config.rules_for("s001", "c01")}["no-gaps"].max == 2
    assert {r.id: r for r in config.rules_for("s002", "c01")}["no-gaps"].max == 0


@pytest.mark.parametrize("store, name, error, match", [
    ("s002", "x", ScopeError, "not one of your stores"),
    ("s001", "../general", ShelfAuditError, "use letters"),
    ("s001", "", ShelfAuditError, "use letters"),
    ("s001", "a b", ShelfAuditError, "use letters"),
])
def test_store_files_only_for_her_stores_with_plain_names(query_db, rules_copy, store, name,
                                                          error, match):
    with pytest.raises(error, match=match):
        rule_edits.create_store_file(store, name, SUE)
    assert not (rules_copy / "stores").exists()


def test_a_store_file_is_not_made_twice_nor_for_a_viewer(query_db, rules_copy):
    rule_edits.create_store_file("s001", "mine.yaml", SUE)
    with pytest.raises(ShelfAuditError, match="exists already"):
        rule_edits.create_store_file("s001", "mine", SUE)
    with pytest.raises(ScopeError):
        rule_edits.create_store_file("s001", "other", Scope(frozenset({"s001"}), "viewer"))


def test_her_file_cannot_be_made_to_reach_another_store(query_db, rules_copy):
    made = rule_edits.create_store_file("s001", "mine", SUE)
    text = rule_files.read_text(made.name).replace('applies_to: {cameras: ["*"]}',
                                                   "applies_to: {stores: [s001, s002]}")
    with pytest.raises(rule_edits.RuleEditRefused) as err:
        rule_edits.save_text(made.name, text, SUE)
    problem = err.value.problems[0]
    assert "reaches store s001 only" in problem.message
    assert text.splitlines()[problem.line - 1].startswith("applies_to:")


def test_why_a_file_is_read_only_is_known_before_editing(query_db, rules_copy):
    sam = Scope(frozenset({"s002"}), "supervisor", user="sam")
    made = rule_edits.create_store_file("s001", "mine", SUE)
    assert "applies to every store" in rule_edits.read_only_reason(SUE, "general.yaml")
    assert "not yours" in rule_edits.read_only_reason(SUE, "beverages.yaml")
    assert "only an admin" in rule_edits.read_only_reason(SUE, "stores.yaml")
    assert "may read rule files" in rule_edits.read_only_reason(
        Scope(frozenset({"s001"}), "viewer"), made.name)
    assert "store s001, which is not yours" in rule_edits.read_only_reason(sam, made.name)
    assert rule_edits.read_only_reason(ALL_STORES, "general.yaml") is None
    with pytest.raises(ScopeError):
        rule_history.history(made.name, sam)  # another store's own file is not hers to read


def test_a_rollback_is_a_row_of_the_history(query_db, rules_copy):
    original = rule_files.read_text("pricing.yaml")
    rule_edits.save_text("pricing.yaml", original + "\n# v2\n", ALL_STORES)
    first = int(rule_history.history("pricing.yaml", ALL_STORES).iloc[-1]["id"])
    rule_edits.rollback("pricing.yaml", first, ALL_STORES)
    hist = rule_history.history("pricing.yaml", ALL_STORES)
    assert list(hist["event"]) == ["rollback", "saved", "saved"]
    assert int(hist.iloc[0]["to_version"]) == first and hist.iloc[0]["author"] == "system"
    assert bool(hist.set_index("id").loc[first, "in_force"])


def test_what_if_looks_at_the_last_complete_week_not_the_newest(query_db, rules_copy):
    from datetime import datetime

    from pipeline.db import session_scope
    from tests.actions.test_uploads_safe import _add_inspection

    with session_scope() as s:  # this week's photo, and an upload of a week of its own
        _add_inspection(s, "s001", "c01", datetime.now().replace(microsecond=0), "mtime", 9001)
        _add_inspection(s, "s001", "c01", datetime(2026, 11, 25, 8, 0), "upload", 9002)
    text = rule_files.read_text("general.yaml")
    result = what_if.what_if("general.yaml", text + "\n", ALL_STORES)
    assert result.week == "2026-W46" and result.photos > 0


def test_what_if_with_no_photos_says_so(empty_db, rules_copy):
    text = rule_files.read_text("general.yaml")
    result = what_if.what_if("general.yaml", text + "\n", ALL_STORES)
    assert (result.photos, result.week) == (0, None)
    assert result.compliance_before is None and result.compliance_after is None
