"""The one shape of a vision stage: a batch in, a new batch out; memory travels with it."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline import keys
from pipeline.detections import field_values, make_detections
from pipeline.vision.stage import Batch, name_in_domain, unnamed


def _images(n):
    return [np.zeros((8, 8, 3), np.uint8) for _ in range(n)]


def test_a_new_batch_has_empty_detections_no_cameras_and_trusts_every_photo():
    batch = Batch.of(_images(2))
    assert [len(d) for d in batch.detections] == [0, 0]
    assert all(keys.KIND in d.data for d in batch.detections)
    assert batch.cameras == (None, None) and batch.trusted == (True, True)
    assert batch.memory == {} and len(batch) == 2


def test_a_batch_must_say_something_of_every_photo():
    with pytest.raises(ValueError, match="2 photos but 1 cameras"):
        Batch.of(_images(2), cameras=["s/c"])


def test_changes_give_new_batches():
    batch = Batch.of(_images(3), cameras=["s/a", None, "s/c"], trusted=[True, False, True],
                     memory={"read_text": "tags"})
    remembered = batch.remembering("recognize", "labels")
    assert remembered.memory == {"read_text": "tags", "recognize": "labels"}
    assert batch.memory == {"read_text": "tags"}
    part = batch.part([2, 0])
    assert part.cameras == ("s/c", "s/a") and part.trusted == (True, True)
    assert part.memory == batch.memory
    with pytest.raises(AttributeError):
        batch.cameras = ()  # frozen


def _products(n=1):
    det = make_detections([[0, 0, 4, 4]] * n + [[0, 5, 4, 7]],
                          kind=[keys.PRODUCT] * n + [keys.PRICE_TAG],
                          sku=["cola"] * n + [None], brand=["ColaCo"] * n + [None],
                          sku_score=[0.9] * n + [None])
    return det


def test_on_photos_out_of_the_models_domain_products_are_not_named():
    seen = []

    def name(part):
        seen.append(len(part))
        return part.remembering("recognize", "new memory")

    batch = Batch.of(_images(2), [_products(), _products()], trusted=[False, True],
                     memory={"recognize": "old memory"})
    out = name_in_domain(batch, name)
    assert seen == [1]  # the foreign photo was not shown
    assert list(field_values(out.detections[0], keys.SKU)) == [keys.UNKNOWN, None]
    assert list(field_values(out.detections[0], keys.BRAND)) == [None, None]
    assert list(field_values(out.detections[1], keys.SKU)) == ["cola", None]
    assert out.memory == {"recognize": "new memory"}
    assert list(field_values(batch.detections[0], keys.SKU)) == ["cola", None]  # unchanged
    nobody = name_in_domain(Batch.of(_images(1), [_products()], trusted=[False]), name)
    assert seen == [1] and nobody.memory == {}


def test_unnamed_copies():
    det = _products(2)
    out = unnamed(det)
    assert list(field_values(out, keys.SKU_SCORE)) == [None, None, None]
    assert list(field_values(det, keys.SKU_SCORE)) == [0.9, 0.9, None]
