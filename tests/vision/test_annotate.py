"""Annotated photos: coloured by kind, labelled, violations in red; the input is not changed."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from pipeline import keys
from pipeline.detections import PhotoDetections, make_detections
from pipeline.vision.annotate import annotate, label_of


def _photo():
    det = make_detections(
        [[10, 10, 60, 90], [70, 10, 120, 90], [10, 100, 60, 120], [130, 10, 190, 40]],
        kind=[keys.PRODUCT, keys.PRODUCT, keys.PRICE_TAG, keys.PROMO],
        sku=["colaco-cola-330", keys.UNKNOWN, None, None],
        sku_score=[0.91, 0.2, None, None],
        orientation=[keys.UPRIGHT, keys.LYING, None, None],
        text=[None, None, "¥3.50", "特价 SALE"],
        price=[None, None, 3.5, None],
    )
    return PhotoDetections(path="x.jpg", width=200, height=140, detections=det)


def _blank():
    return Image.new("RGB", (200, 140), (255, 255, 255))


def _is_red(pixel):
    r, g, b = pixel[:3]
    return r > 180 and g < 90 and b < 90


@pytest.mark.parametrize(
    ("kind", "row", "label"),
    [
        (keys.PRODUCT, {keys.SKU: "cola-330", keys.SKU_SCORE: 0.84}, "cola-330 0.84"),
        (keys.PRODUCT, {keys.SKU: "cola-330", keys.SKU_SCORE: 0.5,
                        keys.ORIENTATION: keys.LYING}, "cola-330 0.50 (lying)"),
        (keys.PRODUCT, {}, ""),
        (keys.PRICE_TAG, {keys.TEXT: "¥3.50", keys.PRICE: 3.5}, "¥3.50"),
        (keys.PRICE_TAG, {keys.PRICE: 3.5}, "3.50"),
        (keys.PROMO, {keys.TEXT: "特价"}, "特价"),
        (keys.GAP, {}, "gap"),
    ],
)
def test_labels(kind, row, label):
    assert label_of(kind, row) == label


def test_draws_boxes_and_keeps_the_input():
    scene = _blank()
    out = annotate(scene, _photo())
    assert out.size == scene.size and out is not scene
    assert np.asarray(scene).min() == 255  # untouched
    assert (np.asarray(out) != 255).any(axis=2).sum() > 500


def test_violation_evidence_is_red_and_passing_products_are_not():
    violation = {"type": "wrong_price", "boxes": [[10, 100, 60, 120]]}
    out = np.asarray(annotate(_blank(), _photo(), violations=[violation]))
    assert _is_red(out[110, 10])  # left edge of the flagged tag
    assert not _is_red(out[50, 10])  # left edge of a passing product


def test_evidence_without_a_detection_is_drawn_too():
    class Gap:  # an object with .boxes/.type like pipeline.rules.result.Violation
        type = "gap"
        boxes = ((140, 60, 190, 130),)

    out = np.asarray(annotate(_blank(), _photo(), violations=[Gap()]))
    assert _is_red(out[95, 140])


def test_layers_choose_what_is_drawn():
    only_tags = np.asarray(annotate(_blank(), _photo(), layers={keys.PRICE_TAG}))
    assert (only_tags[50, 10] == 255).all()  # product edge not drawn
    assert (only_tags[110, 10] != 255).any()  # tag edge drawn


def test_works_on_arrays_and_empty_detections():
    image = np.full((50, 80, 3), 255, dtype=np.uint8)
    empty = PhotoDetections(path="e.jpg", width=80, height=50)
    assert np.asarray(annotate(image, empty)).min() == 255


def _is_grey(pixel):
    from pipeline.vision.annotate import COLOURS, ROWS

    hexes = COLOURS[ROWS][0]
    return tuple(pixel[:3]) == tuple(int(hexes[i:i + 2], 16) for i in (1, 3, 5))


def test_kept_shelf_rows_are_drawn_grey_along_the_line_when_their_layer_is_on():
    from pipeline.vision.annotate import ROWS

    photo = _photo()
    photo.extra[ROWS] = [{"shelf": 1, "line": 95.0, "top": 0.0, "x0": 10.0, "x1": 120.0}]
    out = np.asarray(annotate(_blank(), photo))
    assert _is_grey(out[95, 65]) and _is_grey(out[95, 110])  # along the line
    assert not _is_grey(out[95, 150])  # not past the row's end
    off = np.asarray(annotate(_blank(), photo, layers={keys.PRODUCT, keys.PRICE_TAG}))
    assert not _is_grey(off[95, 65])
    assert not _is_grey(np.asarray(annotate(_blank(), _photo()))[95, 65])  # none kept: none
