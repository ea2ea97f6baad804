"""The one shape of a vision stage: a batch of photos in, the same batch with new detections out.

Every stage of the engine (the detector, the recognizer, the steps after them) is an object with
one verb, :meth:`Stage.run`, which takes a :class:`Batch` and returns a new one; the batch it
was given, and the detections in it, are never changed. A batch holds the photos' pixels, one
``sv.Detections`` per photo, what is known of each photo (its camera; whether it is like the
models' training photos) and the **camera memory**: what each camera's last inspection left,
per stage, so that crops unchanged since then keep their labels
(:class:`pipeline.vision.reuse.CameraMemory`). The memory goes in and comes out of every call like
the detections; no stage keeps it, so a call depends on its inputs only, never on the calls
before it. Whoever owns a camera's history keeps the memory a batch comes back with (the
:class:`~pipeline.vision.engine.Inspector`, for the photos it inspects).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar

import numpy as np
import supervision as sv

from pipeline import keys
from pipeline.detections import field_values


@dataclass(frozen=True)
class Batch:
    """Photos on their way through the stages (see the module docstring).

    Attributes:
        images: ``HxWx3`` uint8 RGB photos.
        detections: one per photo (empty before the detector).
        cameras: one fixed camera view per photo (``store/camera``), ``None`` where the photo
            has none (an upload): nothing is recalled or remembered for it.
        trusted: per photo, whether it is like the models' training photos (out-of-domain
            photos get no product names).
        memory: stage name -> that stage's camera memory.
    """

    images: tuple[np.ndarray, ...]
    detections: tuple[sv.Detections, ...]
    cameras: tuple[str | None, ...]
    trusted: tuple[bool, ...]
    memory: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        n = len(self.images)
        for name in ("detections", "cameras", "trusted"):
            if len(getattr(self, name)) != n:
                raise ValueError(f"{n} photos but {len(getattr(self, name))} {name}")

    @classmethod
    def of(cls, images: Sequence[np.ndarray],
           detections: Sequence[sv.Detections] | None = None,
           cameras: Sequence[str | None] | None = None, trusted: Sequence[bool] | None = None,
           memory: Mapping[str, Any] | None = None) -> Batch:
        """A batch with defaults: no detections yet, no cameras, every photo trusted, no
        memory."""
        n = len(images)
        return cls(tuple(images),
                   tuple(detections) if detections is not None else
                   tuple(empty_detections() for _ in range(n)),
                   tuple(cameras) if cameras is not None else (None,) * n,
                   tuple(bool(t) for t in trusted) if trusted is not None else (True,) * n,
                   dict(memory or {}))

    def __len__(self) -> int:
        return len(self.images)

    def with_detections(self, detections: Sequence[sv.Detections]) -> Batch:
        return replace(self, detections=tuple(detections))

    def remembering(self, stage: str, memory: Any) -> Batch:
        """This batch with ``stage``'s camera memory replaced (the others kept)."""
        return replace(self, memory={**self.memory, stage: memory})

    def part(self, rows: Sequence[int]) -> Batch:
        """The photos at ``rows`` (with the whole memory)."""
        return replace(self, images=tuple(self.images[i] for i in rows),
                       detections=tuple(self.detections[i] for i in rows),
                       cameras=tuple(self.cameras[i] for i in rows),
                       trusted=tuple(self.trusted[i] for i in rows))


class Stage(ABC):
    """One step of the engine: :meth:`run` takes a batch and returns a new one."""

    name: ClassVar[str]  # the step's name: its key in the memory and its timing (``<name>_s``)

    @abstractmethod
    def run(self, batch: Batch) -> Batch:
        """A new batch: new detections (and, for a stage with camera memory, new memory)."""


def empty_detections() -> sv.Detections:
    det = sv.Detections.empty()
    det.data[keys.KIND] = np.array([], dtype=object)
    return det


def name_in_domain(batch: Batch, name: Callable[[Batch], Batch]) -> Batch:
    """``name`` applied to the trusted photos only; on the others (out of the models' domain)
    every product is ``unknown`` — ``name`` never sees them. The memory ``name`` returns is
    kept."""
    inside = [i for i, trusted in enumerate(batch.trusted) if trusted]
    out = [unnamed(d) for d in batch.detections]
    if not inside:
        return batch.with_detections(out)
    named = name(batch.part(inside))
    for i, det in zip(inside, named.detections, strict=True):
        out[i] = det
    return replace(batch, detections=tuple(out), memory=named.memory)


def unnamed(det: sv.Detections) -> sv.Detections:
    """A copy where every product is ``unknown`` with no brand, category or score."""
    out = det[np.arange(len(det))] if len(det) else det
    if not len(det):
        return out
    products = field_values(det, keys.KIND) == keys.PRODUCT
    for name, value in ((keys.SKU, keys.UNKNOWN), (keys.BRAND, None), (keys.CATEGORY, None),
                        (keys.SKU_SCORE, None)):
        column = np.array(field_values(det, name), dtype=object)
        column[products] = value
        out.data[name] = column
    return out
