"""The inspection engine: photos -> typed detections, through a list of named stages.

:class:`Inspector` holds the stages, loaded once, in order (:func:`engine_stages`)::

    detect -> recognize -> confirm_faint -> merge_fragments -> pack_text -> read_text -> find_text

Each is a :class:`~pipeline.vision.stage.Stage`: a batch of photos in, the batch with new
detections out (:mod:`pipeline.vision.stage`). The models config picks them:

* ``faint_product_conf``: the detector also returns faint product boxes, and a named step
  settles them (:mod:`pipeline.vision.faint`): ``confirm_faint`` after the recognizer keeps
  those named like a confident facing beside them, ``drop_faint`` without a recognizer drops
  them;
* with a recognizer, ``merge_fragments`` joins the fragments of a lying product the detector
  cut into two boxes (:mod:`pipeline.vision.fragments`, with the recognizer's upright aspects);
* ``pack_text`` (default: on with an ``embedder``) reads the words on each pack;
* ``ocr`` reads price tags and promo signs (``read_text``);
* a detector without ``price_tag``/``promo`` classes (SKU-110K style) gets a last stage that
  finds tags and signs in the photo's text (``find_text``, :mod:`pipeline.vision.text_finder`).

After the first stage (the boxes), the out-of-domain check (:mod:`pipeline.vision.domain`) marks
each photo trusted or not; products on an untrusted photo are not named (``unknown``).

The inspector owns its cameras' history: the camera memory (what each camera's last inspection
left, per stage: crops unchanged since then keep their labels) goes into each batch, and from
the memory the batch comes back with it keeps that batch's cameras for the next call. Besides
that it is a function of (photos, models) -> results with no I/O besides reading the photos
handed to :meth:`Inspector.inspect_paths`, so a distributed runner can map it over many workers.

Each photo's ``extra`` carries ``timings`` (seconds per stage, ``<stage name>_s``, for the
batch it ran in, and the batch size) and ``models`` (which weights produced it).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from pipeline.catalog import Catalog
from pipeline.detections import PhotoDetections
from pipeline.errors import PhotoError
from pipeline.imaging import Photo, load_photo
from pipeline.settings import Settings
from pipeline.vision.config import ModelsConfig, load_models_config
from pipeline.vision.domain import DomainCheck, DomainVerdict, unknown_verdict
from pipeline.vision.stage import Batch, Stage


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
    """The engine's stages, loaded once, applied in order to batches of photos.

    Args:
        stages: in order, with distinct names (:func:`engine_stages` builds them from the
            models config); the first finds the boxes.
        domain: the out-of-domain check (``None``: every photo trusted).
    """

    def __init__(self, stages: Sequence[Stage], domain: DomainCheck | None = None):
        names = [stage.name for stage in stages]
        if len(set(names)) != len(names):
            raise ValueError(f"stage names must differ: {names}")
        self.stages = tuple(stages)
        self.domain = domain
        self.memory: Mapping[str, Any] = {}  # stage name -> camera memory (see the docstring)
        self._memory_lock = threading.Lock()

    @classmethod
    def load(
        cls,
        config: ModelsConfig | None = None,
        catalog: Catalog | None = None,
        recognize: bool = True,
        *,
        settings: Settings,
    ) -> Inspector:
        """Load the models named in ``config`` (default: the models settings file of
        ``settings``, with their device) to recognise the SKUs of ``catalog``. ``settings``
        and ``catalog`` are the edge's (its context's), passed down.

        Raises:
            ValueError: ``recognize`` without a ``catalog``.
            ModelNotFoundError: a model file or folder is missing (the message says how to
                get it).
        """
        from pipeline.vision.detector import ShelfDetector
        from pipeline.vision.device import pick_device

        if recognize and catalog is None:
            raise ValueError("recognizing SKUs needs the edge's catalog")
        config = config or load_models_config(settings=settings)
        device = pick_device(config.device)
        detector = ShelfDetector.load(config.detector, device=device, config=config)
        recognizer = None
        if recognize:
            from pipeline.vision.recognizer import Recognizer

            recognizer = Recognizer.load(
                config.recognizer, catalog, device=device, gallery=config.gallery, config=config
            )
        reader = None
        if config.ocr:
            from pipeline.vision.ocr import TagReader

            reader = TagReader()
        domain = load_domain_check(config, device)
        finder = load_text_finder(config, detector, reader, settings.rules_dir)
        pack_text = None
        if (config.pack_text if config.pack_text is not None else bool(config.embedder)) and \
                recognizer is not None:
            from pipeline.vision.pack_text import PackTextReader

            pack_text = PackTextReader(recognizer.catalog, reader)
        return cls(engine_stages(config, detector, recognizer, pack_text, reader, finder), domain)

    def stage(self, name: str) -> Any:
        """The stage called ``name`` (``None``: not in this engine)."""
        return next((stage for stage in self.stages if stage.name == name), None)

    @property
    def detector(self) -> Any:
        return self.stages[0] if self.stages else None

    @property
    def recognizer(self) -> Any:
        return self.stage("recognize")

    @property
    def reader(self) -> Any:
        return self.stage("read_text")

    @property
    def pack_text(self) -> Any:
        return self.stage("pack_text")

    @property
    def finder(self) -> Any:
        return self.stage("find_text")

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
            meta: optional per-photo ``store``/``camera``/``captured_at``/``path`` values; a
                photo with a camera reuses what that camera's last inspection found where its
                pixels did not change.
        """
        if meta is not None and len(meta) != len(photos):
            raise ValueError(f"{len(meta)} meta entries for {len(photos)} photos")
        images = [photo.array() for photo in photos]
        cameras = [_camera_key(m) for m in meta] if meta is not None else [None] * len(photos)
        timings: dict[str, float] = {}
        started = time.perf_counter()
        memory = self.memory
        batch = _timed(self.stages[:1], Batch.of(images, cameras=cameras, memory=memory),
                       timings)  # the boxes
        mark = time.perf_counter()
        verdicts = self.domain_verdicts(images)
        timings["domain_s"] = time.perf_counter() - mark
        batch = _timed(self.stages[1:], replace(
            batch, trusted=tuple(not v.out_of_domain for v in verdicts)), timings)
        self.keep_memory(batch.memory, cameras, started_from=memory)
        timings["total_s"] = time.perf_counter() - started
        timings = {k: round(v, 4) for k, v in timings.items()}
        timings["batch"] = len(photos)
        models = self.models
        results = []
        for i, (photo, det) in enumerate(zip(photos, batch.detections, strict=True)):
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

    def keep_memory(self, memory: Mapping[str, Any], cameras: Iterable[str | None],
                    started_from: Mapping[str, Any] | None = None) -> None:
        """Keep what ``memory`` (a batch's, as it came back; it ``started_from`` this one) says
        of ``cameras``: batches inspected at the same time each add their own cameras, none
        undoes another's."""
        seen = list(dict.fromkeys(camera for camera in cameras if camera))
        if not seen:
            return
        with self._memory_lock:
            kept = dict(self.memory)
            for stage, new in memory.items():
                if started_from is not None and new is started_from.get(stage):
                    continue  # the stage remembered nothing new
                kept[stage] = new if stage not in kept else kept[stage].merged(new, seen)
            self.memory = kept

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


def _timed(stages: Sequence[Stage], batch: Batch, timings: dict[str, float]) -> Batch:
    """``batch`` through ``stages`` in order, each one's seconds in ``timings``."""
    for stage in stages:
        mark = time.perf_counter()
        batch = stage.run(batch)
        timings[f"{stage.name}_s"] = time.perf_counter() - mark
    return batch


def load_text_finder(config: ModelsConfig, detector: Any, reader: Any, rules_dir: Path) -> Any:
    """The tag-and-sign finder for the kinds the detector lacks (``config.text_finder``), or
    ``None``. It needs OCR on and shares the tag reader's models; the promo texts of the
    planograms in ``rules_dir`` count as promo words."""
    from pipeline.vision.text_finder import finder_kinds

    kinds = finder_kinds(config.text_finder, getattr(detector, "kinds", {}).values())
    if not kinds or reader is None:
        return None
    from pipeline.vision.text_finder import TagAndSignFinder, planned_promo_texts

    return TagAndSignFinder(reader.engine, kinds, planned_promo_texts(rules_dir / "planograms"))


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


def engine_stages(config: ModelsConfig, detector: Stage, recognizer: Any = None,
                  pack_text: Stage | None = None, reader: Stage | None = None,
                  finder: Stage | None = None) -> list[Stage]:
    """The stages in order, as the models config sets them (see the module docstring)."""
    from pipeline.vision.faint import ConfirmFaint, DropFaint
    from pipeline.vision.fragments import MergeLyingFragments

    faint = config.faint_product_conf is not None
    stages: list[Stage] = [detector]
    if recognizer is None:
        stages += [DropFaint()] if faint else []
    else:
        stages += [recognizer, *([ConfirmFaint()] if faint else []),
                   MergeLyingFragments(recognizer.upright_aspect)]
    return stages + [stage for stage in (pack_text, reader, finder) if stage is not None]
