"""Faint product boxes: kept where named like a confident facing beside them, else dropped."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline import keys
from pipeline.detections import field_values, make_detections, of_kind
from pipeline.vision.faint import ConfirmFaint, DropFaint, confirmed
from pipeline.vision.stage import Batch

# three cans side by side on one shelf, a fourth far right, one on the shelf below
SHELF = [[0, 50, 20, 100], [22, 50, 42, 100], [44, 50, 64, 100], [200, 50, 220, 100],
         [22, 150, 42, 200]]
NAMES = {1: "can", 0: "cola", -1: keys.UNKNOWN, -2: keys.EMPTY}


def _named(index, faint, lying=()):
    """The shelf named as a recognizer would: ``index`` per box (see NAMES), faint marks."""
    det = make_detections(SHELF, kind=keys.PRODUCT, sku=[NAMES[i] for i in index],
                          orientation=[keys.LYING if i in lying else keys.UPRIGHT
                                       for i in range(len(SHELF))])
    det.data[keys.FAINT] = np.array(faint, dtype=bool)
    return det


def _kept(det, out):
    return [int(any((box == row).all() for row in out.xyxy)) for box in det.xyxy]


@pytest.mark.parametrize(("index", "faint", "kept"), [
    # the faint box 2 named a can like its confident neighbour 1: a facing
    ([1, 1, 1, 1, 0], [0, 0, 1, 0, 0], [1, 1, 1, 1, 1]),
    # named another SKU than anything beside it, unknown, or empty shelf: dropped
    ([1, 1, 0, 1, 0], [0, 0, 1, 0, 0], [1, 1, 0, 1, 1]),
    ([1, 1, -1, 1, 0], [0, 0, 1, 0, 0], [1, 1, 0, 1, 1]),
    ([1, 1, -2, 1, 0], [0, 0, 1, 0, 0], [1, 1, 0, 1, 1]),
    # alone at the far right (box 3), or beside only another faint box: dropped
    ([1, 1, 1, 1, 0], [0, 0, 0, 1, 0], [1, 1, 1, 0, 1]),
    ([0, 1, 1, 1, 0], [0, 1, 1, 0, 0], [1, 0, 0, 1, 1]),
])
def test_a_faint_box_is_kept_when_named_like_a_confident_facing_beside_it(index, faint, kept):
    det = _named(index, faint)
    out = confirmed(det)
    assert _kept(det, out) == kept
    assert keys.FAINT not in out.data and keys.FAINT in det.data  # the input is not changed


def test_a_faint_box_named_lying_is_dropped():
    assert _kept(_named([1, 1, 1, 1, 0], [0, 0, 1, 0, 0]),
                 confirmed(_named([1, 1, 1, 1, 0], [0, 0, 1, 0, 0])))[2] == 1
    lying = _named([1, 1, 1, 1, 0], [0, 0, 1, 0, 0], lying={2})
    assert _kept(lying, confirmed(lying))[2] == 0


def test_other_kinds_and_unmarked_detections_pass_through():
    det = make_detections([*SHELF[:2], [0, 101, 20, 110]],
                          kind=[keys.PRODUCT, keys.PRODUCT, keys.PRICE_TAG], sku=["can"] * 3)
    assert confirmed(det) is det  # no marks: nothing to settle
    det.data[keys.FAINT] = np.array([False, True, False])
    out = confirmed(det)  # a faint can beside a can: kept; the tag untouched
    assert list(field_values(out, keys.KIND)) == [keys.PRODUCT, keys.PRODUCT, keys.PRICE_TAG]


def test_the_steps_settle_every_photo_of_a_batch():
    dets = [_named([1, 1, 1, 1, 0], [0, 0, 1, 1, 0]), _named([1, 1, 1, 1, 0], [0, 0, 0, 0, 0])]
    batch = Batch.of([np.zeros((8, 8, 3), np.uint8)] * 2, dets)
    step = ConfirmFaint()
    out = step.run(batch)
    assert [len(d) for d in out.detections] == [4, 5]
    assert step.stats == {"faint": 2, "faint_kept": 1}
    assert [len(d) for d in batch.detections] == [5, 5]  # the batch given is not changed
    dropped = DropFaint().run(batch)
    assert [len(d) for d in dropped.detections] == [3, 5]
    assert all(keys.FAINT not in d.data for d in dropped.detections)


@pytest.fixture(scope="module")
def scene(catalog):
    from pipeline.synth import render_scene

    return render_scene(catalog, seed=31, width=800)


def test_recognized_faint_boxes_stay_only_beside_a_facing_of_the_same_sku(
        tiny_clip, catalog, scene, monkeypatch):
    """The recognizer names faint boxes like the others and keeps the mark; the next step
    keeps the faint facing in a block and drops the lone faint box."""
    from pipeline.vision.recognizer import Recognizer

    recognizer = Recognizer.load(tiny_clip, catalog, device="cpu")
    image = np.asarray(scene.image)
    products = of_kind(scene.truth.detections, keys.PRODUCT)
    row = products.xyxy[np.abs(products.xyxy[:, 3] - products.xyxy[0, 3]) < 2][:4]
    assert len(row) == 4
    w, h = row[0, 2] - row[0, 0], row[0, 3] - row[0, 1]
    alone = [image.shape[1] - w - 1, 1, image.shape[1] - 1, 1 + h]  # far from every product
    boxes = make_detections([*row.tolist(), alone], kind=[keys.PRODUCT] * 5)
    boxes.data[keys.FAINT] = np.array([False, True, False, False, True])
    real = recognizer.decide

    def all_one_sku(embeddings, aspects):  # as if every crop showed the same SKU
        labels = real(embeddings, aspects)
        labels.sku_index[:] = 0
        return labels

    monkeypatch.setattr(recognizer, "decide", all_one_sku)
    named = recognizer.run(Batch.of([image], [boxes]))
    assert len(named.detections[0]) == 5 and keys.FAINT in named.detections[0].data
    step = ConfirmFaint()
    (settled,) = step.run(named).detections
    np.testing.assert_allclose(settled.xyxy, row)  # the faint facing stays, the lone box goes
    assert keys.FAINT not in settled.data
    assert step.stats["faint_kept"] == 1
