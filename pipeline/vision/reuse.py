"""Doing less work: near-identical facings classified once, unchanged crops not classified again.

Both use a *thumbnail signature*: the box resized to ``THUMB x THUMB`` RGB by area averaging
(``crops.thumbnails``, one batched torch call per photo). Two crops "look the same" when the mean
absolute difference of their thumbnails (0-255 scale) is at most a tolerance, no single value
differs by more than :data:`PEAK_TOLERANCE`, and their box sizes agree. Sensor noise averages out in a thumbnail; a different product (another colour,
another label) does not.

* :func:`group_facings` — within one photo, neighbouring facings of the same product are
  near-identical (after levelling each thumbnail's brightness, so the light falling off across
  a shelf does not split them): one leader per group is classified and the group takes its
  labels. Groups of
  three or more are *verified*: the member least like the leader is classified too, and if it
  disagrees the whole group is classified one by one.
* :class:`CameraMemory` — per camera, the boxes, thumbnails and labels of the last inspection.
  A crop at the same position (IoU >= 0.9) whose thumbnail did not change reuses its labels.
  A memory is a value: remembering gives a new one. Stages get it in a
  :class:`~pipeline.vision.stage.Batch` and hand the new one back; none keeps one.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torchvision.ops import box_iou

THUMB = 12
# Most any single thumbnail value may differ inside a facing group (0-255 scale). Same-product
# facings on synthetic shelves stay under ~55 (99th percentile); a differently coloured label
# patch on an otherwise identical pack goes above it.
PEAK_TOLERANCE = 64.0
# Reuse across inspections of one camera: a product seen again at (about) the same place whose
# thumbnail differs by at most REUSE_TOLERANCE on average and PEAK_TOLERANCE at most. Measured on
# fixed synthetic views over 5 days (detector boxes, products nudged by shoppers, faults x3):
# the same product differs by 3-19 (median 8), another SKU or orientation by >= 22.
REUSE_TOLERANCE = 8.0


@dataclass
class Labels:
    """Per-crop decisions: catalog index (``-1`` = unknown), SKU score, lying or not."""

    sku_index: np.ndarray
    score: np.ndarray
    lying: np.ndarray
    margin: np.ndarray | None = None  # logit gap between the two best SKUs (decide's output)
    best: np.ndarray | None = None  # the best catalog SKU, also for unknown crops (-1: none)

    def __post_init__(self) -> None:
        if self.best is None:
            self.best = np.where(self.sku_index >= 0, self.sku_index, -1)

    @classmethod
    def empty(cls, n: int) -> Labels:
        return cls(np.full(n, -1, dtype=int), np.zeros(n, dtype=np.float32),
                   np.zeros(n, dtype=bool))

    def take(self, index: np.ndarray) -> Labels:
        return Labels(self.sku_index[index], self.score[index], self.lying[index],
                      None if self.margin is None else self.margin[index], self.best[index])

    def put(self, where: np.ndarray, other: Labels) -> None:
        self.sku_index[where] = other.sku_index
        self.score[where] = other.score
        self.lying[where] = other.lying
        self.best[where] = other.best


def _same_size(boxes: np.ndarray, tolerance: float = 0.1) -> np.ndarray:
    """N x N: both box sides within ``tolerance`` (relative) of each other."""
    w = np.maximum(boxes[:, 2] - boxes[:, 0], 1e-3)
    h = np.maximum(boxes[:, 3] - boxes[:, 1], 1e-3)
    dw = np.abs(np.log(w[:, None] / w[None, :]))
    dh = np.abs(np.log(h[:, None] / h[None, :]))
    return (dw <= tolerance) & (dh <= tolerance)


def thumb_distance(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Mean absolute difference (0-255) between every thumbnail of ``a`` and of ``b``."""
    return torch.cdist(a.float(), b.float(), p=1) / max(a.shape[1], 1)


def group_facings(thumbs: torch.Tensor, boxes: np.ndarray, tolerance: float
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Leader per crop of one photo, and a verifier per leader (``-1``: none).

    Returns:
        ``leader[i]`` — the crop whose labels crop ``i`` takes (``leader[i] == i`` for leaders);
        ``verifier[i]`` — for a leader of a group of three or more, the member least like it.
    """
    n = len(boxes)
    leader = np.arange(n)
    verifier = np.full(n, -1)
    if n < 2 or tolerance <= 0:
        return leader, verifier
    levelled = thumbs.float() / thumbs.float().mean(1, keepdim=True).clamp(min=1.0) * 128.0
    dist = thumb_distance(levelled, levelled).numpy()
    close = (dist <= tolerance) & _same_size(boxes)
    free = np.ones(n, dtype=bool)
    for i in range(n):
        if not free[i]:
            continue
        members = np.flatnonzero(close[i] & free)
        peak = (levelled[members] - levelled[i]).abs().amax(1).numpy()
        members = members[peak <= PEAK_TOLERANCE]  # a small but strong local difference: apart
        free[members] = False
        leader[members] = i
        if len(members) >= 3:
            verifier[i] = members[np.argmax(dist[i, members])]
    return leader, verifier


@dataclass(frozen=True)
class _Seen:
    boxes: np.ndarray
    thumbs: torch.Tensor
    labels: Any
    generation: int


class CameraMemory:
    """Labels of each camera's last inspection, reused where the pixels did not change.

    ``labels`` may be anything with ``take(index)`` (:class:`Labels`, or the OCR's texts). A
    crop is unchanged when its thumbnail's mean absolute difference is at most ``tolerance``
    and, when ``peak`` is set, no single value differs by more than ``peak`` (a small but
    strong change, such as another digit on a price tag, must not be averaged away).

    A value: :meth:`remember` returns a new memory and leaves this one as it was.
    """

    def __init__(self, tolerance: float = REUSE_TOLERANCE, min_iou: float = 0.9,
                 max_cameras: int = 10000, peak: float | None = PEAK_TOLERANCE):
        self.tolerance = tolerance
        self.peak = peak
        self.min_iou = min_iou
        self.max_cameras = max_cameras
        self._seen: Mapping[str, _Seen] = {}

    def __len__(self) -> int:
        return len(self._seen)

    def recall(self, camera: str, boxes: np.ndarray, thumbs: torch.Tensor, generation: int = 0
               ) -> tuple[np.ndarray, Any]:
        """For each box, the index of the unchanged crop seen last time (``-1``: none)."""
        return self._match(camera, boxes, generation,
                           lambda near, _seen_boxes: thumbs[torch.from_numpy(near)])

    def recall_in_place(self, camera: str, boxes: np.ndarray,
                        thumbs_at: Callable[[np.ndarray], torch.Tensor], generation: int = 0
                        ) -> tuple[np.ndarray, Any]:
        """Like :meth:`recall`, but this photo's thumbnails are cut at the *remembered* boxes
        (``thumbs_at(boxes)``): for things that do not move (price tags on a fixed camera) the
        same pixels are compared, and the detector's box jitter between photos does not count.
        """
        return self._match(camera, boxes, generation,
                           lambda _near, seen_boxes: thumbs_at(seen_boxes))

    def _match(self, camera: str, boxes: np.ndarray, generation: int,
               current: Callable[[np.ndarray, np.ndarray], torch.Tensor]
               ) -> tuple[np.ndarray, Any]:
        seen = self._seen.get(camera)
        match = np.full(len(boxes), -1)
        if seen is None or seen.generation != generation or len(boxes) == 0 or \
                len(seen.boxes) == 0:
            return match, None
        iou = box_iou(torch.from_numpy(np.asarray(boxes, np.float32)),
                      torch.from_numpy(seen.boxes)).numpy()
        best = iou.argmax(1)
        near = np.flatnonzero(iou[np.arange(len(boxes)), best] >= self.min_iou)
        if len(near):
            diff = (current(near, seen.boxes[best[near]]).float()
                    - seen.thumbs[torch.from_numpy(best[near])].float()).abs()
            same = diff.mean(1).numpy() <= self.tolerance
            if self.peak is not None:
                same &= diff.amax(1).numpy() <= self.peak
            match[near[same]] = best[near][same]
        return match, seen.labels

    def remember(self, camera: str, boxes: np.ndarray, thumbs: torch.Tensor, labels: Any,
                 generation: int = 0) -> CameraMemory:
        """A new memory where ``camera``'s last inspection is this one (the oldest camera is
        forgotten beyond ``max_cameras``)."""
        return self._with({camera: _Seen(np.asarray(boxes, np.float32).copy(), thumbs.clone(),
                                         labels.take(np.arange(len(boxes))), generation)})

    def merged(self, newer: CameraMemory, cameras: Iterable[str]) -> CameraMemory:
        """A new memory: this one with ``newer``'s last inspection of ``cameras``. Two batches
        inspected at the same time start from one memory; each keeps its own cameras so
        neither loses the other's."""
        return self._with({c: newer._seen[c] for c in cameras if c in newer._seen})

    def _with(self, entries: Mapping[str, _Seen]) -> CameraMemory:
        seen = dict(self._seen)
        for camera, entry in entries.items():
            if camera not in seen and len(seen) >= self.max_cameras:
                seen.pop(next(iter(seen)))
            seen[camera] = entry
        out = copy.copy(self)
        out._seen = seen
        return out
