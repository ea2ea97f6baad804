"""orientation: products (of a SKU / brand / category, or all) must stand upright."""

from __future__ import annotations

import pytest

from pipeline import keys
from tests.factories.shelves import ALPS, COLA, WATER, layout

ROWS = [[COLA] * 5, [WATER] * 4 + [ALPS] * 4]


@pytest.mark.parametrize(
    ("params", "lying", "violations"),
    [
        ({"category": "bottled-water"}, [(2, 1)], 1),
        ({"category": "bottled-water"}, [(1, 1)], 0),   # a lying can is not water
        ({}, [(1, 1), (2, 6)], 2),
        ({"brand": "alpspure"}, [(2, 1), (2, 6)], 1),
        ({"sku": WATER, "shelf": 1}, [(2, 1)], 0),
    ],
)
def test_lying_products_are_flagged(catalog, rule, judge, params, lying, violations):
    result = judge(layout(ROWS, catalog, lying=lying), rule("orientation", **params))
    assert len(result.violations) == violations


def test_violation_per_product_with_its_box(catalog, rule, judge):
    shelf = layout(ROWS, catalog, lying=[(2, 5)])
    outcome = judge(shelf, rule("orientation", category="bottled-water")).outcomes[0]
    assert (outcome.checks, outcome.passed) == (8, 7)
    (violation,) = outcome.violations
    assert violation.sku == ALPS and violation.shelf == 2
    assert violation.message == "AlpsPure Mineral Water 500ml is lying down on shelf 2 — stand it upright"
    x0, y0, x1, y1 = violation.boxes[0]
    assert x1 - x0 > y1 - y0  # wider than tall: lying


def test_unknown_orientation_passes(catalog, rule, judge):
    shelf = layout(ROWS, catalog)
    shelf.photo.detections.data[keys.ORIENTATION][:] = None
    assert judge(shelf, rule("orientation")).passed


@pytest.mark.parametrize(("params", "violations"), [({}, 1), ({"include_unknown": True}, 2)])
def test_unrecognised_products_are_judged_only_when_asked(catalog, rule, judge, params,
                                                          violations):
    shelf = layout(ROWS, catalog, actual={(1, 2): keys.UNKNOWN}, lying=[(1, 2), (2, 1)])
    result = judge(shelf, rule("orientation", **params))
    assert len(result.violations) == violations
    assert result.outcomes[0].checks == (13 if params else 12)  # 13 products, one unknown
