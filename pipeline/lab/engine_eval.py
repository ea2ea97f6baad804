"""Measure the vision engine on a labeled set: detection mAP, SKU top-1, orientation, prices.

A labeled set is any of:

* the **synthetic ground-truth** format of ``shelfaudit synth`` (``DIR/truth/*.json``, each a
  detections-JSON photo whose ``path`` is relative to ``DIR``) — carries SKUs, orientation and
  prices, so every metric is measured;
* a **YOLO** dataset (``data.yaml``; the ``val`` split, else ``train``) — boxes only;
* a **COCO** file (``annotations.json``; images next to it or in ``images/``) — boxes only.

Class names of YOLO/COCO sets map to kinds like a detector's (see
:func:`pipeline.vision.detector.kind_map`). Detection is scored with supervision's COCO-style
``MeanAveragePrecision`` (up to 1000 boxes per photo); SKU, orientation and price are scored
on predicted boxes matched one-to-one to true boxes of the same kind at IoU >= 0.5.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import supervision as sv

from pipeline import keys
from pipeline.detections import PhotoDetections, field_values, make_detections, of_kind
from pipeline.errors import ShelfAuditError
from pipeline.i18n import _

MATCH_IOU = 0.5
_CLASS_IDS = {k: i for i, k in enumerate(keys.DETECTOR_CLASSES)}


@dataclass
class LabeledPhoto:
    """A photo file and its true boxes (``data["kind"]`` and whatever else is known)."""

    path: Path
    truth: sv.Detections


def load_labeled_set(data: str | Path) -> tuple[str, list[LabeledPhoto]]:
    """Find and read the labeled set at ``data``; returns its format name and photos.

    Raises:
        ShelfAuditError: nothing usable there.
    """
    data = Path(data)
    if (data / "truth").is_dir():
        return "synthetic", _load_synthetic(data)
    for candidate in (data, data / "data.yaml", data / "yolo" / "data.yaml"):
        if candidate.is_file() and candidate.suffix in (".yaml", ".yml"):
            return "yolo", _load_yolo(candidate)
    for candidate in (data, data / "annotations.json", data / "coco" / "annotations.json"):
        if candidate.is_file() and candidate.suffix == ".json":
            return "coco", _load_coco(candidate)
    raise ShelfAuditError(_(
        "{data}: no labeled set found (expected truth/*.json, a YOLO data.yaml or a COCO "
        "annotations.json)").format(data=data))


def _load_synthetic(root: Path) -> list[LabeledPhoto]:
    photos = []
    for path in sorted((root / "truth").glob("*.json")):
        try:
            truth = PhotoDetections.from_dict(json.loads(path.read_text(encoding="utf-8")))
        except (ValueError, KeyError, TypeError) as exc:
            raise ShelfAuditError(_("{path}: not a ground-truth document ({error})").format(
                path=path, error=exc)) from None
        photos.append(LabeledPhoto(root / truth.path, truth.detections))
    if not photos:
        raise ShelfAuditError(_("{folder}: no *.json ground-truth files").format(
            folder=root / "truth"))
    return photos


def _load_yolo(data_yaml: Path) -> list[LabeledPhoto]:
    from PIL import Image

    from pipeline import yamldoc
    from pipeline.vision.detector import kind_map

    doc = yamldoc.to_plain(yamldoc.load(data_yaml)) or {}
    names = doc.get("names") or {}
    names = dict(enumerate(names)) if isinstance(names, list) else {int(k): v for k, v in
                                                                      names.items()}
    kinds = kind_map(names)
    root = (data_yaml.parent / str(doc.get("path", "."))).resolve()
    split = doc.get("val") or doc.get("train")
    if not split:
        raise ShelfAuditError(_("{file}: names no 'val' or 'train' images").format(
            file=data_yaml))
    folder = root / str(split)
    photos = []
    for image_path in sorted(p for p in folder.rglob("*") if p.suffix.lower() in
                             (".jpg", ".jpeg", ".png", ".webp", ".bmp")):
        label = Path(str(image_path).replace("/images/", "/labels/")).with_suffix(".txt")
        with Image.open(image_path) as im:
            w, h = im.size
        boxes, box_kinds = [], []
        rows = label.read_text().split("\n") if label.exists() else []
        for row in (r.split() for r in rows if r.strip()):
            kind = kinds.get(int(row[0]))
            if kind is None:
                continue
            cx, cy, bw, bh = (float(v) for v in row[1:5])
            boxes.append([(cx - bw / 2) * w, (cy - bh / 2) * h, (cx + bw / 2) * w,
                          (cy + bh / 2) * h])
            box_kinds.append(kind)
        photos.append(LabeledPhoto(image_path, make_detections(boxes, kind=box_kinds)))
    if not photos:
        raise ShelfAuditError(_("{folder}: no images").format(folder=folder))
    return photos


def _load_coco(path: Path) -> list[LabeledPhoto]:
    from pipeline.vision.detector import kind_map

    doc = json.loads(path.read_text(encoding="utf-8"))
    kinds = kind_map({int(c["id"]): c["name"] for c in doc.get("categories", [])})
    per_image: dict[int, tuple[list, list]] = {int(im["id"]): ([], []) for im in doc["images"]}
    for ann in doc.get("annotations", []):
        kind = kinds.get(int(ann["category_id"]))
        if kind is None or int(ann["image_id"]) not in per_image:
            continue
        x, y, w, h = (float(v) for v in ann["bbox"])
        per_image[int(ann["image_id"])][0].append([x, y, x + w, y + h])
        per_image[int(ann["image_id"])][1].append(kind)
    photos = []
    for image in doc["images"]:
        name = image["file_name"]
        file = path.parent / name
        if not file.exists():
            file = path.parent / "images" / name
        boxes, box_kinds = per_image[int(image["id"])]
        photos.append(LabeledPhoto(file, make_detections(boxes, kind=box_kinds)))
    return photos


def _by_class(det: sv.Detections) -> sv.Detections:
    """Detector kinds only, with ``class_id`` = index in :data:`keys.DETECTOR_CLASSES`."""
    kinds = field_values(det, keys.KIND)
    keep = np.array([k in _CLASS_IDS for k in kinds], dtype=bool)
    det = det[keep] if len(det) else det
    out = sv.Detections(
        xyxy=det.xyxy.astype(np.float32),
        confidence=det.confidence if det.confidence is not None else np.ones(len(det)),
        class_id=np.array([_CLASS_IDS[k] for k in field_values(det, keys.KIND)], dtype=int),
    )
    return out


def detection_metrics(
    predictions: Sequence[sv.Detections], truths: Sequence[sv.Detections]
) -> dict[str, Any]:
    """mAP50 and mAP50-95, overall and per kind (COCO-style, up to 1000 boxes per photo)."""
    from supervision.metrics import MeanAveragePrecision

    metric = MeanAveragePrecision(max_detection_thresholds=(1, 100, 1000))
    metric.update([_by_class(p) for p in predictions], [_by_class(t) for t in truths])
    result = metric.compute()
    per_class: dict[str, Any] = {}
    for kind, class_id in _CLASS_IDS.items():
        n_true = sum(int((_by_class(t).class_id == class_id).sum()) for t in truths)
        n_pred = sum(int((_by_class(p).class_id == class_id).sum()) for p in predictions)
        row = np.flatnonzero(result.matched_classes == class_id)
        ap = result.ap_per_class[row[0]] if len(row) else None
        per_class[kind] = {
            "map50": round(float(ap[0]), 4) if ap is not None else None,
            "map50_95": round(float(np.mean(ap)), 4) if ap is not None else None,
            "true_boxes": n_true,
            "predicted_boxes": n_pred,
        }
    return {"map50": round(float(result.map50), 4), "map50_95": round(float(result.map50_95), 4),
            "per_kind": per_class}


def match(pred: sv.Detections, truth: sv.Detections, iou: float = MATCH_IOU) -> list[tuple]:
    """Greedy one-to-one pairs ``(pred_index, truth_index)`` with IoU >= ``iou``."""
    if len(pred) == 0 or len(truth) == 0:
        return []
    ious = sv.box_iou_batch(pred.xyxy, truth.xyxy)
    pairs, used_p, used_t = [], set(), set()
    for flat in np.argsort(-ious, axis=None):
        p, t = np.unravel_index(flat, ious.shape)
        if ious[p, t] < iou:
            break
        if p not in used_p and t not in used_t:
            pairs.append((int(p), int(t)))
            used_p.add(p)
            used_t.add(t)
    return pairs


def _rate(hits: int, total: int) -> float | None:
    return round(hits / total, 4) if total else None


def attribute_metrics(
    predictions: Sequence[sv.Detections], truths: Sequence[sv.Detections]
) -> dict[str, Any]:
    """SKU top-1 and orientation accuracy on matched products; exact prices on matched tags."""
    sku_hits = sku_total = orient_hits = orient_total = price_hits = price_total = 0
    for pred, truth in zip(predictions, truths, strict=True):
        p_prod, t_prod = of_kind(pred, keys.PRODUCT), of_kind(truth, keys.PRODUCT)
        for p, t in match(p_prod, t_prod):
            true_sku = field_values(t_prod, keys.SKU)[t]
            if true_sku is not None:
                sku_total += 1
                sku_hits += field_values(p_prod, keys.SKU)[p] == true_sku
            true_or = field_values(t_prod, keys.ORIENTATION)[t]
            if true_or is not None:
                orient_total += 1
                orient_hits += field_values(p_prod, keys.ORIENTATION)[p] == true_or
        p_tag, t_tag = of_kind(pred, keys.PRICE_TAG), of_kind(truth, keys.PRICE_TAG)
        for p, t in match(p_tag, t_tag):
            true_price = field_values(t_tag, keys.PRICE)[t]
            if true_price is not None:
                price_total += 1
                got = field_values(p_tag, keys.PRICE)[p]
                price_hits += got is not None and abs(float(got) - float(true_price)) < 0.005
    return {
        "matched_products": sku_total,
        "sku_top1": _rate(sku_hits, sku_total),
        "orientation_matched": orient_total,
        "orientation_accuracy": _rate(orient_hits, orient_total),
        "matched_price_tags": price_total,
        "ocr_exact_price": _rate(price_hits, price_total),
    }


def evaluate(
    data: str | Path,
    inspector: Any,
    batch: int = 8,
    labeled_set: tuple[str, list[LabeledPhoto]] | None = None,
) -> dict[str, Any]:
    """Run ``inspector`` over a labeled set and score it (see the module docstring).

    ``labeled_set`` is :func:`load_labeled_set`'s answer when the caller already has it.
    Unreadable photos are skipped and listed under ``errors``.
    """
    import time

    from pipeline.imaging import load_photo

    fmt, labeled = labeled_set or load_labeled_set(data)
    predictions: list[sv.Detections] = []
    truths: list[sv.Detections] = []
    errors: list[str] = []
    started = time.perf_counter()
    for start in range(0, len(labeled), batch):
        chunk, photos = [], []
        for item in labeled[start:start + batch]:
            try:
                photos.append(load_photo(item.path))
                chunk.append(item)
            except ShelfAuditError as exc:
                errors.append(str(exc))
        if photos:
            predictions += [r.detections for r in inspector.inspect(photos)]
            truths += [item.truth for item in chunk]
    seconds = time.perf_counter() - started
    attributes = attribute_metrics(predictions, truths)
    if getattr(inspector, "recognizer", None) is None:
        for name in ("sku_top1", "orientation_accuracy"):
            attributes[name] = None
    if getattr(inspector, "reader", None) is None:
        attributes["ocr_exact_price"] = None
    return {
        "data": str(data),
        "format": fmt,
        "photos": len(truths),
        "detection": detection_metrics(predictions, truths),
        "attributes": attributes,
        "models": getattr(inspector, "models", {}),
        "seconds": round(seconds, 1),
        "errors": errors,
    }
