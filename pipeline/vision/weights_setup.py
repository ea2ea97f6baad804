"""After a pull: point the models settings file at the new weights, smoke-test them, and say what
is configured (``shelfaudit models list``).

The settings file is ``settings.models_file`` (``SHELFAUDIT_MODELS``), or
``$SHELFAUDIT_HOME/models.yaml`` when there is none yet. It is edited round-trip (ruamel), so
comments, order and every other key survive; the new text is validated as a
:class:`~pipeline.vision.config.ModelsConfig` before it replaces the file (atomically).

The smoke test loads the weights through the engine's own loaders (``ShelfDetector.load``,
``load_dual_encoder``, ``Embedder.load``) and runs them once on a synthetic 640x480 shelf
image; its figures (load time, warm per-photo time, device) go into the pull record and are
shown by ``models list``. Speed depends on the machine, not on what the image shows.
"""

from __future__ import annotations

import io
import json
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap

from pipeline import yamldoc
from pipeline.errors import ShelfAuditError
from pipeline.i18n import _
from pipeline.settings import STARTER_MODELS_DIR, get_settings
from pipeline.vision.config import ModelsConfig, load_models_config
from pipeline.vision.weights import load_records, write_atomically
from pipeline.vision.weights_registry import Checkpoint

ROLES = ("detector", "recognizer", "embedder")
SMOKE_SIZE = (480, 640)  # height, width of the synthetic shelf image
EMBEDDER_FIGURES = ("figures", "evaluation", "calibration", "unknown_threshold")


class SmokeTestError(ShelfAuditError):
    """Downloaded and verified, but the weights do not load or run (exit 1)."""

    exit_code = 1


# --- the models settings file ---
def models_file() -> Path:
    """The models settings file in force, or where a new one goes (``$HOME/models.yaml``)."""
    return get_settings().models_file or get_settings().home_dir / "models.yaml"


def configure(role: str, path: Path, target: Path | None = None) -> Path:
    """Set ``role: path`` in the models settings file, keeping comments and other keys.

    Raises:
        YamlFileError: the file (or the result) is not a valid models settings file.
    """
    target = target or models_file()
    doc = yamldoc.load(target) if target.is_file() else None
    if doc is None:
        doc = CommentedMap()
    if not isinstance(doc, dict):
        raise yamldoc.YamlFileError([yamldoc.Problem(
            str(target), 1, 1, "expected a mapping of model settings; not changed")])
    doc[role] = str(path)
    yaml = YAML(typ="rt", pure=True)
    yaml.width = 100
    buffer = io.StringIO()
    yaml.dump(doc, buffer)
    text = buffer.getvalue()
    check = yamldoc.loads(text, str(target))
    try:
        ModelsConfig.model_validate(yamldoc.to_plain(check))
    except ValidationError as exc:  # report located problems, change nothing
        raise yamldoc.YamlFileError(
            yamldoc.problems_from_validation(exc, check, str(target))) from None
    write_atomically(target, text)
    get_settings.cache_clear()
    return target


# --- the smoke test ---
def synthetic_shelf() -> np.ndarray:
    """A 640x480 RGB image of three shelf rows of coloured packs (deterministic)."""
    height, width = SMOKE_SIZE
    image = np.full((height, width, 3), 200, dtype=np.uint8)
    rng = np.random.default_rng(0)
    for row in range(3):
        top = 20 + row * 155
        image[top + 125:top + 135] = 90  # the shelf edge
        x = 12
        while x < width - 50:
            w, h = int(rng.integers(40, 70)), int(rng.integers(80, 120))
            image[top + 125 - h:top + 125, x:x + w] = rng.integers(30, 250, 3)
            x += w + 6
    return image


def smoke_test(role: str, path: Path) -> dict[str, Any]:
    """Load the weights at ``path`` with the engine's loader and run them on one image.

    Raises:
        SmokeTestError: they do not load or run (the message says why).
    """
    from pipeline.vision.device import pick_device

    runner = {"detector": _smoke_detector, "recognizer": _smoke_recognizer,
              "embedder": _smoke_embedder}[role]
    device = pick_device(load_models_config().device)
    image = synthetic_shelf()
    try:
        started = time.perf_counter()
        run = runner(path, device)
        loaded = time.perf_counter()
        detail = run(image)  # first call: warm-up
        warm = time.perf_counter()
        run(image)
        done = time.perf_counter()
    except ShelfAuditError as exc:
        raise SmokeTestError(_("smoke test of {path}: {problem}").format(
            path=path, problem=exc)) from None
    except Exception as exc:  # noqa: BLE001 - any failure means "these weights do not run"
        first = str(exc).splitlines()[0][:300] if str(exc) else ""
        raise SmokeTestError(_("smoke test of {path}: {problem}").format(
            path=path, problem=f"{type(exc).__name__}: {first}")) from None
    return {"ok": True, "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "device": str(device), "load_s": round(loaded - started, 2),
            "first_ms": round((warm - loaded) * 1000, 1),
            "per_photo_ms": round((done - warm) * 1000, 1),
            "image": f"{SMOKE_SIZE[1]}x{SMOKE_SIZE[0]} synthetic shelf", **detail}


def _smoke_detector(path: Path, device: Any):
    from pipeline.vision.detector import ShelfDetector

    detector = ShelfDetector.load(path, device=device, config=load_models_config())
    if not detector.kinds:
        raise ShelfAuditError(_("none of its classes {classes} is a product, price tag or "
                                "promo sign").format(classes=dict(detector.model.names)))

    def run(image: np.ndarray) -> dict[str, Any]:
        boxes = detector.detect([image])[0]
        return {"classes": len(detector.model.names), "boxes": len(boxes),
                "imgsz": detector.imgsz}
    return run


def _smoke_recognizer(path: Path, device: Any):
    import torch

    from pipeline.vision.crops import cut_crops
    from pipeline.vision.dual_encoder import load_dual_encoder

    encoder = load_dual_encoder(path, device)
    boxes = np.array([[12, 60, 70, 145], [200, 215, 260, 300]], dtype=np.float32)

    def run(image: np.ndarray) -> dict[str, Any]:
        pixels = cut_crops([image], [boxes], encoder.spec, device, encoder.dtype).pixels
        similarity = encoder.image_features(pixels) @ encoder.text_features(
            ["a can of cola", "一瓶矿泉水"]).T
        if not torch.isfinite(similarity).all():
            raise ShelfAuditError(_("image-text similarities are not finite numbers"))
        return {"embed_dim": encoder.embed_dim, "crops": len(pixels)}
    return run


def _smoke_embedder(path: Path, device: Any):
    from pipeline.vision.embedder import Embedder

    embedder = Embedder.load(path, device)

    def run(image: np.ndarray) -> dict[str, Any]:
        vectors = embedder.embed([image[60:145, 12:70], image])
        return {"embed_dim": int(vectors.shape[1])}
    return run


def next_steps(entry: Checkpoint, smoke: dict[str, Any] | None = None) -> list[str]:
    """What to run after pulling ``entry`` (plain lines; ``smoke``: its smoke-test figures)."""
    home = get_settings().home_dir
    steps = []
    if entry.role == "detector":
        steps.append("shelfaudit inspect PHOTO.jpg   # detect with the new weights")
        if (smoke or {}).get("classes") == 1:
            steps.append("note: a one-class detector finds products only - price_tag_present, "
                         "price_match and promo_present rules will see no tags or signs")
    elif entry.role == "recognizer":
        steps.append(f"put 3-5 reference photos per SKU in {home / 'gallery'}/<sku>/*.jpg "
                     "(gallery: in models.yaml)")
        steps.append("shelfaudit inspect PHOTO.jpg   # name products with the new model")
    else:
        steps.append("shelfaudit eval recognition --data DIR   # gallery matching on real photos")
    steps.append("shelfaudit models list   # what is configured now")
    return steps


# --- what is configured (models list) ---
@dataclass
class Configured:
    """One configured model (or gallery folder) and where it came from."""

    role: str
    path: str | None
    exists: bool
    source: str  # registry | starter | local path | hub id | none
    registry_name: str | None = None
    url: str | None = None
    sha256: str | None = None
    licence: str | None = None
    figures: dict[str, Any] = field(default_factory=dict)


def configured_models() -> list[Configured]:
    """Detector, recognizer, embedder and gallery folders of the settings in force."""
    config = load_models_config()
    records = load_records()
    rows = [_describe(role, getattr(config, role, None), records) for role in ROLES]
    rows += [_describe_gallery(folder) for folder in config.gallery]
    return rows


def _describe(role: str, value: str | None, records: dict[str, Any]) -> Configured:
    if not value:
        return Configured(role, None, False, "none")
    path = Path(value).expanduser()
    for name, record in records.items():
        if _same(record.get("path"), path):
            files = record.get("files", {})
            primary = files.get(record.get("weights"), {})
            return Configured(role, str(path), path.exists(), "registry", name,
                              primary.get("from") or record.get("from"), primary.get("sha256"),
                              record.get("licence"), _figures(role, path, record))
    if not path.exists() and value.count("/") == 1 and not path.suffix:
        return Configured(role, value, False, "hub id")
    source = "starter" if _under(path, STARTER_MODELS_DIR) else "local path"
    return Configured(role, str(path), path.exists(), source, figures=_figures(role, path, {}))


def _describe_gallery(folder: str) -> Configured:
    path = Path(folder)
    figures = {}
    if path.is_dir():
        skus = [d for d in path.iterdir() if d.is_dir()]
        figures = {"skus": len(skus), "photos": sum(
            1 for d in skus for f in d.iterdir() if f.suffix.lower() in (".jpg", ".jpeg", ".png"))}
    source = "starter" if _under(path, STARTER_MODELS_DIR) else "local path"
    return Configured("gallery", str(path), path.is_dir(), source, figures=figures)


def _figures(role: str, path: Path, record: dict[str, Any]) -> dict[str, Any]:
    figures = dict(record.get("smoke") or {})
    figures.pop("ok", None)
    meta = path / "embedder.json"
    if role == "embedder" and meta.is_file():
        try:
            saved = json.loads(meta.read_text(encoding="utf-8"))
        except (ValueError, OSError):
            saved = {}
        figures.update({k: saved[k] for k in EMBEDDER_FIGURES if k in saved})
    return figures


def _same(recorded: str | None, path: Path) -> bool:
    return bool(recorded) and Path(recorded).resolve() == path.resolve()


def _under(path: Path, folder: Path) -> bool:
    return path.resolve().is_relative_to(folder.resolve())


def as_dicts(rows: list[Configured]) -> list[dict[str, Any]]:
    return [asdict(row) for row in rows]
