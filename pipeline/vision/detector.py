"""Detect products, price tags and promo signs with any ultralytics YOLO checkpoint.

``ShelfDetector.detect`` takes many photos (RGB ``HxWx3`` uint8 arrays) and returns one
``sv.Detections`` per photo with ``data["kind"]`` set. Photos of the same size go through the
network together (``config.batch`` per forward pass, half precision on CUDA, ``max_det`` 1000 so
dense shelves are not cut at ultralytics' default 300); a photo whose long side is above
``config.slice_above_px`` is cut into overlapping tiles (``sv.InferenceSlicer``) so small price
tags keep their pixels.

Class names of the checkpoint map to kinds:

* ``product``, ``price_tag``, ``promo`` (the starter detector) map to themselves; common
  spellings (``object``/``item``/``sku`` -> product, ``price``/``pricetag``/``tag`` ->
  price_tag, ``promotion``/``sign``/``poster`` -> promo) too;
* a **single-class** checkpoint (e.g. SKU-110K's ``object``) -> every box is a product;
* a **COCO** checkpoint (``yolo11n.pt``) -> the packaged-goods classes (bottle, cup, book ...)
  are products; people, cars and other classes are dropped.

``config.detector_kinds`` keeps only some kinds (``[product]``: the checkpoint acts as a
product-only one). ``kinds`` (class id -> kind) tells the engine which kinds this detector
reports: where it has no ``price_tag`` or ``promo``, the engine finds them in the photo's text
(:mod:`pipeline.vision.text_finder`).

A product box lying (almost) wholly inside a more confident product box or promo sign is
dropped (:func:`drop_contained`): a second box on part of a product that NMS kept because
their IoU is low, or a product pictured on a poster; so is a less confident box around two or
more product boxes (two cans boxed as one). Of two product boxes overlapping by IoU > 0.3 only
the more confident is kept (:func:`drop_overlapping`): two boxes on one product.

**Faint product boxes.** With ``config.faint_product_conf`` set, ``detect(images, faint=True)``
also returns product boxes between that and the product floor, marked ``data["faint"]``: the
detector is unsure of a facing at the end of its block (a small can beside tall bottles, say),
and below the floor it would leave a gap the rules report as out of stock. A named step of the
engine settles them: kept where the recognizer names them the SKU of a confident facing right
beside them, else dropped (:mod:`pipeline.vision.faint`). Plain ``detect(images)`` leaves them
out.

As the engine's first stage (:meth:`ShelfDetector.run`, the shape of
:mod:`pipeline.vision.stage`) it returns the batch with its boxes, faint ones included when the
config asks for them.

Gaps are not detected: the rules engine infers them from the shelf geometry (empty runs of a
shelf between products), which needs no labels and works with any checkpoint.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import supervision as sv

from pipeline import keys
from pipeline.errors import ModelNotFoundError
from pipeline.i18n import N_, _
from pipeline.settings import REPO_ROOT, STARTER_MODELS_DIR
from pipeline.vision.config import ModelsConfig
from pipeline.vision.faint import without_faint
from pipeline.vision.stage import Batch, Stage, empty_detections

_ALIASES: dict[str, str] = {
    "product": keys.PRODUCT, "products": keys.PRODUCT, "object": keys.PRODUCT,
    "item": keys.PRODUCT, "sku": keys.PRODUCT, "goods": keys.PRODUCT,
    "price_tag": keys.PRICE_TAG, "price-tag": keys.PRICE_TAG, "price tag": keys.PRICE_TAG,
    "pricetag": keys.PRICE_TAG, "price": keys.PRICE_TAG, "tag": keys.PRICE_TAG,
    "promo": keys.PROMO, "promotion": keys.PROMO, "sign": keys.PROMO, "poster": keys.PROMO,
    "promo_sign": keys.PROMO,
}
# COCO classes a shelf product is commonly detected as.
COCO_PRODUCT_LIKE = frozenset({
    "bottle", "wine glass", "cup", "bowl", "banana", "apple", "orange", "broccoli", "carrot",
    "sandwich", "hot dog", "pizza", "donut", "cake", "book", "vase", "scissors", "toothbrush",
    "teddy bear", "clock", "cell phone", "remote", "handbag", "suitcase", "backpack",
})
_KIND_IDS = {k: i for i, k in enumerate(keys.KINDS)}

GET_WEIGHTS_HINT = N_(
    "train the starter detector with `shelfaudit train detector`, or download a checkpoint "
    "(e.g. yolo11n.pt from https://github.com/ultralytics/assets/releases) on a connected "
    "machine, copy it to models/ and set `detector:` in models.yaml"
)


def import_yolo() -> Any:
    """ultralytics' ``YOLO`` class, minus its global side effect on Pillow.

    Importing ultralytics replaces ``PIL.Image.open`` with a wrapper that, on any file Pillow
    cannot identify, tries to pip-install ``pi-heif`` and then fails with
    ``ModuleNotFoundError`` — which would turn a corrupt upload into a crash instead of a
    :class:`~pipeline.errors.PhotoError`. The original ``Image.open`` is put back.
    """
    from PIL import Image
    from ultralytics import YOLO
    from ultralytics.utils import patches

    Image.open = getattr(patches, "_image_open", Image.open)
    return YOLO


def kind_map(names: dict[int, str]) -> dict[int, str]:
    """Detector class id -> detection kind (ids with no kind are left out and dropped)."""
    if len(names) == 1:
        return {next(iter(names)): keys.PRODUCT}
    mapping = {}
    for class_id, name in names.items():
        low = str(name).strip().lower()
        if low in _ALIASES:
            mapping[class_id] = _ALIASES[low]
        elif low in COCO_PRODUCT_LIKE:
            mapping[class_id] = keys.PRODUCT
    return mapping


def resolve_weights(weights: str | Path) -> Path:
    """The checkpoint file for ``weights`` (a path, or a bare name found locally).

    Architecture files (``yolo11n.yaml``) are returned as they are: they build an untrained
    network and need no download. Nothing is ever downloaded.

    Raises:
        ModelNotFoundError: no such file here; the message says how to get one.
    """
    path = Path(weights).expanduser()
    if path.suffix in (".yaml", ".yml") and not path.exists():
        return path  # an ultralytics architecture name: built locally, random weights
    candidates = [path]
    if not path.is_absolute() and len(path.parts) == 1:
        from ultralytics.utils import WEIGHTS_DIR

        candidates += [STARTER_MODELS_DIR / path, REPO_ROOT / path, Path(WEIGHTS_DIR) / path]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    if path.is_dir():
        raise ModelNotFoundError(_("detector weights {path} is a folder, not a checkpoint file"
                                   ).format(path=path))
    raise ModelNotFoundError(_("detector weights not found: {path} — {how}").format(
        path=weights, how=_(GET_WEIGHTS_HINT)))


class ShelfDetector(Stage):
    """A loaded YOLO checkpoint that finds products, price tags and promo signs."""

    name = "detect"

    def __init__(self, model: Any, device: Any, config: ModelsConfig, weights: str):
        self.model = model
        self.device = device
        self.config = config
        self.weights = weights
        # config.detector_kinds may drop kinds (a 3-class checkpoint used as a product-only one)
        self.kinds = {class_id: kind for class_id, kind in kind_map(dict(model.names)).items()
                      if kind in config.detector_kinds}
        trained_at = (getattr(model, "overrides", None) or {}).get("imgsz")
        self.imgsz = config.imgsz or (trained_at if isinstance(trained_at, int) else 640)

    @classmethod
    def load(
        cls, weights: str | Path, device: Any = None, config: ModelsConfig | None = None
    ) -> ShelfDetector:
        """Load a checkpoint without ever reaching the network.

        Raises:
            ModelNotFoundError: the file is missing or is not a usable checkpoint.
        """
        path = resolve_weights(weights)  # first: a missing file fails before heavy imports
        config = config or ModelsConfig()
        from pipeline.vision.device import pick_device

        YOLO = import_yolo()  # noqa: N806 - the ultralytics class

        try:
            model = YOLO(str(path), task="detect")
        except Exception as exc:  # noqa: BLE001 - any load failure is a bad/missing checkpoint
            raise ModelNotFoundError(_("cannot load detector weights {path}: {problem}").format(
                path=path, problem=f"{type(exc).__name__}: {exc}")) from None
        device = pick_device(config.device if device is None else str(device))
        return cls(model, device, config, str(path))

    @functools.cached_property
    def version(self) -> str:
        """The weights' file name and content hash (recorded with every inspection)."""
        path = Path(self.weights)
        if not path.is_file():
            return path.name
        return f"{path.name}:{hashlib.sha256(path.read_bytes()).hexdigest()[:12]}"

    def run(self, batch: Batch) -> Batch:
        """The engine stage: the batch with each photo's boxes (its detections so far are
        replaced), faint product boxes marked when ``config.faint_product_conf`` is set."""
        faint = self.config.faint_product_conf is not None
        return batch.with_detections(self.detect(batch.images, faint=faint))

    def detect(self, images: Sequence[np.ndarray], faint: bool = False) -> list[sv.Detections]:
        """Detections per photo, in input order (``images`` are RGB uint8 arrays); with
        ``faint``, also the faint product boxes (module docstring)."""
        results: list[sv.Detections | None] = [None] * len(images)
        small: dict[tuple[int, ...], list[int]] = {}
        for i, image in enumerate(images):
            if max(image.shape[:2]) > self.config.slice_above_px:
                results[i] = self._detect_sliced(image)
            else:
                small.setdefault(image.shape, []).append(i)
        # Same-size photos share a forward pass (letterboxing then matches one-by-one runs).
        for indices in small.values():
            for start in range(0, len(indices), self.config.batch):
                chunk = indices[start:start + self.config.batch]
                for i, det in zip(chunk, self._predict([images[i] for i in chunk]), strict=True):
                    results[i] = det
        out = [drop_contained(drop_overlapping(r)) if r is not None else empty_detections()
               for r in results]
        return out if faint else [without_faint(d) for d in out]

    def _predict(self, images: Sequence[np.ndarray]) -> list[sv.Detections]:
        """One ultralytics call over a batch of RGB arrays."""
        if not images:
            return []
        from pipeline.vision.device import use_half

        bgr = [np.ascontiguousarray(img[..., ::-1]) for img in images]
        outputs = self.model.predict(
            bgr,
            imgsz=self.imgsz,
            conf=self.config.conf,
            iou=self.config.iou,
            max_det=self.config.max_det,
            quantize=16 if use_half(self.device) else None,  # fp16 on CUDA, fp32 elsewhere
            device=self.device,
            batch=len(bgr),
            verbose=False,
        )
        return [self._to_kinds(sv.Detections.from_ultralytics(out)) for out in outputs]

    def _detect_sliced(self, image: np.ndarray) -> sv.Detections:
        tile = min(self.config.slice_px, max(image.shape[:2]))
        overlap = max(32, tile // 5)
        batch = self.config.batch
        slicer = sv.InferenceSlicer(
            callback=self._predict if batch > 1 else (lambda tile: self._predict([tile])[0]),
            slice_wh=(tile, tile),
            overlap_wh=(overlap, overlap),
            overlap_filter=sv.OverlapFilter.NON_MAX_SUPPRESSION,
            iou_threshold=self.config.iou,
            batch_size=batch,
        )
        return slicer(image)

    def _to_kinds(self, det: sv.Detections) -> sv.Detections:
        if len(det) == 0:
            return empty_detections()
        raw = det.class_id if det.class_id is not None else np.zeros(len(det), dtype=int)
        kinds = np.array([self.kinds.get(int(c)) for c in raw], dtype=object)
        keep = kinds != None  # noqa: E711 - elementwise comparison on an object array
        faint = np.zeros(len(det), dtype=bool)
        if self.config.kind_conf and det.confidence is not None:
            floor = np.array([self.config.kind_conf.get(k, 0.0) if k else 0.0 for k in kinds])
            lowest = self.config.faint_product_conf
            if lowest is not None:  # product boxes under the floor but not under this: faint
                faint = (kinds == keys.PRODUCT) & (det.confidence < floor) & \
                    (det.confidence >= lowest)
            keep &= (det.confidence >= floor) | faint
        det = det[keep]
        kinds = kinds[keep]
        det.class_id = np.array([_KIND_IDS[k] for k in kinds], dtype=int)
        det.data[keys.KIND] = kinds
        det.data[keys.FAINT] = faint[keep]
        return det


# Share of a product box's area inside a more confident (and larger) product or promo box above
# which it is dropped. IoU-based NMS keeps such pairs (a box on the lower 90 % of a carton has
# IoU ~0.55 with the whole carton's); supervision's intersection-over-smaller finds them.
CONTAINED = 0.9


# Product boxes overlapping a more confident product box by more than this IoU are dropped:
# products on a shelf stand side by side (ground-truth product boxes of the synthetic shelves
# never reach IoU 0.2 with each other), but the detector's class-wise NMS at ``config.iou``
# keeps two boxes offset by a third of a width on one product it is unsure of — an unknown
# product counted twice. Chosen on the tuning scenes (seed 98): 0.3 drops 13 such boxes there.
PRODUCT_IOU = 0.3


def drop_overlapping(det: sv.Detections, iou: float = PRODUCT_IOU) -> sv.Detections:
    """``det`` without product boxes that overlap a more confident product box by more than
    ``iou`` (supervision's greedy NMS over the product boxes only)."""
    if len(det) < 2 or det.confidence is None:
        return det
    product = np.flatnonzero(det.data[keys.KIND] == keys.PRODUCT)
    if len(product) < 2:
        return det
    scored = np.hstack([det.xyxy[product], det.confidence[product, None]])
    keep = np.ones(len(det), dtype=bool)
    keep[product] = sv.box_non_max_suppression(scored, iou_threshold=iou)
    return det if keep.all() else det[keep]


def drop_contained(det: sv.Detections, share: float = CONTAINED) -> sv.Detections:
    """``det`` without product boxes that lie ``share`` or more inside a larger, more confident
    product or promo box (see the module docstring)."""
    if len(det) < 2 or det.confidence is None:
        return det
    kinds = det.data[keys.KIND]
    product = np.flatnonzero(kinds == keys.PRODUCT)
    holder = np.flatnonzero((kinds == keys.PRODUCT) | (kinds == keys.PROMO))
    if len(product) == 0:
        return det
    area, conf = det.box_area, det.confidence
    inside = sv.box_iou_batch(det.xyxy[product], det.xyxy[holder],
                              overlap_metric=sv.OverlapMetric.IOS) >= share
    inside &= area[product][:, None] <= area[holder][None, :]
    weaker = conf[product][:, None] < conf[holder][None, :]
    keep = np.ones(len(det), dtype=bool)
    keep[product[(inside & weaker).any(1)]] = False
    # the other way round: a less confident box around two or more products is not a product
    is_product = np.isin(holder, product)
    around = (inside & (conf[product][:, None] > conf[holder][None, :]))[:, is_product]
    keep[holder[is_product][around.sum(0) >= 2]] = False
    return det if keep.all() else det[keep]
