"""One lying product, one box: join the fragments a detector cuts a lying product into.

A bottle lying along the shelf is long and low, unlike anything the detector sees upright, and
detectors now and then cover it with two boxes side by side (or overlapping). Counted as they
are, one fallen bottle becomes two orientation violations and two facings.

Two product boxes are fragments of one lying product when both are named lying, they sit on
the same row (their heights overlap by most of the lower one) and touch or overlap
(horizontal gap at most ``TOUCH`` x their height), they name the same SKU (or one is unknown),
and together they are no longer than one lying product of that SKU: a lying product's box is
about ``height / upright_aspect`` wide, and the union must stay within ``LENGTH_SLACK`` times
that. Two real bottles lying end to end are twice that long, so they stay apart.

In the engine this is a named step after the recognizer (:class:`MergeLyingFragments`), built
with the recognizer's upright aspects when the models are loaded.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import supervision as sv

from pipeline import keys
from pipeline.detections import field_values
from pipeline.vision.stage import Batch, Stage

TOUCH = 0.25  # largest horizontal gap between fragments, in box heights
ROW_OVERLAP = 0.6  # vertical overlap, share of the lower box's height
LENGTH_SLACK = 1.3  # union width <= this x the expected lying length


def _one_product(a: np.ndarray, b: np.ndarray, length: float) -> bool:
    height = max(a[3] - a[1], b[3] - b[1])
    low = min(a[3] - a[1], b[3] - b[1])
    rows = min(a[3], b[3]) - max(a[1], b[1])
    gap = max(a[0], b[0]) - min(a[2], b[2])
    union = max(a[2], b[2]) - min(a[0], b[0])
    return bool(rows >= ROW_OVERLAP * low and gap <= TOUCH * height
                and union <= LENGTH_SLACK * length)


def merge_lying_fragments(det: sv.Detections, upright_aspect: Callable[[str], float | None]
                          ) -> sv.Detections:
    """``det`` with the fragments of each lying product joined into one box (a new object;
    the fragment with the known SKU and the best score lends its data to the union).

    ``upright_aspect(sku)``: the SKU's upright width / height (``None``: unknown shape).
    """
    if len(det) < 2:
        return det
    kinds = field_values(det, keys.KIND)
    lying = np.flatnonzero((kinds == keys.PRODUCT)
                           & (field_values(det, keys.ORIENTATION) == keys.LYING))
    if len(lying) < 2:
        return det
    skus = field_values(det, keys.SKU)
    scores = np.array([float(s or 0.0) for s in field_values(det, keys.SKU_SCORE)])
    boxes = np.asarray(det.xyxy, dtype=float).copy()
    alive = np.ones(len(det), dtype=bool)
    order = lying[np.argsort(boxes[lying, 0])]  # left to right
    for i in order:
        for j in order:
            if not alive[i]:
                break
            if j == i or not alive[j]:
                continue
            if skus[i] != skus[j] and keys.UNKNOWN not in (skus[i], skus[j]):
                continue
            sku = skus[i] if skus[i] != keys.UNKNOWN else skus[j]
            aspect = upright_aspect(sku) if sku != keys.UNKNOWN else None
            if not aspect:
                continue
            height = max(boxes[i, 3] - boxes[i, 1], boxes[j, 3] - boxes[j, 1])
            if not _one_product(boxes[i], boxes[j], height / aspect):
                continue
            keep, drop = (i, j) if (skus[i] != keys.UNKNOWN, scores[i]) >= \
                (skus[j] != keys.UNKNOWN, scores[j]) else (j, i)
            boxes[keep] = [min(boxes[i, 0], boxes[j, 0]), min(boxes[i, 1], boxes[j, 1]),
                           max(boxes[i, 2], boxes[j, 2]), max(boxes[i, 3], boxes[j, 3])]
            alive[drop] = False
    if alive.all():
        return det
    out = det[np.flatnonzero(alive)]
    out.xyxy = boxes[alive].astype(det.xyxy.dtype)
    return out


class MergeLyingFragments(Stage):
    """The engine step that joins the fragments of lying products, photo by photo.

    Args:
        upright_aspect: a SKU's upright width / height (``None``: unknown shape), e.g. the
            loaded recognizer's :meth:`~pipeline.vision.recognizer.Recognizer.upright_aspect`
            (it follows reference photos added later).
    """

    name = "merge_fragments"

    def __init__(self, upright_aspect: Callable[[str], float | None]):
        self.upright_aspect = upright_aspect

    def run(self, batch: Batch) -> Batch:
        return batch.with_detections([merge_lying_fragments(d, self.upright_aspect)
                                      for d in batch.detections])
