"""forbidden_product: competitors inside a brand's space, or listed brands / SKUs / categories."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from pipeline.planogram import Zone
from tests.factories.shelves import CHIPS, COLA, KING, LEMON, WATER, ZERO, layout

ROWS = [[COLA] * 5 + [LEMON] * 4, [CHIPS] * 5 + [KING] * 4]


@pytest.mark.parametrize(
    ("actual", "flagged"),
    [
        ({}, []),
        ({(1, 2): LEMON}, [LEMON]),        # FizzUp in ColaCo's block
        ({(1, 6): ZERO}, [ZERO]),          # ColaCo in FizzUp's block
        ({(1, 2): ZERO}, []),              # own brand, wrong SKU: not a competitor
        ({(1, 2): WATER}, []),             # another category: not a competitor
        ({(2, 7): CHIPS, (1, 0): LEMON}, [LEMON, CHIPS]),
        ({(1, 2): "unknown"}, []),
    ],
)
def test_competitors_in_planned_blocks(catalog, rule, judge, actual, flagged):
    result = judge(layout(ROWS, catalog, actual=actual),
                   rule("forbidden_product", forbid="competitors"))
    assert [v.sku for v in result.violations] == flagged


def test_without_planogram_runs_of_one_sku_own_their_space(catalog, rule, judge):
    shelf = layout(ROWS, catalog, actual={(1, 2): LEMON})
    result = judge(shelf, rule("forbidden_product", forbid="competitors"), planogram=False)
    (violation,) = result.violations
    assert violation.message == ("FizzUp Lemon 330ml can does not belong in ColaCo's space "
                                 "on shelf 1 — take it out")


def test_brand_zone_owns_its_area(catalog, rule, judge):
    zone = Zone(id="cola-zone", brand="colaco", shelves=(1, 1), x=(0.0, 0.6))
    shelf = layout(ROWS, catalog, zones=[zone])  # FizzUp's planned block reaches into x < 0.6
    result = judge(shelf, rule("forbidden_product", forbid="competitors", zone="cola-zone"))
    assert {v.sku for v in result.violations} == {LEMON}
    assert all(v.boxes[0][0] < 600 for v in result.violations)


def test_any_brand_widens_competitors(catalog, rule, judge):
    shelf = layout(ROWS, catalog, actual={(1, 2): WATER})
    assert judge(shelf, rule("forbidden_product", forbid="competitors", any_brand=True)).violations


def test_listed_brands_skus_and_categories(catalog, rule, judge):
    shelf = layout(ROWS, catalog)
    assert len(judge(shelf, rule("forbidden_product", brands=["fizzup"])).violations) == 4
    assert len(judge(shelf, rule("forbidden_product", skus=[KING], shelf=2)).violations) == 4
    assert len(judge(shelf, rule("forbidden_product", categories=["snacks"],
                                 shelf=1)).violations) == 0


def test_owner_for_a_zone_without_brand(catalog, rule, judge):
    zone = Zone(id="end", shelves=(1, 1), x=(0.0, 0.3))
    shelf = layout(ROWS, catalog, actual={(1, 1): LEMON}, zones=[zone])
    r = rule("forbidden_product", forbid="competitors", zone="end", owner="colaco")
    assert [v.sku for v in judge(shelf, r).violations] == [LEMON]


def test_something_must_be_forbidden(rule):
    with pytest.raises(ValidationError, match="say what is forbidden"):
        rule("forbidden_product")
