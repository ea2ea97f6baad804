"""required_product: a SKU / brand / category must be present in the zone or shelf range."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from pipeline.planogram import Zone
from tests.factories.shelves import COLA, LEMON, WATER, layout

LEFT = Zone(id="left", shelves=(1, 1), x=(0.0, 0.3))


@pytest.mark.parametrize(
    ("params", "passes"),
    [
        ({"sku": COLA}, True),
        ({"sku": "colaco-zero-330"}, False),
        ({"brand": "fizzup"}, True),
        ({"brand": "alpspure"}, False),
        ({"category": "bottled-water"}, True),
        ({"sku": WATER, "shelf": 1}, False),
        ({"sku": WATER, "shelf": [1, 2]}, True),
        ({"sku": COLA, "zone": "left"}, True),
        ({"sku": LEMON, "zone": "left"}, False),
    ],
)
def test_present_or_missing(catalog, rule, judge, params, passes):
    shelf = layout([[COLA] * 4 + [LEMON] * 3, [WATER] * 5], catalog, zones=[LEFT])
    result = judge(shelf, rule("required_product", **params))
    assert result.passed is passes
    assert result.outcomes[0].checks == 1


def test_violation_names_the_product_and_zone(catalog, rule, judge):
    shelf = layout([[COLA] * 4 + [LEMON] * 3], catalog, zones=[LEFT])
    result = judge(shelf, rule("required_product", sku=LEMON, zone="left", severity="high"))
    (violation,) = result.violations
    assert violation.message == "FizzUp Lemon 330ml can is missing from left"
    assert violation.severity == "high"
    x0, _, x1, _ = violation.boxes[0]
    assert (x0, x1) == (0.0, 300.0)  # the zone's span of the 1000 px photo


def test_all_facings_sold_out_is_missing(catalog, rule, judge):
    shelf = layout([[COLA] * 2 + [LEMON] * 3], catalog, actual={(1, 0): None, (1, 1): None})
    assert not judge(shelf, rule("required_product", sku=COLA)).passed


def test_unknown_zone_for_this_camera_is_not_applicable(catalog, rule, judge):
    shelf = layout([[COLA] * 3], catalog)
    outcome = judge(shelf, rule("required_product", sku=LEMON, zone="nowhere")).outcomes[0]
    assert not outcome.applicable and outcome.ok


@pytest.mark.parametrize("params", [{}, {"sku": COLA, "brand": "colaco"}])
def test_needs_exactly_one_target(rule, params):
    with pytest.raises(ValidationError, match="sku, brand"):
        rule("required_product", **params)
