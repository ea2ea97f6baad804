"""Faint product boxes: facings the detector is unsure of, kept where their names confirm them.

With ``faint_product_conf`` set in the models config, the detector also returns product boxes
between that and its product floor, marked ``data["faint"]``
(:mod:`pipeline.vision.detector`): a small can at the end of its block beside tall bottles,
say, which below the floor would leave a gap the rules report as out of stock. One named step
of the engine settles them, chosen by the same config:

* :class:`ConfirmFaint` after the recognizer: a faint box is a product when it is named an
  upright catalog SKU (not unknown, not an empty shelf) that a confident box right beside it is
  named too. A facing the detector is unsure of looks like its neighbours; a stray box on an
  empty slot is named "empty shelf" or nothing in particular. A faint box named lying is
  dropped: on seed 96 the two such boxes kept were lying bottles and the two others parts of
  upright packs, which would be reported as fallen over.
* :class:`DropFaint` when nothing names products: every faint box goes.

Either removes the ``faint`` mark; the input detections are never changed.
"""

from __future__ import annotations

import numpy as np
import supervision as sv

from pipeline import keys
from pipeline.detections import field_values
from pipeline.vision.stage import Batch, Stage

_NOT_A_SKU = (keys.UNKNOWN, keys.EMPTY, None)


def faint_marks(det: sv.Detections) -> np.ndarray:
    """Per box, whether the detector marked it faint (no mark: not faint)."""
    return np.array(field_values(det, keys.FAINT), dtype=bool)


def confirmed(det: sv.Detections) -> sv.Detections:
    """``det`` without the faint product boxes its names do not confirm, and without the marks
    (see the module docstring)."""
    from pipeline.vision.decide import beside_a_facing_of  # (torch: loaded with the models)

    if keys.FAINT not in det.data:
        return det
    faint = faint_marks(det)
    products = np.flatnonzero(field_values(det, keys.KIND) == keys.PRODUCT)
    skus = field_values(det, keys.SKU)[products]
    lying = field_values(det, keys.ORIENTATION)[products] == keys.LYING
    boxes = np.asarray(det.xyxy, dtype=np.float32)[products]
    confident = ~faint[products]
    keep = ~faint
    for i in np.flatnonzero(~confident & ~lying):
        keep[products[i]] = skus[i] not in _NOT_A_SKU and beside_a_facing_of(
            boxes, i, skus[i], skus, among=confident)
    return _unmarked(det, keep)


def without_faint(det: sv.Detections) -> sv.Detections:
    """``det`` without its faint boxes and without the marks."""
    if keys.FAINT not in det.data:
        return det
    return _unmarked(det, ~faint_marks(det))


def _unmarked(det: sv.Detections, keep: np.ndarray) -> sv.Detections:
    out = det[keep]  # a new object with new data arrays
    out.data.pop(keys.FAINT, None)
    return out


class ConfirmFaint(Stage):
    """The step after the recognizer: faint boxes kept where their names confirm them."""

    name = "confirm_faint"

    def __init__(self) -> None:
        self.stats: dict[str, int] = {}

    def run(self, batch: Batch) -> Batch:
        out = [confirmed(d) for d in batch.detections]
        marked = sum(int(faint_marks(d).sum()) for d in batch.detections)
        self.stats = {"faint": marked, "faint_kept": marked - sum(
            len(d) - len(o) for d, o in zip(batch.detections, out, strict=True))}
        return batch.with_detections(out)


class DropFaint(Stage):
    """The step after a detector when nothing names products: faint boxes dropped."""

    name = "drop_faint"

    def run(self, batch: Batch) -> Batch:
        return batch.with_detections([without_faint(d) for d in batch.detections])
