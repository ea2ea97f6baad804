"""Hostile rule messages (format specs): refused when a rule file is validated or saved, with
file:line:col and one plain line; and message filling can never fail or blow up a run, even for
a rule that bypassed validation (an old saved version, a rule built in code)."""

from __future__ import annotations

import time

import pytest

from pipeline.access.scope import ALL_STORES
from pipeline.actions import rule_edits
from pipeline.queries import rule_history
from pipeline.rules import messages
from pipeline.rules.config import validate
from pipeline.rules.types import rule_types
from tests.factories.dashboard_fixtures import rules_copy  # noqa: F401 - fixture reused

NAME = "general.yaml"
FIELD = '    message: "Shelf {shelf}: empty space about {widths} products wide — refill it"\n'

HOSTILE = [  # id, message, words of the reason
    ("huge-width", "Shelf {shelf:>1500000000}: refill it", "has a format spec"),
    ("huge-precision", "about {widths:.999999999} wide", "has a format spec"),
    ("nested-spec", "Shelf {shelf:{max}}: refill it", "has a format spec"),
    ("repr-conversion", "Shelf {shelf!r}: refill it", "has a conversion"),
    ("conversion-and-spec", "Shelf {shelf!s:>99}", "has a format spec"),
    ("attribute", "{rule.__class__.__mro__}", "unknown placeholder '{rule.__class__.__mro__}'"),
    ("index", "Shelf {shelf[0]}", "unknown placeholder '{shelf[0]}'"),
    ("positional", "Shelf {0}", "unknown placeholder '{0}'"),
    ("empty-braces", "Shelf {}", "unknown placeholder '{}'"),
    ("unbalanced", "Shelf {shelf", "not a valid template"),
    ("too-long", "x" * 5000, "at most 500 are allowed"),
]


def _with_message(folder, message: str) -> str:
    text = (folder / NAME).read_text(encoding="utf-8")
    assert FIELD in text
    escaped = message.replace("\\", "\\\\").replace('"', '\\"')
    return text.replace(FIELD, f'    message: "{escaped}"\n', 1)


@pytest.mark.parametrize("message, words", [c[1:] for c in HOSTILE], ids=[c[0] for c in HOSTILE])
def test_rules_validate_refuses_it_at_file_line_col(rules_copy, message, words):  # noqa: F811
    text = _with_message(rules_copy, message)
    (rules_copy / NAME).write_text(text, encoding="utf-8")
    errors = [p for p in validate([rules_copy / NAME]) if p.severity == "error"]
    assert len(errors) == 1, errors
    shown = str(errors[0])
    line = text.splitlines().index(next(x for x in text.splitlines() if "message:" in x)) + 1
    assert shown.startswith(f"{rules_copy / NAME}:{line}:") and errors[0].column > 0
    assert words in shown and "\n" not in shown and len(shown) < 400


@pytest.mark.parametrize("message, words", [c[1:] for c in HOSTILE], ids=[c[0] for c in HOSTILE])
def test_a_rule_edit_with_it_is_refused_and_nothing_written(db, rules_copy, message,  # noqa: F811
                                                            words):
    good = (rules_copy / NAME).read_text(encoding="utf-8")
    with pytest.raises(rule_edits.RuleEditRefused) as refused:
        rule_edits.save_text(NAME, _with_message(rules_copy, message), ALL_STORES, "hostile")
    assert any(words in p.message for p in refused.value.problems), refused.value.problems
    assert (rules_copy / NAME).read_text(encoding="utf-8") == good
    assert rule_history.history(NAME, ALL_STORES).empty


@pytest.mark.parametrize("message", [c[1] for c in HOSTILE], ids=[c[0] for c in HOSTILE])
def test_filling_never_fails_and_never_grows_past_its_limits(message):
    """A rule that skipped validation (``model_construct``: an old saved version, code) still
    gives a violation quickly, with the hostile part left as written."""
    cls = rule_types()["max_gaps"]
    rule = cls.model_construct(**{**cls.example, "id": "gaps", "message": message})
    started = time.perf_counter()
    violation = rule.violation([(0, 0, 10, 10)], shelf=3, widths="2.0", count=1, max=0)
    assert time.perf_counter() - started < 0.5
    assert len(violation.message) <= len(message) + 3 * messages.MAX_VALUE


def test_bare_placeholders_are_filled_and_values_are_cut():
    values = {"shelf": 3, "name": "Cola" * 100, "odd": object()}
    text = messages.fill("{{literal}} Shelf {shelf}: {name} ({missing}) {odd}", values)
    assert text.startswith("{literal} Shelf 3: ColaCola") and "({missing})" in text
    assert len(text) < 300


def test_valid_messages_still_pass():
    for cls in rule_types().values():
        allowed = ("rule", "severity", "zone", "shelf", *cls.placeholders)
        template = " ".join("{" + p + "}" for p in allowed) + " {{braces}}"
        assert messages.template_error(template, allowed) is None
