"""Empty, whitespace-only and rule-less rule files: an error at validation, at save and at
load — the last good version stays in force for the runs, and the System page says so."""

from __future__ import annotations

import pytest

from pipeline.access.scope import ALL_STORES
from pipeline.actions import rule_edits
from pipeline.rulebook.in_force import check_text
from pipeline.rulebook.versions import resolve_rule_texts
from pipeline.rules.config import validate
from tests.factories.dashboard_fixtures import rules_copy  # noqa: F401 - fixture reused

NAME = "snacks.yaml"
EMPTY = [  # id, text, words of the reason
    ("zero-bytes", "", "the rule set is empty"),
    ("whitespace-only", "   \n\n      \n", "the rule set is empty"),
    ("newlines-only", "\n" * 50, "the rule set is empty"),
    ("comments-only", "# snacks rules, to be written\n# nothing yet\n", "the rule set is empty"),
    ("empty-document", "---\n...\n", "the rule set is empty"),
    ("empty-mapping", "{}\n", "the rule set has no rules"),
    ("rules-empty-list", "name: snacks\nrules: []\n", "the rule set has no rules"),
    ("header-without-rules", "name: snacks\napplies_to: {stores: [s001]}\n",
     "the rule set has no rules"),
]
IDS = [c[0] for c in EMPTY]


@pytest.mark.parametrize("text, words", [c[1:] for c in EMPTY], ids=IDS)
def test_rules_validate_calls_it_an_error(rules_copy, text, words):  # noqa: F811
    path = rules_copy / NAME
    path.write_text(text, encoding="utf-8")
    errors = [p for p in validate([path]) if p.severity == "error"]
    assert len(errors) == 1 and words in errors[0].message, errors
    assert str(errors[0]).startswith(f"{path}:") and "\n" not in str(errors[0])
    assert check_text(text, NAME)  # what a run sees: not usable


@pytest.mark.parametrize("text, words", [c[1:] for c in EMPTY], ids=IDS)
def test_saving_it_is_refused_and_the_file_kept(db, rules_copy, text, words):  # noqa: F811
    good = (rules_copy / NAME).read_text(encoding="utf-8")
    with pytest.raises(rule_edits.RuleEditRefused) as refused:
        rule_edits.save_text(NAME, text, ALL_STORES, "emptied")
    reasons = str(refused.value) + " ".join(p.message for p in refused.value.problems)
    assert words in reasons or "the new text is empty" in reasons
    assert (rules_copy / NAME).read_text(encoding="utf-8") == good


@pytest.mark.parametrize("text", [c[1] for c in EMPTY], ids=IDS)
def test_on_disk_the_last_good_version_stays_in_force(db, rules_copy, text):  # noqa: F811
    path = rules_copy / NAME
    good = path.read_text(encoding="utf-8")
    assert not resolve_rule_texts([path], check_text).problems  # a run records the good text
    path.write_text(text, encoding="utf-8")
    again = resolve_rule_texts([path], check_text)
    assert again.texts[0].text == good and again.texts[0].from_saved
    assert "using the last good version" in again.problems[0]


def test_with_no_good_version_its_stores_wait_instead_of_losing_rules(db, rules_copy):  # noqa: F811
    from pipeline.context import edge_context
    from pipeline.errors import ShelfAuditError
    from pipeline.rulebook.in_force import load_store_rules

    (rules_copy / NAME).write_text("", encoding="utf-8")
    context = edge_context()
    store = next(s for s in context.sites.stores if s.id == "s001")
    with pytest.raises(ShelfAuditError, match="snacks.yaml is broken.*not inspected until"):
        load_store_rules(store, rules_copy, catalog=context.catalog)


def test_the_system_page_says_which_version_is_in_force(small_db, rules_copy, app):  # noqa: F811
    path = rules_copy / NAME
    resolve_rule_texts([path], check_text)  # the good text is on record
    path.write_text("  \n", encoding="utf-8")
    at = app("pages/system.py", role="supervisor", stores=("s001",))
    assert not at.exception
    warnings = [w.value for w in at.warning if NAME.replace(".", "\\.") in w.value
                or NAME in w.value]
    assert len(warnings) == 1 and "stays in force" in warnings[0], [w.value for w in at.warning]
    table = next(d.value for d in at.dataframe if "in_force" in d.value.columns)
    row = table.set_index("file").loc[NAME]
    assert row["state"] == "broken: last good version in force"
    assert row["in_force"].startswith("version #") and "is empty" in row["problem"]
    assert set(table[table["file"] != NAME]["state"]) == {"ok"}
