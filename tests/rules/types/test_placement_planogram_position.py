"""planogram_position: each facing of a planned SKU on its planned shelf and span."""

from __future__ import annotations

import pytest

from tests.factories.shelves import CHIPS, COLA, KING, LEMON, WATER, ZERO, layout

ROWS = [[COLA] * 4 + [ZERO] * 4 + [LEMON] * 3, [CHIPS] * 5 + [KING] * 4]


@pytest.mark.parametrize(
    ("actual", "flagged"),
    [
        ({}, []),
        ({(1, 1): ZERO}, [(1, ZERO)]),       # right shelf, wrong span
        ({(2, 1): COLA}, [(2, COLA)]),       # wrong shelf
        ({(2, 6): COLA}, [(2, COLA)]),      # another category in a snacks block
        ({(1, 9): LEMON}, []),               # where it belongs
        ({(1, 1): LEMON}, []),               # competitor in ColaCo's block: forbidden_product's job
        ({(1, 1): WATER}, []),               # not in the planogram: ignored by default
        ({(1, 1): "unknown"}, []),
    ],
)
def test_misplaced_facings(catalog, rule, judge, actual, flagged):
    result = judge(layout(ROWS, catalog, actual=actual), rule("planogram_position"))
    assert [(v.shelf, v.sku) for v in result.violations] == flagged


def test_message_names_the_planned_shelf(catalog, rule, judge):
    shelf = layout(ROWS, catalog, actual={(2, 1): COLA})
    (violation,) = judge(shelf, rule("planogram_position")).violations
    assert violation.message == ("ColaCo Cola 330ml can is on shelf 2 at the wrong place; "
                                 "planned on shelf 1")


def test_options_flag_unplanned_and_competitors(catalog, rule, judge):
    shelf = layout(ROWS, catalog, actual={(1, 1): WATER, (1, 2): LEMON})
    assert [v.sku for v in judge(shelf, rule("planogram_position", unplanned="flag")).violations
            ] == [WATER]
    flagged = judge(shelf, rule("planogram_position", skip_competitors=False)).violations
    assert [v.sku for v in flagged] == [LEMON]


def test_tolerance_in_product_widths(catalog, rule, judge):
    shelf = layout(ROWS, catalog)
    shelf.planogram.shelves[0].blocks[1].x = (0.32, 0.5)  # 14 px right of the 1st ZERO
    assert len(judge(shelf, rule("planogram_position", tolerance=0.0)).violations) == 1
    assert judge(shelf, rule("planogram_position", tolerance=1.0)).passed


def test_not_applicable_without_planogram(catalog, rule, judge):
    shelf = layout(ROWS, catalog, actual={(2, 1): COLA})
    outcome = judge(shelf, rule("planogram_position"), planogram=False).outcomes[0]
    assert not outcome.applicable and outcome.ok


def test_a_lying_product_is_left_to_the_orientation_rule_unless_asked(catalog, rule, judge):
    shelf = layout(ROWS, catalog, actual={(2, 1): COLA}, lying=[(2, 1)])  # misplaced, lying
    assert judge(shelf, rule("planogram_position")).passed
    (violation,) = judge(shelf, rule("planogram_position", include_lying=True)).violations
    assert (violation.shelf, violation.sku) == (2, COLA)


def test_a_product_named_without_confidence_is_not_judged(catalog, rule, judge):
    shelf = layout(ROWS, catalog, actual={(2, 1): COLA, (2, 3): ZERO})  # two misplaced cans
    data = shelf.photo.detections.data
    # every product named at 0.99 but the ColaCo can at 0.7; tags have no score
    data["sku_score"] = [None if kind != "product" else 0.7 if sku == COLA and row == 2
                         else 0.99 for kind, sku, row in zip(data["kind"], data["sku"],
                                                             data["shelf"], strict=True)]
    assert [v.sku for v in judge(shelf, rule("planogram_position")).violations] == [ZERO]
    both = judge(shelf, rule("planogram_position", min_sku_score=0.5)).violations
    assert sorted(v.sku for v in both) == sorted([COLA, ZERO])
