"""On a photo out of the models' domain, rules that need product names are not judged."""

from __future__ import annotations

import dataclasses

import pytest

from pipeline.rules.engine import NEEDS_PRODUCT_NAMES
from pipeline.rules.types import rule_types
from tests.factories.shelves import ALPS, COLA, WATER, layout, without_shelf

ROWS = [[COLA] * 5, [WATER] * 4 + [ALPS] * 4]


def _out_of_domain(shelf):
    photo = without_shelf(shelf.photo)
    return dataclasses.replace(photo, extra={**photo.extra, "out_of_domain": True,
                                             "domain_reason": "unlike the training photos"})


def test_every_rule_type_is_classified():
    """A new rule type must say whether it needs product names (update NEEDS_PRODUCT_NAMES)."""
    assert set(rule_types()) >= NEEDS_PRODUCT_NAMES
    assert {"max_gaps", "price_tag_present", "promo_present"}.isdisjoint(NEEDS_PRODUCT_NAMES)


@pytest.mark.parametrize("kind, params", [
    ("orientation", {"category": "bottled-water"}),
    ("forbidden_product", {"forbid": "competitors"}),
    ("unknown_product", {}),
])
def test_name_rules_are_not_judged_instead_of_violated(catalog, rule, kind, params):
    from pipeline.rules.engine import evaluate

    shelf = layout(ROWS, catalog, lying=[(2, 1)], actual={(1, 0): "fizzup-lemon-330"})
    result = evaluate(_out_of_domain(shelf), [rule(kind, **params)], catalog, shelf.planogram)
    (outcome,) = result.outcomes
    assert outcome.violations == () and not outcome.applicable
    assert "not judged" in outcome.not_judged
    doc = result.to_dict()
    assert doc["not_judged"][0]["rule"] == f"t-{kind}"
    assert doc["rules"][0]["not_judged"].startswith("not judged")
    assert result.kpis.compliance is None  # nothing judged, no score


def test_the_same_rules_judge_an_in_domain_photo(catalog, rule, judge):
    shelf = layout(ROWS, catalog, lying=[(2, 1)])
    result = judge(shelf, rule("orientation", category="bottled-water"))
    assert len(result.violations) == 1 and result.to_dict()["not_judged"] == []


def test_gaps_are_still_judged_out_of_domain(catalog, rule):
    from pipeline.rules.engine import evaluate

    shelf = layout(ROWS, catalog, actual={(2, 2): None, (2, 3): None})
    result = evaluate(_out_of_domain(shelf), [rule("max_gaps")], catalog)
    assert result.outcomes[0].not_judged is None
    assert len(result.violations) >= 1
