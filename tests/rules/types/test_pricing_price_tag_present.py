"""price_tag_present: every SKU block has a price tag on the shelf edge under it."""

from __future__ import annotations

import pytest

from tests.factories.shelves import CHIPS, COLA, KING, LEMON, ROW_H, layout

ROWS = [[COLA] * 4 + [LEMON] * 3, [CHIPS] * 5 + [KING] * 4]


@pytest.mark.parametrize("planogram", [True, False])
@pytest.mark.parametrize(
    ("no_tag", "missing"),
    [([], []), ([(1, LEMON)], [(1, LEMON)]), ([(1, COLA), (2, KING)], [(1, COLA), (2, KING)])],
)
def test_blocks_without_tags(catalog, rule, judge, planogram, no_tag, missing):
    result = judge(layout(ROWS, catalog, no_tag=no_tag), rule("price_tag_present"),
                   planogram=planogram)
    assert [(v.shelf, v.sku) for v in result.violations] == missing
    assert result.outcomes[0].checks == 4


def test_evidence_is_the_strip_under_the_block(catalog, rule, judge):
    shelf = layout(ROWS, catalog, no_tag=[(2, CHIPS)])
    (violation,) = judge(shelf, rule("price_tag_present")).violations
    x0, y0, x1, y1 = violation.boxes[0]
    assert y0 == pytest.approx(2 * ROW_H) and y1 > y0
    assert x0 < 20 + 30 < x1  # covers the block's first facing's centre
    assert violation.message == "No price tag under Crunchy Original Chips 70g on shelf 2"


def test_a_tag_under_another_block_does_not_count(catalog, rule, judge):
    shelf = layout([[COLA] * 6], catalog)
    # move the only tag under shelf 1 far right, outside the planned block
    det = shelf.photo.detections
    det.xyxy[-1] = [900, ROW_H + 4, 940, ROW_H + 26]
    assert not judge(shelf, rule("price_tag_present")).passed


def test_planned_block_sold_out_still_needs_its_tag(catalog, rule, judge):
    shelf = layout(ROWS, catalog, actual={(1, p): None for p in range(4)}, no_tag=[(1, COLA)])
    assert [v.sku for v in judge(shelf, rule("price_tag_present")).violations] == [COLA]
