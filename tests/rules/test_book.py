"""The rule book: one pure builder of the rules in force per store and camera, store files
included (rules/stores/<id>/*.yaml reach that store only, after the shared files)."""

from __future__ import annotations

import pickle
import shutil
from pathlib import Path

import pytest

from pipeline.rules import book
from pipeline.rules.book import RuleText, build, owner_of
from pipeline.rules.config import errors_only, load_config, validate
from pipeline.rules.schema import Store

REPO = Path(__file__).resolve().parents[2]
STORES = [Store(id="s001", name="One", cameras=[{"id": "c01"}, {"id": "c02"}]),
          Store(id="s002", name="Two", cameras=[{"id": "c01"}])]
SHARED = RuleText("general.yaml", """\
applies_to: {stores: ["*"]}
priority: -10
rules:
  - {id: no-gaps, type: max_gaps, max: 0, severity: high}
  - {id: no-unknown, type: unknown_product, severity: low}
""")
DRINKS = RuleText("drinks.yaml", """\
applies_to: {stores: ["s00*"], cameras: [c01]}
rules:
  - {id: no-gaps, type: max_gaps, max: 2, severity: medium}
""")
OWN = RuleText("stores/s001/late.yaml", """\
rules:
  - {id: no-unknown, type: unknown_product, severity: low, enabled: false}
  - {id: s001-gaps, type: max_gaps, max: 3, severity: low}
""")


def _rules(rule_book, store, camera) -> dict:
    return {r.id: (getattr(r, "max", None), r.severity) for r in rule_book.rules_for(store, camera)}


@pytest.mark.parametrize("name, owner", [
    ("general.yaml", None), ("stores/s001/late.yaml", "s001"), ("stores/s001.yaml", None),
    ("planograms/x.yaml", None), ("stores/s001/deeper/x.yaml", None),
])
def test_a_store_file_is_known_by_its_folder(name, owner):
    assert owner_of(name) == owner


def test_shared_files_by_selector_then_the_stores_own():
    rules = build([OWN, DRINKS, SHARED], STORES)  # any order in: priority, name, own last
    assert _rules(rules, "s001", "c01") == {"no-gaps": (2, "medium"), "s001-gaps": (3, "low")}
    assert _rules(rules, "s001", "c02") == {"no-gaps": (0, "high"), "s001-gaps": (3, "low")}
    # s002 does not read s001's file: its no-unknown is still on
    assert _rules(rules, "s002", "c01") == {"no-gaps": (2, "medium"),
                                            "no-unknown": (None, "low")}
    assert [e.text.name for e in rules.entries] == ["general.yaml", "drinks.yaml",
                                                    "stores/s001/late.yaml"]


def test_a_store_file_replaces_a_shared_rule_by_id_for_its_store_only():
    own = RuleText("stores/s002/strict.yaml",
                   "rules:\n  - {id: no-gaps, type: max_gaps, max: 0, severity: high}\n")
    rules = build([SHARED, DRINKS, own], STORES)
    assert _rules(rules, "s002", "c01")["no-gaps"] == (0, "high")
    assert _rules(rules, "s001", "c01")["no-gaps"] == (2, "medium")


@pytest.mark.parametrize("applies_to", [
    "{stores: [s002]}", "{stores: ['*']}", "{stores: ['s00*']}", "{stores: s002}",
    "{stores: [s001, s002]}",
])
def test_a_store_file_may_not_name_another_store(applies_to):
    text = f"applies_to: {applies_to}\nrules:\n  - {{id: x, type: max_gaps, max: 1}}\n"
    rules = build([RuleText("stores/s001/x.yaml", text)], STORES)
    assert not rules.entries
    problems = rules.invalid["stores/s001/x.yaml"]
    assert problems[0].line == 1 and "reaches store s001 only" in problems[0].message
    assert book.check_text(text, "stores/s001/x.yaml")
    assert not book.check_text(text, "x.yaml")  # a shared file may name any store


def test_a_store_file_may_narrow_its_cameras_and_name_its_own_store():
    text = "applies_to: {stores: [s001], cameras: [c02]}\nrules:\n" \
           "  - {id: x, type: max_gaps, max: 1}\n"
    rules = build([RuleText("stores/s001/x.yaml", text)], STORES)
    assert "x" in _rules(rules, "s001", "c02") and "x" not in _rules(rules, "s001", "c01")
    assert rules.reach("stores/s001/x.yaml") == [("s001", "c02")]


def test_reach_and_one_stores_versions_and_hash():
    texts = [RuleText(t.name, t.text, version_id=i) for i, t in enumerate([SHARED, DRINKS, OWN])]
    rules = build(texts, STORES)
    assert rules.reach("drinks.yaml") == [("s001", "c01"), ("s002", "c01")]
    assert rules.reach("stores/s001/late.yaml") == [("s001", "c01"), ("s001", "c02")]
    one, two = rules.for_store("s001"), rules.for_store("s002")
    assert one.versions == {"general.yaml": 0, "drinks.yaml": 1, "stores/s001/late.yaml": 2}
    assert two.versions == {"general.yaml": 0, "drinks.yaml": 1}
    assert one.hash != two.hash
    assert rules.for_store(None).versions == {"general.yaml": 0}  # ad-hoc: everywhere only


def test_named_files_reach_every_photo_in_the_order_given():
    switch_off = RuleText("b.yaml", "rules:\n  - {id: no-gaps, type: max_gaps, max: 0, "
                                    "enabled: false}\n")
    assert _rules(build([SHARED, switch_off], selectors=False), "s009", "c9") == {
        "no-unknown": (None, "low")}
    assert "no-gaps" in _rules(build([switch_off, SHARED], selectors=False), None, None)


def test_a_broken_text_is_left_out_with_its_problems():
    rules = build([SHARED, RuleText("bad.yaml", "rules: [\n")], STORES)
    assert [e.text.name for e in rules.entries] == ["general.yaml"]
    assert "bad.yaml" in rules.invalid


def test_the_book_travels_to_other_processes(catalog):
    rules = build([SHARED, OWN], STORES, catalog).for_store("s001")
    again = pickle.loads(pickle.dumps(rules))
    assert again.versions == rules.versions
    assert [r.id for r in again.rules_for("c01")] == [r.id for r in rules.rules_for("c01")]


@pytest.fixture
def rules_dir(tmp_path) -> Path:
    folder = tmp_path / "rules"
    shutil.copytree(REPO / "rules", folder)
    return folder


def test_the_folder_validates_store_files_against_their_store(rules_dir):
    own = rules_dir / "stores" / "s001"
    own.mkdir(parents=True)
    (own / "ok.yaml").write_text("applies_to: {cameras: [c01]}\nrules:\n"
                                 "  - {id: x, type: min_facings, sku: colaco-cola-330, min: 1, "
                                 "zone: drinks}\n", encoding="utf-8")
    assert not errors_only(validate(folder=rules_dir))
    (own / "bad.yaml").write_text("applies_to: {stores: [s002]}\nrules:\n"
                                  "  - {id: y, type: max_gaps, max: 1}\n", encoding="utf-8")
    problems = errors_only(validate(folder=rules_dir))
    assert [(Path(p.file).name, p.line) for p in problems] == [("bad.yaml", 1)]
    (own / "bad.yaml").unlink()
    lost = rules_dir / "stores" / "s404"
    lost.mkdir()
    (lost / "x.yaml").write_text("rules:\n  - {id: y, type: max_gaps, max: 1}\n", "utf-8")
    warnings = [p for p in validate(folder=rules_dir) if "s404" in p.message]
    assert warnings and warnings[0].severity == "warning"


def test_load_config_answers_through_the_book(rules_dir):
    own = rules_dir / "stores" / "s002"
    own.mkdir(parents=True)
    (own / "quiet.yaml").write_text("rules:\n  - {id: no-gaps, type: max_gaps, max: 0, "
                                    "enabled: false}\n", encoding="utf-8")
    config = load_config(rules_dir)
    assert "no-gaps" not in {r.id for r in config.rules_for("s002", "c01")}
    assert "no-gaps" in {r.id for r in config.rules_for("s001", "c01")}
    assert config.planogram_for("s002", "c01").id == config.book.planogram_for("s002", "c01").id
