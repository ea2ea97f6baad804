"""Who looks at the photos: the one adapter between the batch runner and the vision engine.

``SHELFAUDIT_INSPECTOR`` (or ``--inspector``) picks one:

- ``models`` (default): the vision engine (:class:`pipeline.vision.engine.Inspector`), loaded
  once per process and reused by every run of that process.
- ``truth``: the synthetic world's ground truth stands in for the detections (the demo's quick
  mode when no models exist). Inspections are labelled ``inspector="truth"``.
- ``fake[:SECONDS]``: a deterministic stand-in for tests; optionally sleeps per photo so a test
  can kill a run half-way, waits while the file named by ``SHELFAUDIT_FAKE_GATE`` exists
  (at most two minutes) so a test can hold a run open, and kills its own process (SIGKILL)
  on a photo whose path contains ``SHELFAUDIT_FAKE_CRASH_ON`` — a photo that crashes the run.
"""

from __future__ import annotations

import hashlib
import os
import signal
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Protocol

from pipeline import keys
from pipeline.context import EdgeContext
from pipeline.detections import PhotoDetections, make_detections
from pipeline.errors import ShelfAuditError
from pipeline.i18n import _
from pipeline.imaging import Photo
from pipeline.planogram import Planogram

ENV = "SHELFAUDIT_INSPECTOR"
GATE_ENV = "SHELFAUDIT_FAKE_GATE"
CRASH_ENV = "SHELFAUDIT_FAKE_CRASH_ON"


@dataclass(frozen=True)
class PhotoMeta:
    """What the runner knows about a photo besides its pixels."""

    store: str
    camera: str
    captured_at: str  # ISO 8601 UTC, "2026-11-20T02:00:00Z"
    planogram: Planogram | None = None


class PhotoInspector(Protocol):
    """Photos in, one :class:`PhotoDetections` per photo out (same order)."""

    name: str

    def inspect(self, photos: Sequence[Photo], metas: Sequence[PhotoMeta]) -> list[PhotoDetections]:
        ...

    def versions(self) -> dict[str, str]:
        """Model name/version per stage (kept with every inspection)."""
        ...


def _stamp(result: PhotoDetections, photo: Photo, meta: PhotoMeta) -> PhotoDetections:
    """A new result naming the photo's store, camera and capture time (``result`` unchanged)."""
    return replace(result, store=meta.store, camera=meta.camera, captured_at=meta.captured_at,
                   path=result.path or photo.source)


class ModelsInspector:
    """The vision engine with the configured models (loaded on first use, then kept)."""

    name = "models"

    def __init__(self, context: EdgeContext | None = None) -> None:
        """``context``: the edge's settings and catalog (default: the models of a process are
        loaded once, so they are an edge of their own and read them now)."""
        from pipeline.context import edge_context
        from pipeline.vision.engine import Inspector

        context = context if context is not None else edge_context()
        self._engine = Inspector.load(catalog=context.catalog, settings=context.settings)

    def inspect(self, photos: Sequence[Photo], metas: Sequence[PhotoMeta]) -> list[PhotoDetections]:
        meta = [{"store": m.store, "camera": m.camera, "captured_at": m.captured_at}
                for m in metas]
        results = self._engine.inspect(list(photos), meta=meta)
        return [_stamp(r, p, m) for r, p, m in zip(results, photos, metas, strict=True)]

    def versions(self) -> dict[str, str]:
        for attr in ("models", "versions"):
            value = getattr(self._engine, attr, None)
            if callable(value):
                value = value()
            if isinstance(value, Mapping):
                return {str(k): str(v) for k, v in value.items() if v is not None}
        return {}


class TruthInspector:
    """Ground truth registered by content hash (the demo renders a scene, then registers it)."""

    name = "truth"

    def __init__(self) -> None:
        self._truth: dict[str, PhotoDetections] = {}

    def register(self, sha256: str, truth: PhotoDetections) -> None:
        self._truth[sha256] = truth

    def inspect(self, photos: Sequence[Photo], metas: Sequence[PhotoMeta]) -> list[PhotoDetections]:
        out = []
        for photo, meta in zip(photos, metas, strict=True):
            truth = self._truth.get(photo.sha256)
            if truth is None:
                raise ShelfAuditError(_("{photo}: no ground truth for this photo (the 'truth' "
                                        "inspector only knows photos the demo rendered)"
                                        ).format(photo=photo.source))
            doc = truth.to_dict()
            doc["path"] = photo.source
            out.append(_stamp(PhotoDetections.from_dict(doc), photo, meta))
        return out

    def versions(self) -> dict[str, str]:
        return {"detections": "synthetic ground truth"}


class FakeInspector:
    """Deterministic detections from the photo hash: the planned SKUs, some missing (tests)."""

    name = "fake"

    def __init__(self, delay_s: float = 0.0, gate: str | None = None,
                 crash_on: str | None = None) -> None:
        self.delay_s = delay_s
        self.gate = gate
        self.crash_on = crash_on

    def _wait_at_gate(self) -> None:
        end = time.monotonic() + 120
        while self.gate and os.path.exists(self.gate) and time.monotonic() < end:
            time.sleep(0.05)

    def _one(self, photo: Photo, meta: PhotoMeta) -> PhotoDetections:
        digest = hashlib.sha256(photo.sha256.encode()).digest()
        w, h = photo.width, photo.height
        boxes, skus = [], []
        blocks = []
        if meta.planogram is not None:
            shelves = meta.planogram.shelves
            blocks = [(i, len(shelves), b) for i, s in enumerate(shelves) for b in s.blocks]
        for n, (row, rows, block) in enumerate(blocks):
            if digest[n % len(digest)] < 40:  # ~15 % of blocks empty
                continue
            y1, y2 = h * row / rows + 2, h * (row + 1) / rows - 2
            boxes.append([w * block.x[0], y1, w * block.x[1], y2])
            skus.append(block.sku)
        det = make_detections(boxes, kind=keys.PRODUCT, sku=skus) if boxes else \
            make_detections([], kind=keys.PRODUCT)
        return _stamp(PhotoDetections(path=photo.source, width=w, height=h, detections=det),
                      photo, meta)

    def inspect(self, photos: Sequence[Photo], metas: Sequence[PhotoMeta]) -> list[PhotoDetections]:
        out = []
        for photo, meta in zip(photos, metas, strict=True):
            self._wait_at_gate()
            if self.crash_on and self.crash_on in photo.source:
                os.kill(os.getpid(), signal.SIGKILL)  # as a native crash or the OOM killer would
            if self.delay_s:
                time.sleep(self.delay_s)
            out.append(self._one(photo, meta))
        return out

    def versions(self) -> dict[str, str]:
        return {"detections": "fake"}


def make_inspector(spec: str) -> PhotoInspector:
    """An inspector by name (``models``, ``truth``, ``fake[:SECONDS]``)."""
    name, _sep, arg = spec.partition(":")
    if name == "models":
        return ModelsInspector()
    if name == "truth":
        return TruthInspector()
    if name == "fake":
        try:
            return FakeInspector(float(arg or 0), os.environ.get(GATE_ENV),
                                 os.environ.get(CRASH_ENV))
        except ValueError:
            raise ShelfAuditError(_("inspector {name}: expected fake:SECONDS").format(
                name=repr(spec))) from None
    raise ShelfAuditError(_("unknown inspector {name} (use models, truth or fake[:SECONDS])"
                            ).format(name=repr(spec)))


def shared_inspector(spec: str | None = None) -> PhotoInspector:
    """One inspector per kind per process (models load once); default from the environment."""
    return _shared(spec or os.environ.get(ENV) or "models")


@lru_cache(maxsize=4)
def _shared(spec: str) -> PhotoInspector:
    return make_inspector(spec)
