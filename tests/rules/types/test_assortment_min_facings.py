"""min_facings: at least N facings of a SKU / brand / category in the zone or shelf range."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from pipeline.planogram import Zone
from tests.factories.shelves import CHIPS, KING, LEMON, layout

SNACKS = [[CHIPS] * 5 + [KING] * 3, [CHIPS] * 2 + [KING] * 4]


@pytest.mark.parametrize(
    ("params", "found", "passes"),
    [
        ({"sku": CHIPS, "min": 7}, 7, True),
        ({"sku": CHIPS, "min": 8}, 7, False),
        ({"brand": "chipking", "min": 7}, 7, True),
        ({"brand": "chipking", "min": 7, "shelf": 2}, 4, False),
        ({"category": "snacks", "min": 14}, 14, True),
        ({"sku": LEMON, "min": 1}, 0, False),
    ],
)
def test_counts_facings_in_scope(catalog, rule, judge, params, found, passes):
    result = judge(layout(SNACKS, catalog), rule("min_facings", **params))
    assert result.passed is passes
    if not passes:
        assert f"{found} facings" in result.violations[0].message


def test_gaps_and_intruders_do_not_count(catalog, rule, judge):
    shelf = layout(SNACKS, catalog, actual={(1, 0): None, (1, 1): KING})
    result = judge(shelf, rule("min_facings", sku=CHIPS, min=6))
    (violation,) = result.violations
    assert "5 facings" in violation.message and "at least 6" in violation.message
    assert len(violation.boxes) == 5  # evidence: the facings that are there


def test_zone_limits_the_count(catalog, rule, judge):
    left = Zone(id="left", shelves=(1, 2), x=(0.0, 0.2))
    result = judge(layout(SNACKS, catalog, zones=[left]),
                   rule("min_facings", sku=CHIPS, min=6, zone="left"))
    # x 0-200 px holds the first 3 facings of shelf 1 and both facings of shelf 2
    assert "5 facings in left" in result.violations[0].message


def test_custom_message_template(catalog, rule, judge):
    r = rule("min_facings", sku=CHIPS, min=9, message="{name}: only {found} of {min} — restock")
    result = judge(layout(SNACKS, catalog), r)
    assert result.violations[0].message == "Crunchy Original Chips 70g: only 7 of 9 — restock"


@pytest.mark.parametrize("bad", [{"sku": CHIPS}, {"sku": CHIPS, "min": 0}])
def test_min_is_required_and_positive(rule, bad):
    with pytest.raises(ValidationError):
        rule("min_facings", **bad)
