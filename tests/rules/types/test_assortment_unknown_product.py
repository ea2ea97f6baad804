"""unknown_product: every product in scope must be a catalog SKU."""

from __future__ import annotations

from tests.factories.shelves import CHIPS, COLA, layout


def test_each_unrecognised_product_is_a_violation(catalog, rule, judge):
    shelf = layout([[COLA] * 5, [CHIPS] * 4], catalog,
                   actual={(1, 1): "unknown", (2, 3): "unknown"})
    outcome = judge(shelf, rule("unknown_product")).outcomes[0]
    assert (outcome.checks, outcome.passed, len(outcome.violations)) == (9, 7, 2)
    assert [v.shelf for v in outcome.violations] == [1, 2]
    assert outcome.violations[0].message == "Unrecognised product on shelf 1 — not in the catalog"


def test_sku_not_in_catalog_counts_as_unknown(catalog, rule, judge):
    shelf = layout([[COLA] * 3], catalog, actual={(1, 2): "mystery-cola-999"})
    (violation,) = judge(shelf, rule("unknown_product")).violations
    assert violation.sku == "mystery-cola-999"


def test_low_sku_score_counts_when_asked(catalog, rule, judge):
    shelf = layout([[COLA] * 3], catalog)
    shelf.photo.detections.data["sku_score"] = [0.9, 0.3, 0.8, None]  # 3 products + 1 tag
    assert judge(shelf, rule("unknown_product")).passed
    (violation,) = judge(shelf, rule("unknown_product", min_sku_score=0.5)).violations
    assert violation.boxes[0][0] == 84.0  # the second facing


def test_shelf_scope(catalog, rule, judge):
    shelf = layout([[COLA] * 3, [CHIPS] * 3], catalog, actual={(2, 0): "unknown"})
    assert judge(shelf, rule("unknown_product", shelf=1)).passed
    assert not judge(shelf, rule("unknown_product", shelf=2)).passed


def test_a_product_cut_by_the_photo_border_is_skipped_unless_asked(catalog, rule, judge):
    from pipeline import keys

    shelf = layout([[COLA] * 3], catalog, actual={(1, 0): "unknown", (1, 1): "unknown"})
    boxes = shelf.photo.detections.xyxy
    first = [i for i in range(len(boxes)) if shelf.photo.detections.data[keys.KIND][i]
             == keys.PRODUCT][0]
    boxes[first, 0] = 0.0  # the photo starts in the middle of the first pack
    skipped = judge(shelf, rule("unknown_product")).outcomes[0]
    assert (skipped.checks, len(skipped.violations)) == (2, 1)
    checked = judge(shelf, rule("unknown_product", at_photo_edge="check")).outcomes[0]
    assert (checked.checks, len(checked.violations)) == (3, 2)


def test_without_the_photo_size_only_the_left_and_top_borders_are_known(catalog, rule, judge):
    from dataclasses import replace

    from pipeline.detections import PhotoDetections

    shelf = layout([[COLA] * 3], catalog, actual={(1, 2): "unknown"})
    sizeless = replace(shelf, photo=PhotoDetections(shelf.photo.path, 0, 0,
                                                    shelf.photo.detections))
    (violation,) = judge(sizeless, rule("unknown_product")).violations  # not every box "cut"
    assert violation.sku == "unknown"
