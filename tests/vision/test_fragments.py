"""Fragments of one lying product are joined; real neighbours are not."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline import keys
from pipeline.detections import field_values, make_detections
from pipeline.vision.fragments import merge_lying_fragments

ASPECTS = {"water": 0.3, "can": 0.55}  # upright width / height


def _det(rows):
    """rows: (box, sku, orientation, score)"""
    det = make_detections([r[0] for r in rows], kind=[keys.PRODUCT] * len(rows))
    det.data[keys.SKU] = np.array([r[1] for r in rows], dtype=object)
    det.data[keys.ORIENTATION] = np.array([r[2] for r in rows], dtype=object)
    det.data[keys.SKU_SCORE] = np.array([r[3] for r in rows], dtype=object)
    return det


# a lying water bottle is 30 px high, so about 30 / 0.3 = 100 px long
@pytest.mark.parametrize(("rows", "expected"), [
    # cut in two halves side by side: one box
    ([([100, 500, 150, 530], "water", "lying", 0.9), ([152, 501, 205, 530], "water", "lying", 0.8)],
     [[100, 500, 205, 530]]),
    # two overlapping boxes on one bottle; one fragment named unknown
    ([([100, 500, 190, 530], "water", "lying", 0.9), ([120, 500, 205, 531], "unknown", "lying", 0.4)],
     [[100, 500, 205, 531]]),
    # two whole bottles lying end to end: 200 px, twice a bottle -> apart
    ([([100, 500, 200, 530], "water", "lying", 0.9), ([201, 500, 300, 530], "water", "lying", 0.9)],
     [[100, 500, 200, 530], [201, 500, 300, 530]]),
    # upright neighbours are never joined
    ([([100, 430, 130, 530], "water", "upright", 0.9), ([131, 430, 161, 530], "water", "upright", 0.9)],
     [[100, 430, 130, 530], [131, 430, 161, 530]]),
    # different SKUs stay apart
    ([([100, 500, 150, 530], "water", "lying", 0.9), ([152, 500, 200, 530], "can", "lying", 0.9)],
     [[100, 500, 150, 530], [152, 500, 200, 530]]),
    # another shelf row
    ([([100, 500, 150, 530], "water", "lying", 0.9), ([152, 600, 200, 630], "water", "lying", 0.9)],
     [[100, 500, 150, 530], [152, 600, 200, 630]]),
    # far apart on the same row
    ([([100, 500, 140, 530], "water", "lying", 0.9), ([170, 500, 200, 530], "water", "lying", 0.9)],
     [[100, 500, 140, 530], [170, 500, 200, 530]]),
])
def test_fragments_of_a_lying_product_are_joined(rows, expected):
    out = merge_lying_fragments(_det(rows), ASPECTS.get)
    np.testing.assert_allclose(out.xyxy, expected)


def test_the_joined_box_keeps_the_known_sku_and_other_boxes_untouched():
    rows = [([120, 500, 205, 531], "unknown", "lying", 0.4),
            ([100, 500, 190, 530], "water", "lying", 0.9),
            ([300, 430, 330, 530], "can", "upright", 0.9)]
    det = _det(rows)
    out = merge_lying_fragments(det, ASPECTS.get)
    assert list(field_values(out, keys.SKU)) == ["water", "can"]
    assert len(det) == 3  # the input is not changed


def test_as_an_engine_step_every_photo_is_merged_with_the_shapes_it_was_built_with():
    from pipeline.vision.fragments import MergeLyingFragments
    from pipeline.vision.stage import Batch

    halves = [([100, 500, 150, 530], "water", "lying", 0.9),
              ([152, 501, 205, 530], "water", "lying", 0.8)]
    batch = Batch.of([np.zeros((8, 8, 3), np.uint8)] * 2, [_det(halves), _det(halves[:1])])
    out = MergeLyingFragments(ASPECTS.get).run(batch)
    assert [len(d) for d in out.detections] == [1, 1]
    assert [len(d) for d in batch.detections] == [2, 1]  # the batch given is not changed
    unknown_shapes = MergeLyingFragments(lambda sku: None).run(batch)
    assert [len(d) for d in unknown_shapes.detections] == [2, 1]
