"""Hostile rule files: refused with a located reason, the file on disk untouched, and the last
good version staying in force for the scheduled runs."""

from __future__ import annotations

import time

import pytest

from pipeline import yamldoc
from pipeline.access.scope import ALL_STORES
from pipeline.actions import rule_edits
from pipeline.queries import rule_history
from pipeline.rulebook.in_force import check_text
from pipeline.rulebook.versions import resolve_rule_texts
from tests.factories.dashboard_fixtures import rules_copy  # noqa: F401 - fixture reused

NAME = "beverages.yaml"


def _laughs() -> str:
    lines = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for prev, cur in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{cur}: &{cur} [{', '.join(['*' + prev] * 9)}]")
    return "\n".join(lines) + "\n"


def _good(folder) -> str:
    return (folder / NAME).read_text(encoding="utf-8")


CASES = [  # id, text from the good text, words of the reason, whether plain YAML refuses it
    ("billion-laughs", lambda g: _laughs(), "too many aliases", True),
    ("unsafe-python-tag", lambda g: "rules: !!python/object/apply:os.system ['touch /tmp/x']\n",
     "unsafe or unknown YAML tag", True),
    ("deep-nesting", lambda g: "rules: " + "[" * 200 + "]" * 200 + "\n", "nested more than", True),
    ("five-megabytes", lambda g: g + "# " + "x" * (5 * 1024 * 1024) + "\n", "larger than", True),
    ("duplicate-keys", lambda g: g + "\napplies_to: {stores: ['*']}\n", "duplicate key", True),
    ("tab-indentation", lambda g: "rules:\n\t- id: x\n", "'\\t'", True),
    ("nul-character", lambda g: g + "\x00", "#x0000", True),
    ("lone-surrogate", lambda g: g + "# \udcff\n", "#xdcff", True),
    ("wrong-type", lambda g: g.replace("rules:", "priority: high\nrules:", 1),
     "priority: Input should be a valid integer", False),
    ("rules-not-a-list", lambda g: "rules: yes\n", "rules: Input should be a valid list", False),
    ("empty-text", lambda g: "", "empty", False),
]


@pytest.mark.parametrize("make, words, yaml_level", [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_rule_edit_is_refused_and_the_file_kept(db, rules_copy, make, words,  # noqa: F811
                                                yaml_level):
    good = _good(rules_copy)
    text = make(good)
    if yaml_level:
        started = time.perf_counter()
        with pytest.raises(yamldoc.YamlFileError) as exc:
            yamldoc.loads(text, NAME)
        assert time.perf_counter() - started < 3  # refused before anything is built
        assert words in str(exc.value)
    with pytest.raises(rule_edits.RuleEditRefused) as refused:
        rule_edits.save_text(NAME, text, ALL_STORES, "hostile")
    reasons = str(refused.value) + " ".join(str(p) for p in refused.value.problems)
    assert words in reasons
    assert all(p.file == NAME for p in refused.value.problems)
    assert _good(rules_copy) == good  # nothing written
    assert rule_history.history(NAME, ALL_STORES).empty  # nothing recorded as a version


ON_DISK = [c for c in CASES if c[0] not in ("empty-text", "lone-surrogate")]  # see below


@pytest.mark.parametrize("make", [c[1] for c in ON_DISK], ids=[c[0] for c in ON_DISK])
def test_a_broken_file_on_disk_leaves_the_last_good_version_in_force(db, rules_copy,  # noqa: F811
                                                                      make):
    path = rules_copy / NAME
    good = path.read_text(encoding="utf-8")
    first = resolve_rule_texts([path], check_text)
    assert first.texts[0].text == good and not first.problems
    path.write_text(make(good), encoding="utf-8", errors="surrogatepass")
    again = resolve_rule_texts([path], check_text)
    assert again.texts[0].text == good and again.texts[0].from_saved
    assert again.problems and "using the last good version" in again.problems[0]


def test_non_utf8_bytes_are_named_with_their_position(db, rules_copy):  # noqa: F811
    path = rules_copy / NAME
    path.write_bytes(_good(rules_copy).encode() + "# café\n".encode("latin-1"))
    with pytest.raises(yamldoc.YamlFileError, match=r"not UTF-8 text \(byte \d+\)"):
        yamldoc.load(path)  # what `shelfaudit rules validate` reports
    # A run reads the bytes as replacement characters: a bad byte in a comment costs nothing.
    resolved = resolve_rule_texts([path], check_text)
    assert "\ufffd" in resolved.texts[0].text and not resolved.problems


def test_a_valid_edit_still_saves_atomically_after_all_that(db, rules_copy):  # noqa: F811
    good = _good(rules_copy)
    for _id, make, _words, _ in CASES:
        with pytest.raises(rule_edits.RuleEditRefused):
            rule_edits.save_text(NAME, make(good), ALL_STORES)
    edited = good.replace("severity: high", "severity: medium", 1)
    saved = rule_edits.save_text(NAME, edited, ALL_STORES, "calmer")
    assert _good(rules_copy) == edited and saved.new_version
    assert not list(rules_copy.glob(".*.tmp"))  # no temporary files left behind
