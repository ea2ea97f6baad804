"""Shelf structure: rows from product bottoms and tag tops, shelf per box, gap inference."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline import keys
from pipeline.detections import field_values, make_detections
from pipeline.rules.shelves import assign_shelves, infer_gaps, infer_rows
from tests.factories.shelves import CHIPS, COLA, KING, ROW_H, WATER, layout, without_shelf


def _shelves(det):
    return list(field_values(assign_shelves(det, infer_rows(det)), keys.SHELF))


def test_rows_numbered_top_to_bottom(catalog):
    shelf = layout([[COLA] * 5, [WATER] * 4, [CHIPS] * 3 + [KING] * 3], catalog,
                   promos={(2, WATER): "特价"})
    det = without_shelf(shelf.photo).detections
    rows = infer_rows(det)
    assert [r.index for r in rows] == [1, 2, 3]
    assert [r.line for r in rows] == [ROW_H, 2 * ROW_H, 3 * ROW_H]
    assert _shelves(det) == list(field_values(shelf.photo.detections, keys.SHELF))


def test_order_of_boxes_does_not_matter(catalog):
    shelf = layout([[COLA] * 5, [WATER] * 4], catalog)
    det = without_shelf(shelf.photo).detections
    order = np.random.default_rng(3).permutation(len(det))
    assert _shelves(det[order]) == list(field_values(shelf.photo.detections, keys.SHELF)[order])


def test_uneven_product_heights_and_slight_tilt_stay_on_one_row():
    boxes = [[0, 50, 40, 200], [45, 120, 85, 203], [90, 10, 130, 197], [135, 160, 175, 201],
             [0, 300, 40, 420], [50, 250, 90, 418]]
    det = make_detections(boxes)
    assert _shelves(det) == [1, 1, 1, 1, 2, 2]


def test_empty_shelf_found_from_its_tag_row():
    boxes = [[0, 50, 40, 200], [50, 50, 90, 200], [10, 204, 40, 220],   # shelf 1 + tag
             [10, 404, 40, 420],                                        # shelf 2: only a tag
             [0, 450, 40, 600], [50, 450, 90, 600]]                     # shelf 3
    kinds = [keys.PRODUCT, keys.PRODUCT, keys.PRICE_TAG, keys.PRICE_TAG, keys.PRODUCT,
             keys.PRODUCT]
    det = make_detections(boxes, kind=kinds)
    rows = infer_rows(det)
    assert len(rows) == 3 and rows[1].line == 404
    assert _shelves(det) == [1, 1, 1, 2, 3, 3]


def test_given_shelf_is_ignored_unless_trusted(catalog):
    det = make_detections([[0, 50, 40, 200], [0, 250, 40, 400]], shelf=[7, 7])
    rows = infer_rows(det)
    assert list(field_values(assign_shelves(det, rows), keys.SHELF)) == [1, 2]
    assert list(field_values(assign_shelves(det, rows, trust_input=True), keys.SHELF)) == [7, 7]
    assert list(field_values(det, keys.SHELF)) == [7, 7]  # input unchanged


def test_no_detections_no_rows():
    assert infer_rows(make_detections([])) == []


@pytest.mark.parametrize(("k", "found"), [(0.8, 1), (2.0, 0)])
def test_gap_threshold_in_product_widths(k, found):
    det = make_detections([[0, 50, 40, 200], [44, 50, 84, 200], [140, 50, 180, 200]])
    det = assign_shelves(det, infer_rows(det))
    gaps = infer_gaps(det, infer_rows(det), k=k)
    assert len(gaps) == found
    if found:
        assert list(gaps.xyxy[0]) == [84, 50, 140, 200]


def test_gap_at_shelf_end_needs_the_planogram():
    det = make_detections([[0, 50, 40, 200], [44, 50, 84, 200]])
    det = assign_shelves(det, infer_rows(det))
    rows = infer_rows(det)
    assert len(infer_gaps(det, rows)) == 0
    (gap,) = infer_gaps(det, rows, planned={1: [(0, 200, 40)]}).xyxy
    assert list(gap) == [84, 50, 200, 200]


def test_gap_split_at_planned_block_boundary():
    det = make_detections([[0, 50, 40, 200], [200, 50, 240, 200]])
    det = assign_shelves(det, infer_rows(det))
    gaps = infer_gaps(det, infer_rows(det), planned={1: [(0, 120, 40), (120, 240, 40)]})
    assert [list(g) for g in gaps.xyxy] == [[40, 50, 120, 200], [120, 50, 200, 200]]


def test_one_empty_facing_across_a_block_boundary_is_one_gap():
    det = make_detections([[x, 50, x + 50, 200] for x in (25, 75, 125, 225, 275, 325)])
    det = assign_shelves(det, infer_rows(det))
    gaps = infer_gaps(det, infer_rows(det), planned={1: [(0, 200, 50), (200, 400, 50)]})
    assert [list(g) for g in gaps.xyxy] == [[175, 50, 225, 200]]  # 25 px in each block


def test_narrow_product_in_a_wide_slot_is_not_a_gap():
    """A small can standing in a wide bag's slot leaves space, but no facing is missing."""
    det = make_detections([[0, 50, 80, 200], [82, 50, 162, 200], [195, 50, 225, 200],
                           [246, 50, 326, 200]])
    det = assign_shelves(det, infer_rows(det))
    rows = infer_rows(det)
    assert len(infer_gaps(det, rows)) == 1  # without a plan: 33 px > 0.8 x the 30 px can
    assert len(infer_gaps(det, rows, planned={1: [(0, 328, 82)]})) == 0


def test_stray_short_box_on_the_header_board_starts_no_row():
    """A detector's false 'product' on the header board (short, no tag under it) is noise."""
    from pipeline.detections import make_detections
    from pipeline.rules.shelves import infer_rows

    shelf = [[x, 100, x + 40, 220] for x in range(0, 400, 45)]  # products standing on y=220
    tags = [[10, 225, 60, 245], [200, 225, 250, 245]]
    stray = [[300, 5, 330, 35]]  # 30 px tall, far above, no tag
    det = make_detections(shelf + tags + stray,
                          kind=["product"] * len(shelf) + ["price_tag"] * 2 + ["product"])
    rows = infer_rows(det)
    assert [r.index for r in rows] == [1]
    assert abs(rows[0].line - 220) < 1


def test_one_or_two_stray_boxes_above_the_tagged_shelves_start_no_row():
    """Two product-sized boxes at the photo's top edge, no tag under them, while the shelves
    below carry tags: a stray detection, not a shelf (it would shift every shelf number)."""
    stray = [[430, 0, 466, 100], [458, 1, 486, 99]]
    shelf = [[x, 100, x + 40, 250] for x in range(0, 400, 45)]
    tags = [[10, 254, 60, 270], [200, 254, 250, 270]]
    kinds = [keys.PRODUCT] * (len(stray) + len(shelf)) + [keys.PRICE_TAG] * len(tags)
    det = make_detections(stray + shelf + tags, kind=kinds)
    rows = infer_rows(det)
    assert len(rows) == 1 and rows[0].line == 250
    three = make_detections([*stray, [480, 0, 510, 100], *shelf, *tags],
                            kind=[keys.PRODUCT] * (3 + len(shelf)) + [keys.PRICE_TAG] * 2)
    assert len(infer_rows(three)) == 2  # three of them: a (partly visible) shelf after all


def test_sign_just_under_the_tag_strip_belongs_to_the_shelf_below():
    # shelf 1: products down to 200, tags 204-230 (strip 30 px deep); shelf 2 down to 400
    boxes = [[0, 50, 40, 200], [50, 50, 90, 200], [10, 204, 40, 230], [60, 204, 90, 230],
             [0, 250, 40, 400], [50, 250, 90, 400], [10, 404, 40, 430],
             [0, 227, 60, 245],   # headroom sign of shelf 2, top 0.9 strip depths down
             [50, 202, 90, 250]]  # wobbler hanging from shelf 1's edge, taller than the strip
    kinds = [keys.PRODUCT] * 2 + [keys.PRICE_TAG] * 2 + [keys.PRODUCT] * 2 + [keys.PRICE_TAG] \
        + [keys.PROMO] * 2
    det = make_detections(boxes, kind=kinds)
    assert _shelves(det)[-2:] == [2, 1]


@pytest.mark.parametrize(("lying_sku", "gaps"), [("water", 0), ("other", 1)])
def test_a_lying_product_covers_the_length_its_sku_stands_tall(lying_sku, gaps):
    # upright water bottles are 150 px tall; the lying one is boxed on its label only (40 px)
    det = make_detections([[0, 50, 40, 200], [70, 170, 110, 200], [150, 50, 190, 200]],
                          sku=["water", lying_sku, "water"],
                          orientation=[keys.UPRIGHT, keys.LYING, keys.UPRIGHT])
    rows = infer_rows(det)
    found = infer_gaps(assign_shelves(det, rows), rows)
    assert len(found) == gaps  # without an upright facing of its SKU: just its box
    if gaps:
        assert list(found.xyxy[0]) == [110, 50, 150, 200]


@pytest.mark.parametrize(("lying_box", "right", "gap"), [
    ([45, 170, 105, 200], 195, None),   # boxed on its body only: the neck lies up to 195
    ([135, 170, 195, 200], 200, None),  # boxed on its right end: the rest lies to its left
    ([45, 170, 195, 200], 300, [195, 300]),  # boxed whole: the empty slot after it is a gap
])
def test_a_lying_product_boxed_off_centre_may_reach_either_way(lying_box, right, gap):
    # upright water bottles 40 px wide, 150 px tall; the lying one is 150 px long
    det = make_detections([[0, 50, 40, 200], lying_box, [right, 50, right + 40, 200]],
                          sku=["water"] * 3, orientation=[keys.UPRIGHT, keys.LYING, keys.UPRIGHT])
    rows = infer_rows(det)
    found = infer_gaps(assign_shelves(det, rows), rows)
    assert [[int(v) for v in b[::2]] for b in found.xyxy] == ([gap] if gap else [])


def test_rows_from_product_bottoms_alone_keep_a_shelf_of_small_cans():
    """No tag anywhere (a product-only detector): a row of small cans under rows of tall
    bottles is still a shelf, though the cans are under 0.6 of the median product height."""
    bottles = [[x, 100, x + 40, 250] for x in range(0, 400, 45)]
    more = [[x, 300, x + 40, 450] for x in range(0, 400, 45)]
    cans = [[x, 600, x + 30, 650] for x in range(0, 200, 35)]
    det = make_detections(bottles + more + cans)
    assert [r.line for r in infer_rows(det)] == [250, 450, 650]
    two = make_detections(bottles + more + cans[:2])  # two short boxes: noise, no shelf
    assert [r.line for r in infer_rows(two)] == [250, 450]
