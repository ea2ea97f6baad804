"""Train the starter detector: ultralytics YOLO from ``yolo11n.yaml`` on synthetic shelves.

No pretrained weights are used (none can be downloaded here): the network starts from random
weights and learns the synthetic world's three kinds (product, price_tag, promo). Training is
deterministic for a given seed on the CPU. The weights ultralytics keeps as ``best.pt`` are
already stripped of the optimizer; they are copied to ``out`` and the training arguments are
written next to them as ``<out>.train.json``.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from pipeline.errors import ShelfAuditError
from pipeline.i18n import _

VARIED_WIDTHS = (640, 960, 1280, 1600, 2048, 2560, 3200, 4000)  # as `shelfaudit synth`


@dataclass
class DetectorTraining:
    """What to train on and how (``data`` wins over the synthetic ``scenes``/``seed``)."""

    data: Path | None = None
    scenes: int = 200
    seed: int = 0
    width: int = 0
    epochs: int = 40
    imgsz: int = 640
    batch: int = 16
    out: Path = Path("models/detector.pt")
    workdir: Path | None = None
    device: str = "cpu"
    extra: dict = field(default_factory=dict)  # more ultralytics train() arguments


@dataclass
class TrainedDetector:
    weights: Path
    args_file: Path
    seconds: float


def parse_extra(pairs: list[str]) -> dict[str, Any]:
    """``["close_mosaic=3", "lr0=0.002"]`` -> ``{"close_mosaic": 3, "lr0": 0.002}`` (YAML values).

    Raises:
        ShelfAuditError: an item is not ``KEY=VALUE``.
    """
    from ruamel.yaml import YAML

    extra: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ShelfAuditError(_("--arg {pair}: expected KEY=VALUE").format(
                pair=repr(pair)))
        extra[key.strip()] = YAML(typ="safe", pure=True).load(value) if value else None
    return extra


def find_data_yaml(data: Path) -> Path:
    """The ``data.yaml`` of a YOLO dataset given the file, its folder or a synth output folder.

    Raises:
        ShelfAuditError: no data.yaml there.
    """
    data = Path(data)
    for candidate in (data, data / "data.yaml", data / "yolo" / "data.yaml"):
        if candidate.is_file():
            return candidate
    raise ShelfAuditError(_("{data}: no YOLO data.yaml found (looked in it, and in yolo/)")
                          .format(data=data))


def render_synthetic(out: Path, scenes: int, seed: int, width: int, val_every: int = 10) -> Path:
    """Render a synthetic YOLO training set (every ``val_every``-th scene is validation).

    Scene ``i`` uses seed ``seed * 1_000_003 + i``, so a set rendered with another ``seed``
    shares no scene with this one. ``width`` <= 0 varies the photo width per scene
    (:data:`VARIED_WIDTHS`, the 640-4000 px range of ``shelfaudit synth``).
    Returns the ``data.yaml``.
    """
    from pipeline import keys
    from pipeline.catalog import load_catalog
    from pipeline.settings import get_settings
    from pipeline.synth import render_scene

    catalog = load_catalog(get_settings().rules_dir / "catalog.yaml")
    class_ids = {kind: i for i, kind in enumerate(keys.DETECTOR_CLASSES)}
    for i in range(scenes):
        split = "val" if i % val_every == val_every - 1 else "train"
        scene_seed = seed * 1_000_003 + i
        scene_width = width if width > 0 else VARIED_WIDTHS[scene_seed % len(VARIED_WIDTHS)]
        scene = render_scene(catalog, seed=scene_seed, width=scene_width)
        (out / "images" / split).mkdir(parents=True, exist_ok=True)
        (out / "labels" / split).mkdir(parents=True, exist_ok=True)
        scene.image.save(out / "images" / split / f"{i:05d}.jpg", quality=scene.jpeg_quality)
        w, h = scene.image.size
        det = scene.truth.detections
        rows = [
            f"{class_ids[k]} {(x0 + x1) / 2 / w:.6f} {(y0 + y1) / 2 / h:.6f} "
            f"{(x1 - x0) / w:.6f} {(y1 - y0) / h:.6f}"
            for (x0, y0, x1, y1), k in zip(det.xyxy, det.data[keys.KIND], strict=True)
            if k in class_ids
        ]
        (out / "labels" / split / f"{i:05d}.txt").write_text("\n".join(rows) + "\n")
    names = "".join(f"  {i}: {k}\n" for k, i in class_ids.items())
    data_yaml = out / "data.yaml"
    data_yaml.write_text(f"path: {out.resolve()}\ntrain: images/train\nval: images/val\n"
                         f"names:\n{names}", encoding="utf-8")
    return data_yaml


def train_args(job: DetectorTraining, data_yaml: Path, project: Path) -> dict:
    """The ultralytics ``train()`` arguments (also recorded next to the weights)."""
    return {
        "data": str(data_yaml),
        "epochs": job.epochs,
        "imgsz": job.imgsz,
        "batch": job.batch,
        "nbs": job.batch,  # one optimizer step per batch (the default accumulates to 64)
        "device": job.device,
        "seed": job.seed,
        "deterministic": True,
        "workers": 0,
        "plots": False,
        "amp": False,  # the AMP check would download yolo11n.pt
        "cache": "ram",
        "project": str(project),
        "name": "detector",
        "exist_ok": True,
        "verbose": False,
        **job.extra,
    }


def train_detector(job: DetectorTraining) -> TrainedDetector:
    """Train, copy the best weights to ``job.out`` and record how they were made."""
    started = time.time()
    workdir = Path(job.workdir or tempfile.mkdtemp(prefix="shelfaudit-train-")).resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    if job.data is not None:
        data_yaml = find_data_yaml(job.data)
        source = {"data": str(job.data)}
    else:
        data_yaml = render_synthetic(workdir / "synth", job.scenes, job.seed, job.width)
        source = {"synthetic": {"scenes": job.scenes, "seed": job.seed, "width": job.width}}
    from pipeline.vision.detector import import_yolo

    YOLO = import_yolo()  # noqa: N806 - the ultralytics class

    args = train_args(job, data_yaml, workdir / "runs")
    model = YOLO("yolo11n.yaml", task="detect")
    model.train(**args)
    run_dir = workdir / "runs" / "detector" / "weights"
    best = run_dir / "best.pt" if (run_dir / "best.pt").exists() else run_dir / "last.pt"
    if not best.exists():
        raise ShelfAuditError(_("training wrote no weights under {folder}").format(
            folder=run_dir))
    out = Path(job.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(best, out)
    seconds = time.time() - started
    record = {
        "architecture": "yolo11n.yaml",
        "init": (f"fine-tuned from {args['pretrained']}" if args.get("pretrained")
                 else "random (no pretrained weights)"),
        "source": source,
        "train_args": {k: v for k, v in args.items() if k not in ("project", "exist_ok")},
        "job": {k: str(v) if isinstance(v, Path) else v for k, v in asdict(job).items()},
        "seconds": round(seconds, 1),
        "weights_bytes": out.stat().st_size,
    }
    args_file = out.with_suffix(".train.json")
    args_file.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return TrainedDetector(out, args_file, seconds)
