"""Rule edits as services: validation by line, atomic versioned saves, rights, rollback, what-if."""

from __future__ import annotations

import pytest

from pipeline.queries import rule_edits, rule_files, what_if
from pipeline.queries.scope import ALL_STORES, Scope, ScopeError

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
    hist = rule_edits.history("snacks.yaml", ALL_STORES)
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
    first = rule_edits.history("pricing.yaml", ALL_STORES).iloc[-1]
    rule_edits.rollback("pricing.yaml", int(first["id"]), ALL_STORES)
    assert rule_files.read_text("pricing.yaml") == original
    assert bool(rule_edits.history("pricing.yaml", ALL_STORES).set_index("id")
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
