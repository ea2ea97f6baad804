"""The inspection engine: photos -> typed detections (detect -> recognize -> read text).

A detector without ``price_tag``/``promo`` classes (SKU-110K style) gets a last stage that finds
tags and signs in the photo's text (:mod:`pipeline.vision.text_finder`).

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
from pipeline.vision.domain import DomainCheck, DomainVerdict, unknown_verdict
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
    """Detector + recognizer + tag reader, loaded once, applied to batches of photos (with a
    detector that has no price_tag or promo class, a tag-and-sign finder after the reader)."""

    def __init__(self, detector: Any, recognizer: Stage | None = None, reader: Any = None):
        self.detector = detector
        self.recognizer = recognizer
        self.reader = reader
        self.domain: DomainCheck | None = None  # out-of-domain check (see pipeline.vision.domain)
        self.pack_text: Any = None  # pack-text reader (see pipeline.vision.pack_text)
        # tags and signs found in the photo's text (see pipeline.vision.text_finder)
        self.finder: Any = None

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
        inspector = cls(detector, recognizer, reader)
        inspector.domain = load_domain_check(config, device)
        inspector.finder = load_text_finder(config, detector, reader)
        pack_text = config.pack_text if config.pack_text is not None else bool(config.embedder)
        if pack_text and recognizer is not None:
            from pipeline.vision.pack_text import PackTextReader

            inspector.pack_text = PackTextReader(recognizer.catalog, reader)
        return inspector

    @property
    def models(self) -> dict[str, str | None]:
        """Which weights are in use (recorded with every result)."""
        models = {
            "detector": _version(self.detector),
            "recognizer": _version(self.recognizer),
            "ocr": _version(self.reader),
        }
        if self.finder is not None:
            models["text_finder"] = _version(self.finder)
        return models

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
        mark = time.perf_counter()
        verdicts = self.domain_verdicts(images)
        timings["domain_s"] = time.perf_counter() - mark
        if self.recognizer is not None:
            mark = time.perf_counter()
            # crops unchanged since a camera's last inspection reuse their labels; products on
            # a photo unlike the models' training photos are not named (unknown)
            detections = recognize_in_domain(self.recognizer, images, detections, cameras,
                                             verdicts)
            aspect = getattr(self.recognizer, "upright_aspect", None)
            if aspect is not None:  # a lying product cut into two boxes becomes one box again
                detections = [merge_lying_fragments(d, aspect) for d in detections]
            timings["recognize_s"] = time.perf_counter() - mark
        if self.pack_text is not None:
            mark = time.perf_counter()
            # the words on each pack: recorded, and a name where the image gave none
            detections = self.pack_text.recognize(
                images, detections, trusted=[not v.out_of_domain for v in verdicts])
            timings["pack_text_s"] = time.perf_counter() - mark
        if self.reader is not None:
            mark = time.perf_counter()
            # tags and signs unchanged since a camera's last inspection keep their text
            detections = self.reader.read(images, detections, cameras=cameras)
            timings["read_text_s"] = time.perf_counter() - mark
        if self.finder is not None:  # after the reader: what it adds comes read already
            mark = time.perf_counter()
            detections = self.finder.find(images, detections)
            timings["find_text_s"] = time.perf_counter() - mark
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
                extra={"sha256": photo.sha256, "timings": dict(timings), "models": models,
                       "out_of_domain": verdicts[i].out_of_domain,
                       "domain_reason": verdicts[i].reason,
                       "domain_check": verdicts[i].record()},
            ))
        return results

    def domain_verdicts(self, images: Sequence[np.ndarray]) -> list[DomainVerdict]:
        """Per photo: is it like the configured models' training photos?"""
        if self.domain is None or not self.domain.applies_to(self.domain_models()):
            return [unknown_verdict()] * len(images)
        return self.domain.check(images)

    def domain_models(self) -> dict[str, str | None]:
        """The weights a domain reference is made for: detector and the CLIP-family model."""
        encoder = getattr(self.recognizer, "encoder", None)
        return {"detector": _version(self.detector),
                "recognizer": getattr(encoder, "version", _version(self.recognizer))}

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


def load_text_finder(config: ModelsConfig, detector: Any, reader: Any) -> Any:
    """The tag-and-sign finder for the kinds the detector lacks (``config.text_finder``), or
    ``None``. It needs OCR on and shares the tag reader's models; the planograms' promo texts
    count as promo words."""
    from pipeline.vision.text_finder import finder_kinds

    kinds = finder_kinds(config.text_finder, getattr(detector, "kinds", {}).values())
    if not kinds or reader is None:
        return None
    from pipeline.settings import get_settings
    from pipeline.vision.text_finder import TagAndSignFinder, planned_promo_texts

    return TagAndSignFinder(reader.engine, kinds,
                            planned_promo_texts(get_settings().rules_dir / "planograms"))


def load_domain_check(config: ModelsConfig, device: Any) -> DomainCheck | None:
    """The domain reference named in ``config`` (``None``: none configured or none there)."""
    if not config.domain:
        return None
    from pipeline.vision.embedder import Embedder

    folder = Path(config.domain)
    meta_file = folder / "domain.json"
    if not meta_file.is_file():
        return None
    import json

    features = json.loads(meta_file.read_text(encoding="utf-8")).get("embedder", "../embedder")
    return DomainCheck.load(folder, Embedder.load((folder / features).resolve(), device))


def recognize_in_domain(recognizer: Stage, images: Sequence[np.ndarray],
                        detections: Sequence[sv.Detections], cameras: Sequence[str | None] | None,
                        verdicts: Sequence[DomainVerdict]) -> list[sv.Detections]:
    """Name products on in-domain photos; on out-of-domain ones every product is unknown."""
    inside = [i for i, v in enumerate(verdicts) if not v.out_of_domain]
    out = [unnamed(d) for d in detections]
    if inside:
        named = recognizer.recognize([images[i] for i in inside],
                                     [detections[i] for i in inside],
                                     cameras=None if cameras is None else
                                     [cameras[i] for i in inside])
        for i, det in zip(inside, named, strict=True):
            out[i] = det
    return out


def unnamed(det: sv.Detections) -> sv.Detections:
    """A copy where every product is ``unknown`` with no brand, category or score."""
    from pipeline import keys
    from pipeline.detections import field_values

    out = det[np.arange(len(det))] if len(det) else det
    if not len(det):
        return out
    products = field_values(det, keys.KIND) == keys.PRODUCT
    for name, value in ((keys.SKU, keys.UNKNOWN), (keys.BRAND, None), (keys.CATEGORY, None),
                        (keys.SKU_SCORE, None)):
        column = np.array(field_values(det, name), dtype=object)
        column[products] = value
        out.data[name] = column
    out.data.pop(keys.FAINT, None)
    return out[~(products & np.array(field_values(det, keys.FAINT), dtype=bool))]
