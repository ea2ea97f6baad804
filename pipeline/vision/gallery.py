"""The reference gallery: a few photos per SKU, matched by nearest neighbour in image space.

Folders are laid out as ``<dir>/<sku>/*.jpg`` (any photo format :mod:`pipeline.imaging` reads);
each photo is one upright product, cropped to its edges. Embeddings are cached on disk under
``$SHELFAUDIT_HOME/cache/gallery/`` keyed by the model version and the files' names, sizes and
modification times. :meth:`Gallery.add` grows the gallery at run time — no retraining.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from pipeline.vision.crops import cut_crops
from pipeline.vision.dual_encoder import DualEncoder
from pipeline.vision.embedder import Embedder

log = logging.getLogger(__name__)
PHOTO_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff"}


@dataclass
class Gallery:
    """Reference embeddings with their SKU and upright aspect ratio (width / height)."""

    skus: list[str] = field(default_factory=list)
    embeddings: torch.Tensor | None = None  # R x D, L2-normalised
    aspects: list[float] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.skus)

    def add(self, sku: str, embedding: torch.Tensor, aspect: float) -> None:
        row = embedding.reshape(1, -1).float()
        self.embeddings = row if self.embeddings is None else torch.cat(
            [self.embeddings, row.to(self.embeddings.device)])
        self.skus.append(sku)
        self.aspects.append(float(aspect))

    def nearest(self, embeddings: torch.Tensor, sku_ids: Sequence[str]
                ) -> tuple[torch.Tensor, torch.Tensor]:
        """Best cosine similarity to each SKU's references: ``(N x K sims, K has-references)``.

        SKUs without references get ``-inf``.
        """
        n, k = len(embeddings), len(sku_ids)
        sims = torch.full((n, k), float("-inf"), device=embeddings.device)
        has = torch.zeros(k, dtype=torch.bool, device=embeddings.device)
        if self.embeddings is None or n == 0:
            return sims, has
        column = {s: j for j, s in enumerate(sku_ids)}
        idx = torch.tensor([column.get(s, -1) for s in self.skus], device=embeddings.device)
        known = idx >= 0
        if not bool(known.any()):
            return sims, has
        ref_sims = embeddings @ self.embeddings.to(embeddings.device)[known].T  # N x R
        sims = sims.scatter_reduce(1, idx[known].expand(n, -1), ref_sims, reduce="amax")
        has[idx[known]] = True
        return sims, has

    def upright_aspects(self) -> dict[str, float]:
        """Median width/height of each SKU's references (their upright shape)."""
        by_sku: dict[str, list[float]] = {}
        for sku, aspect in zip(self.skus, self.aspects, strict=True):
            by_sku.setdefault(sku, []).append(aspect)
        return {s: float(np.median(a)) for s, a in by_sku.items()}


def reference_files(dirs: Sequence[str | Path]) -> list[tuple[str, Path]]:
    """``(sku, file)`` for every photo under ``<dir>/<sku>/`` (missing dirs are skipped)."""
    out = []
    for d in dirs:
        root = Path(d).expanduser()
        if not root.is_dir():
            continue
        for sku_dir in sorted(p for p in root.iterdir() if p.is_dir()):
            for f in sorted(sku_dir.iterdir()):
                if f.suffix.lower() in PHOTO_SUFFIXES and f.is_file():
                    out.append((sku_dir.name, f))
    return out


def embed_references(encoder: DualEncoder | Embedder, images: Sequence[np.ndarray]
                     ) -> torch.Tensor:
    """Image embeddings of whole reference photos (each photo is one product), by the image
    embedder when the recognizer has one, else by the CLIP image tower."""
    if isinstance(encoder, Embedder):
        return encoder.embed(images)
    boxes = [np.array([[0, 0, im.shape[1], im.shape[0]]], dtype=np.float32) for im in images]
    batch = cut_crops(images, boxes, encoder.spec, encoder.device, encoder.dtype)
    return encoder.image_features(batch.pixels)


def load_gallery(encoder: DualEncoder | Embedder, dirs: Sequence[str | Path],
                 known_skus: Sequence[str]) -> Gallery:
    """Embed every reference photo of a known SKU (cached on disk); unreadable photos and
    folders of SKUs not in the catalog are skipped with a warning."""
    from pipeline.errors import PhotoError
    from pipeline.imaging import load_photo

    known = set(known_skus)
    files = []
    for sku, f in reference_files(dirs):
        if sku in known:
            files.append((sku, f))
        else:
            log.warning("gallery: %s is not a catalog SKU; skipped", f.parent)
    gallery = Gallery()
    if not files:
        return gallery
    stamp = "|".join(f"{f}:{f.stat().st_size}:{f.stat().st_mtime_ns}" for _, f in files)
    key = hashlib.sha256(f"{encoder.version}|{stamp}".encode()).hexdigest()[:20]
    cached = _load_cached(key)
    if cached is not None and len(cached[1]) == len(files):
        gallery.skus = [s for s, _ in files]
        gallery.embeddings = cached[0].to(encoder.device)
        gallery.aspects = cached[1].tolist()
        return gallery
    images, skus = [], []
    for sku, f in files:
        try:
            images.append(load_photo(f).array())
            skus.append(sku)
        except PhotoError as exc:
            log.warning("gallery: %s", exc)
    if images:
        gallery.skus = skus
        gallery.embeddings = embed_references(encoder, images)
        gallery.aspects = [im.shape[1] / im.shape[0] for im in images]
        if len(images) == len(files):
            _store(key, gallery.embeddings, np.array(gallery.aspects, dtype=np.float32))
    return gallery


def _cache_file(key: str) -> Path:
    from pipeline.settings import get_settings

    return get_settings().home_dir / "cache" / "gallery" / f"{key}.safetensors"


def _load_cached(key: str) -> tuple[torch.Tensor, np.ndarray] | None:
    path = _cache_file(key)
    if not path.is_file():
        return None
    from safetensors.torch import load_file

    try:
        data = load_file(str(path))
        return data["embeddings"], data["aspects"].numpy()
    except Exception:  # noqa: BLE001 - a damaged cache file is recomputed
        return None


def _store(key: str, embeddings: torch.Tensor, aspects: np.ndarray) -> None:
    from safetensors.torch import save_file

    path = _cache_file(key)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        save_file({"embeddings": embeddings.cpu().contiguous(),
                   "aspects": torch.from_numpy(aspects)}, str(path))
    except OSError:
        pass
