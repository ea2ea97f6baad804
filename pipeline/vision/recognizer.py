"""Name every product box: which SKU, how sure, standing or lying (CLIP-family region classifier).

``Recognizer.recognize(images, detections)`` takes whole photos and their detections and returns
new ``sv.Detections`` where each ``product`` box carries ``sku``, ``brand``, ``category``,
``sku_score`` and ``orientation`` (keys from :mod:`pipeline.keys`); other boxes are untouched.
A product box that shows an empty shelf (models trained with the "empty shelf" class, such as
the starter) is dropped: it is a detector's stray box on an empty slot, and the rules should see
the gap. As an engine stage (:meth:`Recognizer.run`, the shape of :mod:`pipeline.vision.stage`)
it names the products of the photos in the models' domain only, and reuses the labels of crops
a camera showed unchanged last time from the batch's camera memory.

How the work is kept small (all in memory, no temp files):

1. every photo becomes a tensor once; its product boxes are cut as tensor slices and
   preprocessed by one call of the model's image processor per photo
   (:mod:`pipeline.vision.crops`);
2. near-identical neighbouring facings are classified once and verified
   (:func:`pipeline.vision.reuse.group_facings`), and with a camera and its memory given, crops
   that did not change since that camera's last inspection reuse their labels
   (:class:`pipeline.vision.reuse.CameraMemory`, passed in and returned, never kept here);
3. the remaining crops go through the image tower in large batches (fp16 on CUDA; dynamic int8
   on CPU for ViT-B-size towers, see :data:`PRECISIONS`);
4. the catalog's text embeddings are computed once per (model, catalog) and cached in memory and
   on disk (:mod:`pipeline.vision.textbank`); the gallery's embeddings likewise.

The naming rule (text prompts + reference gallery, open set, orientation) is documented in
:mod:`pipeline.vision.decide`.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import supervision as sv
import torch

from pipeline import keys
from pipeline.catalog import Catalog
from pipeline.detections import field_values
from pipeline.errors import ShelfAuditError
from pipeline.i18n import _
from pipeline.vision import captions
from pipeline.vision.crops import as_photo, cut_crops, thumbnails
from pipeline.vision.decide import (
    EMPTY_INDEX,
    Rule,
    decide,
    facing_context,
    fused_logits,
    upright_aspects,
)
from pipeline.vision.dual_encoder import DualEncoder, load_dual_encoder, quantize_image_tower
from pipeline.vision.embedder import Embedder
from pipeline.vision.gallery import Gallery, embed_references, load_gallery
from pipeline.vision.reuse import THUMB, CameraMemory, Labels, group_facings
from pipeline.vision.stage import Batch, Stage, name_in_domain
from pipeline.vision.textbank import TextBank, text_bank

if TYPE_CHECKING:
    from PIL import Image

    from pipeline.vision.config import ModelsConfig

PRECISION_ENV = "SHELFAUDIT_RECOGNIZER_PRECISION"
# auto: fp16 on CUDA; on CPU dynamic int8 for image towers of >= INT8_MIN_PARAMS (ViT-B/32 is
# 88M), fp32 below (the starter is fast enough and int8 scales activations per batch).
PRECISIONS = ("auto", "fp32", "fp16", "int8")
INT8_MIN_PARAMS = 30_000_000
# The int8 tower's close calls are re-checked in fp32 (see Recognizer._recheck): calibrated on
# the first RECHECK_SAMPLE crops, with this safety factor on the largest change seen.
RECHECK_SAMPLE = 64
RECHECK_SAFETY = 1.5


class Recognizer(Stage):
    """A CLIP-family model, the catalog's text embeddings and a reference gallery."""

    name = "recognize"

    def __init__(self, encoder: DualEncoder, catalog: Catalog, gallery: Gallery | None = None,
                 rule: Rule | None = None, facing_tolerance: float = 6.0,
                 languages: Sequence[str] = captions.LANGUAGES):
        self.encoder = encoder
        self.embedder: Embedder | None = None  # gallery matching in its space when set
        self.catalog = catalog
        self.gallery = gallery or Gallery()
        self.rule = rule or Rule.from_tuning(encoder.tuning, encoder.logit_scale)
        self.facing_tolerance = facing_tolerance  # 0 turns facing grouping off
        self.languages = tuple(languages)
        self._generation = 0  # bumped when the gallery changes (camera memory goes stale)
        self._aspects: torch.Tensor | None = None
        self._lock = threading.RLock()  # one recognize at a time (shared by app sessions)
        self.stats: dict[str, int] = {}
        # int8 image tower: its fp32 twin re-checks close calls (see _recheck)
        self.recheck: DualEncoder | None = None
        self.recheck_margin: float | None = None  # calibrated on the first crops
        self._calibrated = 0  # crops seen by the calibration so far

    @property
    def version(self) -> str:
        """The model's folder name + weights hash (recorded with every inspection), and the
        image embedder's when one matches the gallery."""
        if self.embedder is None:
            return self.encoder.version
        return f"{self.encoder.version}+{self.embedder.version}"

    def use_embedder(self, embedder: Embedder) -> None:
        """Match reference photos in ``embedder``'s space (its tuned open-set floor becomes the
        gallery threshold, its training scale the gallery scale); call before the gallery is
        loaded."""
        self.embedder = embedder
        self.rule.gallery_scale = float(embedder.meta.get("training", {}).get("job", {}).get(
            "scale", 30.0))
        if embedder.meta.get("unknown_threshold") is not None:
            self.rule.gallery_threshold = float(embedder.meta["unknown_threshold"])

    @classmethod
    def load(cls, source: str | Path, catalog: Catalog, device: torch.device | str | None = None,
             gallery: Sequence[str | Path] = (), config: ModelsConfig | None = None,
             precision: str | None = None) -> Recognizer:
        """Load a model folder or Hugging Face id (offline) with an optional gallery.

        Args:
            source: model folder or id; gallery: folders laid out ``<dir>/<sku>/*.jpg`` (when
                empty and ``config`` is given, ``config.gallery``).
            config: models settings (device, gallery, ``unknown_threshold`` when set there).
            precision: ``auto`` (default, or ``SHELFAUDIT_RECOGNIZER_PRECISION``), ``fp32``,
                ``fp16`` (CUDA) or ``int8`` (CPU).

        Raises:
            ModelNotFoundError: the model is not on this machine (message says how to get it).
        """
        from pipeline.vision.device import pick_device, use_half

        if device is None:
            device = pick_device(config.device if config is not None else "auto")
        device = torch.device(device)
        precision = (precision or os.environ.get(PRECISION_ENV) or "auto").lower()
        if precision not in PRECISIONS:
            raise ShelfAuditError(_("recognizer precision {precision}: use one of {choices}"
                                    ).format(precision=repr(precision), choices=PRECISIONS))
        half = precision == "fp16" or (precision == "auto" and use_half(device))
        encoder = load_dual_encoder(source, device, half=half and device.type == "cuda")
        int8 = device.type == "cpu" and (precision == "int8" or (
            precision == "auto" and _image_params(encoder) >= INT8_MIN_PARAMS))
        recognizer = cls(encoder, catalog)
        recognizer.recheck = quantize_image_tower(encoder) if int8 else None
        if config is not None and "unknown_threshold" in config.model_fields_set:
            recognizer.rule.min_score = config.unknown_threshold
        if config is not None and config.empty_class is not None:
            recognizer.rule.empty_class = config.empty_class
        if config is not None and config.embedder:
            recognizer.use_embedder(Embedder.load(config.embedder, device))
        dirs = list(gallery) or (list(config.gallery) if config is not None else [])
        if dirs:
            recognizer.gallery = load_gallery(recognizer.embedder or encoder, dirs,
                                              catalog.sku_ids)
        return recognizer

    # --- the verbs: the stage, and naming without camera memory ---
    def run(self, batch: Batch) -> Batch:
        """The engine stage: products named on the photos in the models' domain (on the others
        every product is ``unknown``); for a photo with a camera, crops unchanged since that
        camera's last inspection keep their labels from ``batch.memory`` (the new memory comes
        back in the batch). Faint product boxes are named like the others; the ``faint`` mark
        stays for :class:`pipeline.vision.faint.ConfirmFaint`."""
        return name_in_domain(batch, self._run_named)

    def _run_named(self, batch: Batch) -> Batch:
        named, memory = self.recognize_with_memory(batch.images, batch.detections,
                                                   batch.cameras, batch.memory.get(self.name))
        return batch.with_detections(named).remembering(self.name, memory)

    def recognize(self, images: Sequence[np.ndarray], detections: Sequence[sv.Detections],
                  keep_empty: bool = False) -> list[sv.Detections]:
        """New detections where every product box is named (other boxes untouched).

        Args:
            images: ``HxWx3`` uint8 RGB photos; ``detections[i]`` belongs to ``images[i]``.
            keep_empty: keep product boxes that show an empty shelf, with SKU ``empty``
                (measuring the recognizer); by default they are dropped.

        Faint boxes are named like the others and keep the detector's mark
        (:mod:`pipeline.vision.faint` settles them).
        """
        return self.recognize_with_memory(images, detections, keep_empty=keep_empty)[0]

    def recognize_with_memory(self, images: Sequence[np.ndarray],
                              detections: Sequence[sv.Detections],
                              cameras: Sequence[str | None] | None = None,
                              memory: CameraMemory | None = None, keep_empty: bool = False
                              ) -> tuple[list[sv.Detections], CameraMemory]:
        """:meth:`recognize`, and with ``cameras`` (one id or ``None`` per photo) crops
        unchanged since that camera's last inspection in ``memory`` keep their labels.
        Returns the detections and the memory after these photos."""
        if len(images) != len(detections):
            raise ValueError(f"{len(images)} photos but {len(detections)} detections")
        rows = [np.flatnonzero(field_values(d, keys.KIND) == keys.PRODUCT) for d in detections]
        boxes = [np.asarray(d.xyxy, np.float32)[r] for d, r in zip(detections, rows, strict=True)]
        with self._lock:
            labels, memory = self.label_boxes(images, boxes, cameras, memory)
        self.stats["empty"] = int(sum((lab.sku_index == EMPTY_INDEX).sum() for lab in labels))
        named = [self._named(d, r, lab, keep_empty)
                 for d, r, lab in zip(detections, rows, labels, strict=True)]
        return named, memory

    def add_reference(self, sku: str, image: np.ndarray | Image.Image) -> None:
        """Add one reference photo of ``sku`` (one upright product) — no retraining."""
        if sku not in self.catalog.by_id:
            raise ShelfAuditError(_("unknown SKU {sku}: not in the catalog").format(
                sku=repr(sku)))
        array = np.asarray(image.convert("RGB")) if hasattr(image, "convert") else image
        embedding = embed_references(self.embedder or self.encoder,
                                     [np.asarray(array, dtype=np.uint8)])[0]
        with self._lock:
            self.gallery.add(sku, embedding, array.shape[1] / array.shape[0])
            self._generation += 1
            self._aspects = None

    # --- the steps ---
    @property
    def text(self) -> TextBank:
        return text_bank(self.encoder, self.catalog, self.languages)

    def label_boxes(self, images: Sequence[np.ndarray], boxes: Sequence[np.ndarray],
                    cameras: Sequence[str | None] | None = None,
                    memory: CameraMemory | None = None) -> tuple[list[Labels], CameraMemory]:
        """Labels per photo for the given product boxes (see the module docstring), and the
        camera memory after these photos (``memory``, or a new empty one, with the photos that
        have a camera remembered)."""
        memory = memory if memory is not None else CameraMemory()
        counts = [len(b) for b in boxes]
        total = sum(counts)
        stats = {"crops": total, "reused": 0, "grouped": 0, "classified": 0, "rechecked": 0}
        self.stats = stats  # _recheck counts into it
        if total == 0:
            return [Labels.empty(0) for _ in boxes], memory
        photos = [as_photo(img, self.encoder.device) for img in images]
        thumbs = thumbnails(photos, boxes, THUMB)
        starts = np.cumsum([0, *counts])
        out = Labels.empty(total)
        done = np.zeros(total, dtype=bool)
        cams = list(cameras) if cameras is not None else [None] * len(images)
        for i, camera in enumerate(cams):
            if camera is None:
                continue
            span = slice(starts[i], starts[i + 1])
            match, seen = memory.recall(camera, boxes[i], thumbs[span], self._generation)
            hit = np.flatnonzero(match >= 0)
            if len(hit) and seen is not None:
                out.put(starts[i] + hit, seen.take(match[hit]))
                done[starts[i] + hit] = True
        stats["reused"] = int(done.sum())
        self._classify_rest(photos, boxes, thumbs, starts, done, out, stats)
        for i in range(len(boxes)):
            span = np.arange(starts[i], starts[i + 1])
            out.put(span, facing_context(self.rule, out.take(span), boxes[i]))
        for i, camera in enumerate(cams):
            if camera is not None:
                span = slice(starts[i], starts[i + 1])
                memory = memory.remember(camera, boxes[i], thumbs[span],
                                         out.take(np.arange(starts[i], starts[i + 1])),
                                         self._generation)
        self.stats = stats
        return [out.take(np.arange(starts[i], starts[i + 1])) for i in range(len(boxes))], memory

    def _classify_rest(self, photos: list[torch.Tensor], boxes: Sequence[np.ndarray],
                       thumbs: torch.Tensor, starts: np.ndarray, done: np.ndarray,
                       out: Labels, stats: dict[str, int]) -> None:
        """Group facings per photo, classify leaders + verifiers, then failed groups' members."""
        leader = np.arange(len(done))
        first: list[int] = []
        groups: dict[int, np.ndarray] = {}
        for i, photo_boxes in enumerate(boxes):
            todo = np.flatnonzero(~done[starts[i]:starts[i + 1]])
            if len(todo) == 0:
                continue
            lead, verify = group_facings(thumbs[starts[i] + todo], photo_boxes[todo],
                                         self.facing_tolerance)
            glob = starts[i] + todo
            leader[glob] = glob[lead]
            for j in np.flatnonzero(lead == np.arange(len(todo))):
                first.append(glob[j])
                if verify[j] >= 0:
                    first.append(glob[verify[j]])
                    groups[glob[j]] = glob[lead == j]
        first_arr = np.array(first, dtype=int)
        labels = self._classify(photos, boxes, starts, first_arr)
        out.put(first_arr, labels)
        done_now = np.zeros(len(done), dtype=bool)
        done_now[first_arr] = True
        retry = [m for lead_i, members in groups.items()
                 if not _agree(out, members[done_now[members]], lead_i) for m in members]
        retry_arr = np.array([m for m in retry if not done_now[m]], dtype=int)
        if len(retry_arr):
            out.put(retry_arr, self._classify(photos, boxes, starts, retry_arr))
            done_now[retry_arr] = True
        rest = np.flatnonzero(~done & ~done_now)
        out.put(rest, out.take(leader[rest]))
        stats["classified"] = int(done_now.sum())
        stats["grouped"] = len(rest)

    def _classify(self, photos: list[torch.Tensor], boxes: Sequence[np.ndarray],
                  starts: np.ndarray, index: np.ndarray) -> Labels:
        """Crop, embed and name the crops with global ``index``."""
        if len(index) == 0:
            return Labels.empty(0)
        owner = np.searchsorted(starts, index, side="right") - 1
        order = np.argsort(owner, kind="stable")
        per_photo = [boxes[p][index[order][owner[order] == p] - starts[p]]
                     for p in range(len(photos))]
        batch = cut_crops(photos, per_photo, self.encoder.spec, self.encoder.device,
                          self.encoder.dtype)
        embeddings = self.encoder.image_features(batch.pixels)
        picked = np.concatenate([b for b in per_photo if len(b)])
        aspects = (picked[:, 2] - picked[:, 0]) / np.maximum(picked[:, 3] - picked[:, 1], 1e-3)
        gx = self._gallery_space(photos, per_photo)
        labels = self.decide(embeddings, aspects) if gx is None else \
            self.decide(embeddings, aspects, gx)
        if self.recheck is not None:
            self._recheck(batch.pixels, embeddings, aspects, labels, gx)
        back = np.empty_like(order)
        back[order] = np.arange(len(order))
        return labels.take(back)

    def _gallery_space(self, photos: list[torch.Tensor], per_photo: list[np.ndarray]
                       ) -> torch.Tensor | None:
        """The crops' embeddings by the image embedder (``None`` without one), in the order
        of ``per_photo``."""
        if self.embedder is None or not len(self.gallery):
            return None
        parts = [self.embedder.embed_boxes(photo[0].permute(1, 2, 0).cpu().numpy(), b)
                 for photo, b in zip(photos, per_photo, strict=True) if len(b)]
        return torch.cat(parts).to(self.encoder.device)

    def _recheck(self, pixels: torch.Tensor, embeddings: torch.Tensor, aspects: np.ndarray,
                 labels: Labels, gx: torch.Tensor | None = None) -> None:
        """Close calls of the int8 tower, named again with its fp32 twin (in place).

        int8 weights move each embedding a little, and with it the logit gap between the SKU
        fp32 would choose and every other SKU. On the first :data:`RECHECK_SAMPLE` crops both
        towers run; the largest change of such a gap, times :data:`RECHECK_SAFETY`, is the
        margin under which an int8 decision could differ from fp32's. Only crops whose two best
        SKUs are closer than that are embedded again in fp32, so the labels agree with an fp32
        model's (measured, not proven: a larger change than any seen in the sample is possible).
        """
        if self._calibrated < RECHECK_SAMPLE:
            sample = torch.arange(min(RECHECK_SAMPLE - self._calibrated, len(pixels)))
            change = self._gap_change(embeddings[sample],
                                      self.recheck.image_features(pixels[sample]),
                                      None if gx is None else gx[sample])
            self.recheck_margin = max(self.recheck_margin or 0.0, RECHECK_SAFETY * change)
            self._calibrated += len(sample)
        close = np.flatnonzero(labels.margin < self.recheck_margin)
        self.stats["rechecked"] += len(close)
        if len(close):
            picked = torch.from_numpy(close)
            fp32 = self.recheck.image_features(pixels[picked])
            labels.put(close, self.decide(fp32, aspects[close]) if gx is None else
                       self.decide(fp32, aspects[close], gx[picked]))

    def _gap_change(self, int8: torch.Tensor, fp32: torch.Tensor,
                    gx: torch.Tensor | None = None) -> float:
        """Largest change, int8 vs fp32, of the logit gap between fp32's best SKU and any other."""
        n_sku = len(self.catalog.skus)
        z8 = fused_logits(self.rule, int8, self.text, self.gallery, gx)[0][:, :n_sku]
        z32 = fused_logits(self.rule, fp32, self.text, self.gallery, gx)[0][:, :n_sku]
        best = z32.argmax(1, keepdim=True)
        change = (z8.gather(1, best) - z8) - (z32.gather(1, best) - z32)
        return float(change.abs().max()) if change.numel() else 0.0

    @property
    def aspects(self) -> torch.Tensor:
        """Upright width / height per catalog SKU (+ unknown) as the naming rule assumes them;
        recomputed after the gallery changes."""
        if self._aspects is None:
            self._aspects = upright_aspects(self.rule, self.catalog, self.gallery)
        return self._aspects

    def upright_aspect(self, sku: str) -> float | None:
        """The SKU's upright width / height (``None``: not a catalog SKU); what
        :class:`pipeline.vision.fragments.MergeLyingFragments` is built with."""
        if sku not in self.catalog.by_id:
            return None
        return float(self.aspects[self.catalog.sku_ids.index(sku)])

    def decide(self, embeddings: torch.Tensor, box_aspects: np.ndarray,
               gx: torch.Tensor | None = None) -> Labels:
        """Apply the naming rule to crop embeddings (see :mod:`pipeline.vision.decide`);
        ``gx``: the same crops in the image embedder's space."""
        return decide(self.rule, embeddings, box_aspects, self.text, self.gallery, self.aspects,
                      gx)

    def _named(self, det: sv.Detections, rows: np.ndarray, labels: Labels,
               keep_empty: bool = False) -> sv.Detections:
        out = det[np.arange(len(det))] if len(det) else det  # a copy with copied data arrays
        n = len(det)
        columns = {name: np.array(field_values(det, name), dtype=object) for name in
                   (keys.SKU, keys.BRAND, keys.CATEGORY, keys.SKU_SCORE, keys.ORIENTATION)}
        for row, index, score, lying in zip(rows, labels.sku_index, labels.score, labels.lying,
                                            strict=True):
            sku = self.catalog.skus[index] if index >= 0 else None
            columns[keys.SKU][row] = sku.id if sku else (
                keys.EMPTY if index == EMPTY_INDEX else keys.UNKNOWN)
            columns[keys.BRAND][row] = sku.brand if sku else None
            columns[keys.CATEGORY][row] = sku.category if sku else None
            columns[keys.SKU_SCORE][row] = round(float(score), 4)
            columns[keys.ORIENTATION][row] = keys.LYING if lying else keys.UPRIGHT
        if n:  # (out is a copy)
            for name, values in columns.items():
                out.data[name] = values
        gone = rows[labels.sku_index == EMPTY_INDEX] if not keep_empty else rows[:0]
        return out[np.setdiff1d(np.arange(n), gone)] if len(gone) else out


def _agree(labels: Labels, members: np.ndarray, lead: int) -> bool:
    return bool(np.all(labels.sku_index[members] == labels.sku_index[lead]) and
                np.all(labels.lying[members] == labels.lying[lead]))


def _image_params(encoder: DualEncoder) -> int:
    vision = getattr(encoder.model, "vision_model", None)
    return sum(p.numel() for p in vision.parameters()) if vision is not None else 0
