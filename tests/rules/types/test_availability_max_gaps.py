"""max_gaps: empty spans (given gap boxes, or inferred from product boxes) over a maximum."""

from __future__ import annotations

import pytest

from pipeline import keys
from pipeline.detections import PhotoDetections, make_detections
from pipeline.planogram import Block, Planogram, Shelf
from tests.factories.shelves import CHIPS, COLA, KING, PRODUCT_W, layout, x_of

ROWS = [[COLA] * 6 + [KING] * 4, [CHIPS] * 8]


@pytest.mark.parametrize(
    ("removed", "gaps"),
    [
        ([], 0),
        ([(1, 2)], 1),                     # one facing inside a block
        ([(1, 2), (1, 3)], 1),             # two neighbouring facings: one gap
        ([(1, 1), (1, 4)], 2),
        ([(1, 0)], 1),                     # at the shelf's left end
        ([(1, 9)], 1),                     # at the right end (planogram extent)
        ([(1, 5), (1, 6)], 2),             # across a block boundary: two SKUs out
        ([(2, 3)], 1),
    ],
)
def test_gaps_inferred_from_products(catalog, rule, judge, removed, gaps):
    shelf = layout(ROWS, catalog, actual={k: None for k in removed})
    result = judge(shelf, rule("max_gaps"))
    assert len(result.violations) == gaps
    for violation, (shelf_no, pos) in zip(result.violations, sorted(removed), strict=False):
        assert violation.shelf == shelf_no
        x0, _, x1, _ = violation.boxes[0]
        assert x0 <= x_of(pos) + PRODUCT_W / 2 <= x1


def test_max_allows_some_gaps(catalog, rule, judge):
    shelf = layout(ROWS, catalog, actual={(1, 1): None, (2, 4): None})
    assert not judge(shelf, rule("max_gaps", max=1)).passed
    assert judge(shelf, rule("max_gaps", max=2)).passed
    outcome = judge(shelf, rule("max_gaps", max=1)).outcomes[0]
    assert (outcome.checks, outcome.passed, len(outcome.violations)) == (1, 0, 2)


def test_min_width_ignores_narrow_gaps(catalog, rule, judge):
    shelf = layout(ROWS, catalog, actual={(1, 1): None, (2, 3): None, (2, 4): None})
    widths = sorted(float(v.message.split("about ")[1].split()[0])
                    for v in judge(shelf, rule("max_gaps")).violations)
    assert widths[0] == pytest.approx(1.1, abs=0.1) and widths[1] == pytest.approx(2.2, abs=0.1)
    (wide,) = judge(shelf, rule("max_gaps", min_width=1.5)).violations
    assert wide.shelf == 2


def test_given_gap_boxes_are_used_instead_of_inference(catalog, rule):
    from pipeline.rules.engine import evaluate

    det = make_detections([[20, 50, 80, 200], [300, 50, 360, 200], [100, 60, 280, 200]],
                          kind=[keys.PRODUCT, keys.PRODUCT, keys.GAP], sku=[COLA, COLA, None])
    photo = PhotoDetections("p.jpg", 400, 300, det)
    (violation,) = evaluate(photo, [rule("max_gaps")], catalog).violations
    assert violation.boxes[0] == (100.0, 60.0, 280.0, 200.0)


def test_no_gap_between_tightly_packed_products(catalog, rule, judge):
    assert judge(layout(ROWS, catalog), rule("max_gaps")).passed


def _two_blocks(product_xs: list[float]) -> tuple[PhotoDetections, Planogram]:
    """One shelf planned as two 5-facing blocks of 100 px (COLA 0-500, KING 500-1000)."""
    det = make_detections([[x, 50, x + 100, 200] for x in product_xs], kind=keys.PRODUCT,
                          sku=[COLA if x < 450 else KING for x in product_xs])
    plan = Planogram(id="p", shelves=[Shelf(index=1, blocks=[
        Block(sku=COLA, x=(0.0, 0.5), facings=5), Block(sku=KING, x=(0.5, 1.0), facings=5)])])
    return PhotoDetections("p.jpg", 1000, 300, det), plan


@pytest.mark.parametrize(
    ("empty", "products"),
    [
        ((450, 550), [50, 150, 250, 350, 550, 650, 750, 850]),  # half in each block
        ((420, 520), [20, 120, 220, 320, 520, 620, 720, 820]),  # mostly in COLA's
    ],
)
def test_one_empty_facing_across_a_block_boundary_is_one_gap(catalog, rule, empty, products):
    from pipeline.rules.engine import evaluate

    photo, plan = _two_blocks(products)
    (violation,) = evaluate(photo, [rule("max_gaps")], catalog, plan).violations
    x0, _, x1, _ = violation.boxes[0]
    assert (x0, x1) == empty
