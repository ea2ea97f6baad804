"""Does this photo show the camera's usual view? (checked before a planogram judges an upload)

A fixed shelf camera sees the same shelf every day, and its planogram describes that shelf. An
uploaded photo judged against a camera's planogram must show that shelf, or the verdict is
nonsense (a snacks bay judged as the drinks aisle: "OSA 21 %", products "at the wrong place").

Features: the domain check's (:func:`pipeline.vision.domain.photo_features` — the image
embedder's trunk pooled over the whole photo, L2-normalised). A camera's usual view is a few of
its recent scheduled photos; a photo's distance to a camera is its mean cosine distance to
them. The photo **matches** the chosen camera when

1. its distance is at most the camera's *limit*, ``max(FLOOR, SPREAD_FACTOR x spread)``, the
   *spread* being the mean distance between its own reference photos (a camera whose days
   differ a lot tolerates more), and
2. no other camera of the store is nearer.

When another camera is nearer and within its own limit, the photo "looks like" that camera's
shelf (``other_camera``, named); otherwise it is like no camera of the store (``unlike``).

What chose the numbers (measured once on the demo's synthetic views — 2 stores x 4 cameras x
5 days, 1024 px — with the shipped embedder ``models/embedder``): the same camera on other days
0.01-0.08; the same shelf cropped to 85 %, shifted 15 %, zoomed to 70 % or turned 5 degrees
0.10-0.22; other cameras' views 0.22-0.39 (but the same planogram in another store 0.07);
unrelated photos (Grocery Store dataset) 0.73-0.88. Rule 2 separates other cameras of the
store that rule 1 alone would let through.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch

FLOOR = 0.30  # cosine distance a view may always be away
SPREAD_FACTOR = 3.0
REFERENCE_PHOTOS = 5  # recent scheduled photos per camera
SIZE = 224  # px, the features' input size (as the domain check)
MATCH, OTHER_CAMERA, UNLIKE, UNCHECKED = "match", "other_camera", "unlike", "unchecked"
NO_EMBEDDER, NO_REFERENCE = "no_embedder", "no_reference"  # why a photo was not checked
_CACHE_SIZE = 512  # reference photos whose features are kept
_features: OrderedDict[tuple[str, int], torch.Tensor] = OrderedDict()
_lock = threading.Lock()


@dataclass(frozen=True)
class ViewVerdict:
    """Whether a photo shows ``camera``'s usual view, with the figures behind it."""

    code: str  # match | other_camera | unlike | unchecked
    camera: str
    distance: float | None = None
    limit: float | None = None
    nearest: str | None = None  # the store's camera it looks most like
    why: str | None = None  # unchecked: no_embedder | no_reference

    @property
    def judge(self) -> bool:
        """Whether the photo may be judged by the camera's rules (unchecked photos are,
        with a note)."""
        return self.code in (MATCH, UNCHECKED)


def decide(photo: torch.Tensor, camera: str,
           references: Mapping[str, torch.Tensor]) -> ViewVerdict:
    """The verdict for one photo's features against each camera's reference features.

    Args:
        photo: ``D`` features of the photo (L2-normalised).
        camera: the chosen camera.
        references: camera id -> ``R x D`` features of its recent photos (the store's cameras).
    """
    mine = references.get(camera)
    if mine is None or len(mine) == 0:
        return ViewVerdict(UNCHECKED, camera, why=NO_REFERENCE)
    distances = {cam: float(1.0 - (feats @ photo).mean()) for cam, feats in references.items()
                 if len(feats)}
    limits = {cam: max(FLOOR, SPREAD_FACTOR * spread(references[cam])) for cam in distances}
    distance, limit = distances[camera], limits[camera]
    nearest = min(distances, key=lambda c: (distances[c], c != camera))
    if nearest != camera and distances[nearest] <= limits[nearest]:
        return ViewVerdict(OTHER_CAMERA, camera, distance, limit, nearest)
    if nearest != camera or distance > limit:
        return ViewVerdict(UNLIKE, camera, distance, limit)
    return ViewVerdict(MATCH, camera, distance, limit, nearest)


def spread(features: torch.Tensor) -> float:
    """Mean cosine distance between the reference photos of one camera (0 for one photo)."""
    n = len(features)
    if n < 2:
        return 0.0
    sims = features @ features.T
    return float((n - sims.sum() / n) / (n - 1))  # mean over the off-diagonal pairs


class ViewCheck:
    """Photos' features with the embedder, reference photos' features kept per file."""

    def __init__(self, embedder: object, size: int = SIZE):
        self.embedder = embedder
        self.size = size

    def features(self, images: Sequence[np.ndarray]) -> torch.Tensor:
        from pipeline.vision.domain import photo_features

        return photo_features(self.embedder, images, self.size)

    def reference(self, paths: Sequence[str]) -> torch.Tensor:
        """Features of photo files (kept per file and modification time; unreadable files
        are left out)."""
        out, todo = {}, []
        for path in paths:
            key = _file_key(path)
            if key is None:
                continue
            with _lock:
                found = _features.get(key)
                if found is not None:
                    _features.move_to_end(key)
            if found is None:
                todo.append((key, path))
            else:
                out[key] = found
        images = [(k, _thumbnail(p)) for k, p in todo]
        images = [(k, im) for k, im in images if im is not None]
        if images:
            feats = self.features([im for _, im in images])
            with _lock:
                for (key, _), f in zip(images, feats, strict=True):
                    _features[key] = out[key] = f
                while len(_features) > _CACHE_SIZE:
                    _features.popitem(last=False)
        keys = [_file_key(p) for p in paths]
        kept = [out[k] for k in keys if k in out]
        return torch.stack(kept) if kept else torch.zeros(0, 0)

    def check(self, images: Sequence[np.ndarray], camera: str,
              photos_by_camera: Mapping[str, Sequence[str]]) -> list[ViewVerdict]:
        """A verdict per image against the cameras' recent photo files."""
        references = {cam: self.reference(paths) for cam, paths in photos_by_camera.items()}
        if not images:
            return []
        feats = self.features(images)
        return [decide(f, camera, references) for f in feats]


def _file_key(path: str) -> tuple[str, int] | None:
    try:
        return str(path), Path(path).stat().st_mtime_ns
    except OSError:
        return None


def _thumbnail(path: str) -> np.ndarray | None:
    """A reference photo, decoded at reduced size (JPEG draft mode), upright RGB."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            image.draft("RGB", (SIZE * 2, SIZE * 2))
            return np.asarray(ImageOps.exif_transpose(image).convert("RGB"))
    except (OSError, UnidentifiedImageError, ValueError):
        return None


def embedder_folder() -> Path | None:
    """The embedder whose features compare views: the models settings' ``embedder``, else
    the one the domain reference names, else the starter's ``models/embedder``."""
    from pipeline.settings import STARTER_MODELS_DIR
    from pipeline.vision.config import load_models_config

    config = load_models_config()
    if config.embedder:
        return Path(config.embedder)
    if config.domain and (Path(config.domain) / "domain.json").is_file():
        meta = json.loads((Path(config.domain) / "domain.json").read_text(encoding="utf-8"))
        return (Path(config.domain) / meta.get("embedder", "../embedder")).resolve()
    starter = STARTER_MODELS_DIR / "embedder"
    return starter if starter.is_dir() else None


@lru_cache(maxsize=2)
def _load(folder: str) -> ViewCheck:
    from pipeline.vision.embedder import Embedder

    return ViewCheck(Embedder.load(folder, "cpu"))


def view_check() -> ViewCheck | None:
    """The shared view check (its embedder loaded once per process), or ``None`` when no
    embedder can be loaded (photos are then judged unchecked, and say so)."""
    from pipeline.errors import ShelfAuditError
    from pipeline.yamldoc import YamlFileError

    try:
        folder = embedder_folder()
        return _load(str(folder)) if folder is not None else None
    except (ShelfAuditError, YamlFileError, OSError, ValueError):
        return None
