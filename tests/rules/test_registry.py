"""Meta-tests over the rule-type registry: every type is tested, documented and valid."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from pipeline import yamldoc
from pipeline.rules.loading import parse_rule_set
from pipeline.rules.reference import example_yaml, render_reference
from pipeline.rules.registry import REGISTRY, Rule, register
from pipeline.rules.schema import json_schema
from pipeline.rules.types import rule_types

from ..conftest import REPO

TYPES = sorted(rule_types())
HERE = Path(__file__).parent


def test_the_issue_s_rule_types_are_all_registered():
    assert set(TYPES) >= {
        "required_product", "min_facings", "forbidden_product", "share_of_shelf", "max_gaps",
        "orientation", "promo_present", "price_tag_present", "price_match",
        "planogram_position", "unknown_product"}


@pytest.mark.parametrize("name", TYPES)
def test_every_type_has_its_own_test_module(name):
    """tests/rules/types/test_<module>_<type>.py, beside the module that defines the type."""
    where = rule_types()[name].__module__.rsplit(".", 1)[1]  # pipeline.rules.types.<module>
    module = HERE / "types" / f"test_{where}_{name}.py"
    assert module.exists(), f"add tests for rule type '{name}' in {module.relative_to(HERE)}"
    text = module.read_text(encoding="utf-8")
    assert f'"{name}"' in text and text.count("def test_") >= 3


@pytest.mark.parametrize("name", TYPES)
def test_every_type_has_a_section_in_the_reference(name):
    doc = (REPO / "docs" / "RULES.md").read_text(encoding="utf-8")
    assert f"## `{name}`" in doc


def test_reference_is_up_to_date():
    committed = (REPO / "docs" / "RULES.md").read_text(encoding="utf-8")
    assert committed == render_reference(), "run: shelfaudit rules docs"


@pytest.mark.parametrize("name", TYPES)
def test_every_example_validates_as_yaml(name):
    cls = rule_types()[name]
    assert cls.summary and cls.default_message and cls.example["type"] == name
    doc = yamldoc.loads(example_yaml(cls.example), f"{name}.yaml")
    rule_set, problems = parse_rule_set(doc, f"{name}.yaml")
    assert problems == [] and rule_set is not None
    assert rule_set.rules[0].model_dump(mode="json", exclude_unset=True) == cls.example


@pytest.mark.parametrize("name", TYPES)
def test_default_message_uses_only_known_placeholders(name):
    cls = rule_types()[name]
    cls.model_validate({**cls.example, "message": cls.default_message})  # would raise


def test_json_schema_covers_every_type():
    schema = json_schema("rule-set")
    mapping = schema["properties"]["rules"]["items"]["discriminator"]["mapping"]
    assert sorted(mapping) == TYPES
    assert "stores" in json_schema("stores")["properties"]
    assert "shelves" in json_schema("planogram")["properties"]


def test_register_refuses_a_type_without_literal_name():
    class Broken(Rule):
        pass

    with pytest.raises(TypeError):
        register(Broken)
    assert "Broken" not in REGISTRY


def test_rules_are_frozen(rule):
    r = rule("max_gaps")
    with pytest.raises(ValidationError):
        r.max = 3
