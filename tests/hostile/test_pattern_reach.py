"""Pattern reach: a supervisor's rule file may name only their own stores, written out. A
pattern that can match a store outside their own — today or once a store is added — is for
admins; the refusal is one plain line, audited, and the file on disk is untouched."""

from __future__ import annotations

import pytest

from pipeline.access.audit import audit_entries
from pipeline.access.scope import Scope, ScopeError
from pipeline.actions import rule_edits
from tests.factories.accounts import make_user
from tests.factories.dashboard_fixtures import rules_copy  # noqa: F401 - fixture reused

NAME = "s001-extra.yaml"
TEXT = """name: s001 extra
applies_to: {{stores: {stores}}}
rules:
  - {{id: s001-gaps, type: max_gaps, max: 1}}
"""
SAM = Scope(stores=frozenset({"s001"}), role="supervisor", user="sam")
ADMIN = Scope(stores=None, role="admin", user="root")

REACH = [  # id, applies_to.stores, words of the refusal
    ("prefix-star", '["s001", "x*"]', "store pattern 'x*' can match stores that are not yours"),
    ("own-prefix-star", '["s001*"]', "store pattern 's001*' can match"),
    ("question-mark", '["s00?"]', "store pattern 's00?' can match"),
    ("bracket-range", '["s00[1-9]"]', "store pattern 's00[1-9]' can match"),
    ("bracket-own-only", '["s00[1]"]', "store pattern 's00[1]' can match"),
    ("negated-class", '["[!z]001"]', "store pattern '[!z]001' can match"),
    ("everything", '["*"]', "applies to every store"),
    ("no-applies-to", None, "applies to every store"),
    ("other-existing", '["s001", "s002"]', "also applies to store(s) s002"),
    ("future-literal", '["s001", "s999"]', "also applies to store(s) s999"),
    ("case-variant", '["S001"]', "also applies to store(s) S001"),
]


def _text(stores: str | None) -> str:
    if stores is None:
        return "name: s001 extra\nrules:\n  - {id: s001-gaps, type: max_gaps, max: 1}\n"
    return TEXT.format(stores=stores)


@pytest.fixture
def own_file(db, rules_copy):  # noqa: F811 - the imported fixture
    make_user("root", "admin")
    path = rules_copy / NAME
    path.write_text(_text('["s001"]'), encoding="utf-8")
    return path


@pytest.mark.parametrize("stores, words", [c[1:] for c in REACH], ids=[c[0] for c in REACH])
def test_a_supervisor_cannot_reach_past_their_stores(own_file, stores, words):
    before = own_file.read_text(encoding="utf-8")
    with pytest.raises(ScopeError) as refused:
        rule_edits.save_text(NAME, _text(stores), SAM, "widen")
    message = str(refused.value)
    assert words in message and "\n" not in message and len(message) < 300, message
    assert own_file.read_text(encoding="utf-8") == before
    log = audit_entries(make_user("root", "admin"), action="rule_save_refused")
    assert list(log["target"]) == [NAME] and list(log["actor"]) == ["sam"]


@pytest.mark.parametrize("stores", [c[1] for c in REACH], ids=[c[0] for c in REACH])
def test_an_admin_may_use_any_pattern(own_file, stores):
    saved = rule_edits.save_text(NAME, _text(stores), ADMIN, "group-wide")
    assert saved.new_version and own_file.read_text(encoding="utf-8") == _text(stores)


def test_once_widened_by_an_admin_the_supervisor_cannot_edit_it(own_file):
    rule_edits.save_text(NAME, _text('["s001", "x*"]'), ADMIN, "group-wide")
    narrowed = _text('["s001"]')
    with pytest.raises(ScopeError, match="'x\\*' can match"):  # the saved text reaches too
        rule_edits.save_text(NAME, narrowed, SAM, "narrow it back")


def test_their_own_stores_written_out_are_fine(own_file):
    two = Scope(stores=frozenset({"s001", "s002"}), role="supervisor", user="sam")
    saved = rule_edits.save_text(NAME, _text('["s001", "s002"]'), two, "both of mine")
    assert saved.new_version
