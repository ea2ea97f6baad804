"""Measure a recognizer on ground-truth product boxes (recognition alone, no detector).

``evaluate_recognizer(recognizer, "DIR")`` reads a synthetic dataset folder (``truth/*.json`` +
``images/``, as written by ``shelfaudit synth``), strips the truth's names from the boxes, runs
``recognizer.recognize`` on the photos and scores:

* ``sku_top1`` — share of boxes of catalog products named with the right SKU;
* ``sku_top1_open_set`` — share of all product boxes named right, ``unknown`` counting as a
  class (so off-catalog products must be called ``unknown``);
* ``unknown_recall`` / ``false_unknown_rate`` — off-catalog products called unknown / catalog
  products called unknown;
* ``orientation_accuracy`` — share of all product boxes with the right upright/lying.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from pipeline import keys
from pipeline.detections import PhotoDetections, field_values, make_detections, of_kind


def _ratio(hits: int, total: int) -> float | None:
    return round(hits / total, 4) if total else None


def _boxes_only(truth: PhotoDetections):  # noqa: ANN202
    products = of_kind(truth.detections, keys.PRODUCT)
    return make_detections(products.xyxy.tolist(), kind=keys.PRODUCT), products


def evaluate_recognizer(recognizer: Any, scenes: str | Path | Iterable, batch: int = 8
                        ) -> dict[str, Any]:
    """Score ``recognizer`` on the product boxes of ``scenes`` (a folder or ``(photo, truth)``
    pairs); see the module docstring for the figures."""
    from pipeline.lab.shelf_crops import scenes_in_folder

    source = scenes_in_folder(scenes) if isinstance(scenes, str | Path) else scenes
    truth_sku: list[np.ndarray] = []
    truth_lying: list[np.ndarray] = []
    pred_sku: list[np.ndarray] = []
    pred_lying: list[np.ndarray] = []
    started, photos = time.perf_counter(), 0
    pending: list[tuple[np.ndarray, PhotoDetections]] = []

    def flush() -> None:
        inputs = [_boxes_only(t) for _, t in pending]
        named = recognizer.recognize([im for im, _ in pending], [d for d, _ in inputs],
                                     keep_empty=True)  # a product called empty is an error
        for (_, products), det in zip(inputs, named, strict=True):
            truth_sku.append(field_values(products, keys.SKU).astype(str))
            truth_lying.append(field_values(products, keys.ORIENTATION) == keys.LYING)
            pred_sku.append(field_values(det, keys.SKU).astype(str))
            pred_lying.append(field_values(det, keys.ORIENTATION) == keys.LYING)
        pending.clear()

    for image, truth in source:
        pending.append((image, truth))
        photos += 1
        if len(pending) >= batch:
            flush()
    if pending:
        flush()
    return _scores(truth_sku, truth_lying, pred_sku, pred_lying, photos,
                   time.perf_counter() - started, recognizer)


def _scores(truth_sku, truth_lying, pred_sku, pred_lying, photos, seconds,  # noqa: ANN001
            recognizer) -> dict[str, Any]:  # noqa: ANN001
    t = np.concatenate(truth_sku) if truth_sku else np.zeros(0, str)
    p = np.concatenate(pred_sku) if pred_sku else np.zeros(0, str)
    tl = np.concatenate(truth_lying) if truth_lying else np.zeros(0, bool)
    pl = np.concatenate(pred_lying) if pred_lying else np.zeros(0, bool)
    known = t != keys.UNKNOWN
    called_unknown = p == keys.UNKNOWN
    return {
        "photos": photos,
        "products": int(len(t)),
        "unknown_products": int((~known).sum()),
        "lying_products": int(tl.sum()),
        "sku_top1": _ratio(int((p[known] == t[known]).sum()), int(known.sum())),
        "sku_top1_open_set": _ratio(int((p == t).sum()), len(t)),
        "unknown_recall": _ratio(int(called_unknown[~known].sum()), int((~known).sum())),
        "false_unknown_rate": _ratio(int(called_unknown[known].sum()), int(known.sum())),
        "orientation_accuracy": _ratio(int((pl == tl).sum()), len(t)),
        "lying_recall": _ratio(int((pl & tl).sum()), int(tl.sum())),
        "gallery_photos": len(getattr(recognizer, "gallery", ()) or ()),
        "recognizer": getattr(recognizer, "version", None),
        "seconds": round(seconds, 1),
    }


def main(argv: list[str] | None = None) -> int:
    """``python -m pipeline.lab.recognizer_eval --data DIR [--model M] [--no-gallery]``."""
    import argparse
    import json

    from pipeline.catalog import load_catalog
    from pipeline.settings import STARTER_MODELS_DIR
    from pipeline.vision.recognizer import Recognizer

    parser = argparse.ArgumentParser(description="Score a recognizer on ground-truth boxes.")
    parser.add_argument("--data", required=True, help="synthetic dataset folder")
    parser.add_argument("--model", default=str(STARTER_MODELS_DIR / "recognizer"))
    parser.add_argument("--gallery", action="append", default=None,
                        help=f"gallery folder (default {STARTER_MODELS_DIR / 'gallery'})")
    parser.add_argument("--no-gallery", action="store_true", help="text prompts only")
    parser.add_argument("--precision", default=None, help="auto, fp32, fp16 or int8")
    parser.add_argument("--embedder", default=None,
                        help="image embedder folder: match the gallery in its space")
    args = parser.parse_args(argv)
    gallery = [] if args.no_gallery else (args.gallery or [str(STARTER_MODELS_DIR / "gallery")])
    config = None
    if args.embedder:
        from pipeline.vision.config import ModelsConfig

        config = ModelsConfig(embedder=args.embedder, gallery=gallery)
    recognizer = Recognizer.load(args.model, load_catalog(), gallery=gallery,
                                 precision=args.precision, config=config)
    print(json.dumps(evaluate_recognizer(recognizer, args.data), indent=1))
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
