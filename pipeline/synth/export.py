"""Writing a synthetic dataset: photos, per-photo truth, the detections JSON, YOLO and COCO.

Layout of ``out_dir``::

    images/<name>.jpg            the photos
    truth/<name>.json            PhotoDetections + "faults", "planogram", "seed"
    detections.json              {"photos": [...]} (usable by ``shelfaudit check --detections``)
    yolo/data.yaml, yolo/images/{train,val}/, yolo/labels/{train,val}/
    coco/annotations.json, coco/images/

Every file is a pure function of (catalog, seed, arguments): JSON keys are sorted, images are
hard-linked (or copied) from ``images/``, so two runs give byte-identical trees.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from pipeline import keys
from pipeline.catalog import Catalog
from pipeline.detections import PhotoDetections, field_values
from pipeline.synth.faults import FaultRates
from pipeline.synth.planograms import PROMO_RATE, make_planogram
from pipeline.synth.scene import Scene, render_scene

SCENE_SEED_STRIDE = 100_003


def scene_seed(seed: int, index: int) -> int:
    """Seed of scene ``index`` in a dataset made with ``seed`` (datasets do not overlap)."""
    return int(seed) * SCENE_SEED_STRIDE + int(index)


def scene_name(seed: int, index: int) -> str:
    return f"shelf-s{seed}-{index:05d}"


def is_val(index: int, val_fraction: float) -> bool:
    """Deterministic, evenly spread validation split (exactly ``val_fraction`` over a run)."""
    if val_fraction <= 0:
        return False
    return int((index + 1) * val_fraction + 0.5) > int(index * val_fraction + 0.5)


def _dump(path: Path, doc: Any) -> None:
    path.write_text(json.dumps(doc, ensure_ascii=False, sort_keys=True, indent=1) + "\n",
                    encoding="utf-8")


def _link(src: Path, dst: Path) -> None:
    dst.unlink(missing_ok=True)
    try:
        os.link(src, dst)
    except OSError:
        shutil.copyfile(src, dst)


def truth_document(scene: Scene, path: str) -> dict[str, Any]:
    """The ``truth/<name>.json`` document of one scene."""
    truth = PhotoDetections(path=path, width=scene.truth.width, height=scene.truth.height,
                            detections=scene.truth.detections)
    doc = truth.to_dict()
    doc["faults"] = scene.faults
    doc["planogram"] = scene.planogram.model_dump(mode="json")
    doc["seed"] = scene.seed
    return doc


def yolo_labels(truth: PhotoDetections) -> str:
    """YOLO label lines (``class cx cy w h``, normalised) for product/price_tag/promo boxes."""
    classes = {k: i for i, k in enumerate(keys.DETECTOR_CLASSES)}
    kinds = field_values(truth.detections, keys.KIND)
    lines = []
    for box, kind in zip(truth.detections.xyxy, kinds, strict=True):
        if kind not in classes:
            continue
        x0, y0, x1, y1 = (float(v) for v in box)
        lines.append(f"{classes[kind]} {(x0 + x1) / 2 / truth.width:.6f} "
                     f"{(y0 + y1) / 2 / truth.height:.6f} {(x1 - x0) / truth.width:.6f} "
                     f"{(y1 - y0) / truth.height:.6f}")
    return "\n".join(lines) + ("\n" if lines else "")


def _yolo_data_yaml(root: Path) -> None:
    names = "\n".join(f"  {i}: {n}" for i, n in enumerate(keys.DETECTOR_CLASSES))
    (root / "data.yaml").write_text(
        "# ShelfAudit synthetic shelves (shelfaudit synth). Paths are relative to this file.\n"
        f"train: images/train\nval: images/val\nnc: {len(keys.DETECTOR_CLASSES)}\n"
        f"names:\n{names}\n", encoding="utf-8")


def _coco(photos: list[tuple[str, PhotoDetections]]) -> dict[str, Any]:
    classes = {k: i for i, k in enumerate(keys.DETECTOR_CLASSES)}
    images, annotations = [], []
    for image_id, (file_name, truth) in enumerate(photos, start=1):
        images.append({"id": image_id, "file_name": file_name, "width": truth.width,
                       "height": truth.height})
        kinds = field_values(truth.detections, keys.KIND)
        for box, kind in zip(truth.detections.xyxy, kinds, strict=True):
            if kind not in classes:
                continue
            x0, y0, x1, y1 = (round(float(v), 1) for v in box)
            annotations.append({
                "id": len(annotations) + 1, "image_id": image_id, "category_id": classes[kind],
                "bbox": [x0, y0, round(x1 - x0, 1), round(y1 - y0, 1)],
                "area": round((x1 - x0) * (y1 - y0), 1), "iscrowd": 0})
    categories = [{"id": i, "name": n, "supercategory": "shelf"}
                  for i, n in enumerate(keys.DETECTOR_CLASSES)]
    return {"images": images, "annotations": annotations, "categories": categories}


_SUBFOLDERS = ("images", "truth", "yolo/images/train", "yolo/images/val", "yolo/labels/train",
               "yolo/labels/val", "coco/images")


def _prepare(out: Path) -> None:
    for sub in _SUBFOLDERS:
        (out / sub).mkdir(parents=True, exist_ok=True)


def _remove_stale(out: Path, names: set[str]) -> None:
    """Drop photos/labels an earlier run left in our own subfolders (only ``shelf-s*`` files),
    so a re-run into the same folder never trains on yesterday's leftovers."""
    for sub in _SUBFOLDERS:
        for path in (out / sub).glob("shelf-s*"):
            if path.is_file() and path.stem not in names:
                path.unlink()


def write_dataset(
    catalog: Catalog,
    out_dir: str | Path,
    scenes: int,
    seed: int,
    width: int | None = None,
    fault_rates: FaultRates | None = None,
    progress: bool = True,
    val_fraction: float = 0.2,
    on_scene: Callable[[int, Scene], None] | None = None,
    categories: list[str] | None = None,
    promo_rate: float | None = None,
) -> list[Path]:
    """Render ``scenes`` photos into ``out_dir`` with truth and YOLO/COCO exports.

    Every scene gets its own random planogram (from ``categories`` when given; ``promo_rate``
    is the chance that a planned block carries a promo sign, default 0.22). Returns the
    written photo paths. ``progress`` shows a rich progress bar on stderr.
    """
    if scenes < 1:
        raise ValueError("scenes must be >= 1")
    if not 0.0 <= val_fraction < 1.0:
        raise ValueError("val fraction must be in [0, 1)")
    out = Path(out_dir)
    _prepare(out)
    photos: list[PhotoDetections] = []
    coco_rows: list[tuple[str, PhotoDetections]] = []
    written: list[Path] = []
    with _progress_bar(progress, scenes) as advance:
        for index in range(scenes):
            planogram = None
            if categories or promo_rate is not None:
                planogram = make_planogram(
                    catalog, np.random.default_rng([scene_seed(seed, index), 1]),
                    categories=categories,
                    promo_rate=PROMO_RATE if promo_rate is None else promo_rate)
            scene = render_scene(catalog, scene_seed(seed, index), width=width,
                                 planogram=planogram, fault_rates=fault_rates)
            name = scene_name(seed, index)
            image_path = out / "images" / f"{name}.jpg"
            scene.image.save(image_path, format="JPEG", quality=scene.jpeg_quality)
            rel = f"images/{name}.jpg"
            _dump(out / "truth" / f"{name}.json", truth_document(scene, rel))
            photo = PhotoDetections(path=rel, width=scene.truth.width, height=scene.truth.height,
                                    detections=scene.truth.detections, camera="synthetic",
                                    extra={"faults": scene.faults, "seed": scene.seed,
                                           "planogram": scene.planogram.model_dump(mode="json")})
            photos.append(photo)
            split = "val" if is_val(index, val_fraction) else "train"
            _link(image_path, out / "yolo" / "images" / split / f"{name}.jpg")
            (out / "yolo" / "labels" / split / f"{name}.txt").write_text(
                yolo_labels(scene.truth), encoding="utf-8")
            _link(image_path, out / "coco" / "images" / f"{name}.jpg")
            coco_rows.append((f"{name}.jpg", scene.truth))
            written.append(image_path)
            if on_scene is not None:
                on_scene(index, scene)
            advance()
    _remove_stale(out, {p.stem for p in written})
    _dump(out / "detections.json", {"photos": [p.to_dict() for p in photos]})
    _yolo_data_yaml(out / "yolo")
    _dump(out / "coco" / "annotations.json", _coco(coco_rows))
    return written


class _progress_bar:  # noqa: N801 - used like a function in a with-statement
    """A rich progress bar on stderr (or nothing), yielding an ``advance()`` callable."""

    def __init__(self, enabled: bool, total: int) -> None:
        self.enabled, self.total, self.bar = enabled, total, None

    def __enter__(self) -> Callable[[], None]:
        if not self.enabled:
            return lambda: None
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self.bar = Progress(TextColumn("rendering shelves"), BarColumn(), MofNCompleteColumn(),
                            TimeElapsedColumn(), TimeRemainingColumn(),
                            console=Console(stderr=True))
        self.bar.start()
        task = self.bar.add_task("synth", total=self.total)
        return lambda: self.bar.advance(task)  # type: ignore[union-attr]

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()
