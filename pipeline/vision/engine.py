"""The inspection engine: photos -> typed detections (detect -> recognize -> read text).

Between recognition and reading, the fragments of a lying product that the detector cut into
two boxes are joined (:func:`pipeline.vision.fragments.merge_lying_fragments`).

:class:`Inspector` holds the models, loaded once, and maps a batch of photos to
:class:`~pipeline.detections.PhotoDetections`. It is a function of (photos, models) -> results
with no I/O besides reading the photos handed to :meth:`Inspector.inspect_paths`, so a
distributed runner can map it over many workers later.

Each photo's ``extra`` carries ``timings`` (seconds per stage for the batch it ran in, and the
batch size) and ``models`` (which weights produced it).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import supervision as sv

from pipeline.catalog import Catalog
from pipeline.detections import PhotoDetections
from pipeline.errors import PhotoError
from pipeline.imaging import Photo, load_photo
from pipeline.vision.config import ModelsConfig, load_models_config
from pipeline.vision.fragments import merge_lying_fragments


class Stage(Protocol):
    """A recognition stage: takes photos and their detections, returns new detections."""

    def recognize(
        self, images: Sequence[np.ndarray], detections: Sequence[sv.Detections],
        cameras: Sequence[str | None] | None = None,
    ) -> list[sv.Detections]: ...


@dataclass
class PathResults:
    """What :meth:`Inspector.inspect_paths` found: results, and one line per unreadable photo."""

    photos: list[PhotoDetections] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _camera_key(meta: dict[str, Any]) -> str | None:
    """One fixed camera view (camera ids repeat across stores)."""
    if not meta.get("camera"):
        return None
    return f"{meta.get('store') or ''}/{meta['camera']}"


def _version(stage: Any) -> str | None:
    if stage is None:
        return None
    return str(getattr(stage, "version", type(stage).__name__))


class Inspector:
    """Detector + recognizer + tag reader, loaded once, applied to batches of photos."""

    def __init__(self, detector: Any, recognizer: Stage | None = None, reader: Any = None):
        self.detector = detector
        self.recognizer = recognizer
        self.reader = reader

    @classmethod
    def load(
        cls,
        config: ModelsConfig | None = None,
        catalog: Catalog | None = None,
        recognize: bool = True,
    ) -> Inspector:
        """Load the models named in ``config`` (default: the models settings file).

        Raises:
            ModelNotFoundError: a model file or folder is missing (the message says how to
                get it).
        """
        from pipeline.vision.detector import ShelfDetector
        from pipeline.vision.device import pick_device

        config = config or load_models_config()
        device = pick_device(config.device)
        detector = ShelfDetector.load(config.detector, device=device, config=config)
        recognizer = None
        if recognize:
            from pipeline.vision.recognizer import Recognizer

            if catalog is None:
                from pipeline.catalog import load_catalog
                from pipeline.settings import get_settings

                catalog = load_catalog(get_settings().rules_dir / "catalog.yaml")
            recognizer = Recognizer.load(
                config.recognizer, catalog, device=device, gallery=config.gallery, config=config
            )
        reader = None
        if config.ocr:
            from pipeline.vision.ocr import TagReader

            reader = TagReader()
        return cls(detector, recognizer, reader)

    @property
    def models(self) -> dict[str, str | None]:
        """Which weights are in use (recorded with every result)."""
        return {
            "detector": _version(self.detector),
            "recognizer": _version(self.recognizer),
            "ocr": _version(self.reader),
        }

    def inspect(
        self, photos: Sequence[Photo], meta: Sequence[dict[str, Any]] | None = None
    ) -> list[PhotoDetections]:
        """Run every stage over the whole batch; one result per photo, in order.

        Args:
            photos: decoded photos (see :func:`pipeline.imaging.load_photo`).
            meta: optional per-photo ``store``/``camera``/``captured_at``/``path`` values.
        """
        if meta is not None and len(meta) != len(photos):
            raise ValueError(f"{len(meta)} meta entries for {len(photos)} photos")
        images = [photo.array() for photo in photos]
        timings: dict[str, float] = {}
        started = time.perf_counter()
        # faint product boxes only for a recognizer that confirms or drops them
        if getattr(self.recognizer, "confirms_faint", False):
            detections = self.detector.detect(images, faint=True)
        else:
            detections = self.detector.detect(images)
        timings["detect_s"] = time.perf_counter() - started
        cameras = [_camera_key(m) for m in meta] if meta is not None else None
        if cameras is not None and not any(cameras):
            cameras = None
        if self.recognizer is not None:
            mark = time.perf_counter()
            # crops unchanged since a camera's last inspection reuse their labels
            detections = self.recognizer.recognize(images, detections, cameras=cameras)
            aspect = getattr(self.recognizer, "upright_aspect", None)
            if aspect is not None:  # a lying product cut into two boxes becomes one box again
                detections = [merge_lying_fragments(d, aspect) for d in detections]
            timings["recognize_s"] = time.perf_counter() - mark
        if self.reader is not None:
            mark = time.perf_counter()
            # tags and signs unchanged since a camera's last inspection keep their text
            detections = self.reader.read(images, detections, cameras=cameras)
            timings["read_text_s"] = time.perf_counter() - mark
        timings["total_s"] = time.perf_counter() - started
        timings = {k: round(v, 4) for k, v in timings.items()}
        timings["batch"] = len(photos)
        models = self.models
        results = []
        for i, (photo, det) in enumerate(zip(photos, detections, strict=True)):
            info = dict(meta[i]) if meta is not None else {}
            results.append(PhotoDetections(
                path=str(info.get("path", photo.source)),
                width=photo.width,
                height=photo.height,
                detections=det,
                store=info.get("store"),
                camera=info.get("camera"),
                captured_at=info.get("captured_at"),
                extra={"sha256": photo.sha256, "timings": dict(timings), "models": models},
            ))
        return results

    def inspect_paths(self, paths: Sequence[str | Path], batch: int = 16) -> PathResults:
        """Read and inspect photo files ``batch`` at a time; unreadable ones become errors."""
        out = PathResults()
        pending: list[Photo] = []
        for path in paths:
            try:
                pending.append(load_photo(path))
            except PhotoError as exc:
                out.errors.append(str(exc))
            if len(pending) >= batch:
                out.photos += self.inspect(pending)
                pending = []
        if pending:
            out.photos += self.inspect(pending)
        return out
