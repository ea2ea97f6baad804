"""Is this photo like the photos the configured models learned from? (out-of-domain check)

Models trained on one kind of photo name anything they are shown; on photos unlike their
training data their confident answers mean nothing (the starter models, trained on synthetic
shelves, call a real Coca-Cola bottle ``colaco-cola-1500`` at 1.00). Before their answers are
used, each photo is compared with a **domain reference**: image features of photos of the
models' training domain, saved with the models.

Features: the image embedder's trunk (EfficientNet-Lite0) pooled over the whole photo, squashed
to ``size`` px, L2-normalised. Distance: mean cosine distance to the ``k`` nearest reference
photos. A photo is **out of domain** when its distance is above the reference's ``floor``, tuned
on photos of the domain that are not in the reference (``shelfaudit train domain``): the
largest such distance times a margin, so that no photo like the training photos is flagged.

A reference is made for a set of models (their versions are recorded); with other weights
configured it does not apply, and the check says so instead of guessing (make one for those
weights from a folder of photos they work on).

Verdicts and their words: :mod:`pipeline.vision.domain_reasons`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from pipeline.vision.domain_reasons import DomainVerdict
from pipeline.vision.embedder import Embedder, square_pixels

REFERENCE_FILE = "domain.safetensors"
META_FILE = "domain.json"


@dataclass
class DomainCheck:
    """Reference features of a model set's training domain and the tuned floor."""

    embedder: Embedder
    reference: torch.Tensor  # R x D, L2-normalised
    floor: float
    k: int = 5
    models: dict[str, str] = field(default_factory=dict)  # which weights it was made for
    meta: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, folder: str | Path, embedder: Embedder) -> DomainCheck | None:
        """The reference in ``folder`` (``None`` when there is none)."""
        folder = Path(folder)
        if not (folder / REFERENCE_FILE).is_file() or not (folder / META_FILE).is_file():
            return None
        from safetensors.torch import load_file

        meta = json.loads((folder / META_FILE).read_text(encoding="utf-8"))
        reference = load_file(str(folder / REFERENCE_FILE))["features"].float()
        return cls(embedder, reference, float(meta["floor"]), int(meta.get("k", 5)),
                   dict(meta.get("models", {})), meta)

    def save(self, folder: str | Path) -> None:
        from safetensors.torch import save_file

        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        save_file({"features": self.reference.half().contiguous()}, str(folder / REFERENCE_FILE))
        meta = {**self.meta, "floor": round(self.floor, 5), "k": self.k, "models": self.models,
                "features": self.embedder.version, "size": self.size}
        (folder / META_FILE).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")

    @property
    def size(self) -> int:
        return int(self.meta.get("size", 224))

    def applies_to(self, models: dict[str, str | None]) -> bool:
        """Whether the reference was made for these detector and recognizer weights (and with
        the embedder it has now)."""
        if self.meta.get("features") not in (None, self.embedder.version):
            return False
        return all(models.get(role) == version for role, version in self.models.items())

    def distances(self, images: Sequence[np.ndarray]) -> np.ndarray:
        """Mean cosine distance of each photo to its ``k`` nearest reference photos."""
        feats = photo_features(self.embedder, images, self.size)
        sims = feats @ self.reference.T
        k = min(self.k, sims.shape[1])
        return (1.0 - sims.topk(k, dim=1).values.mean(1)).numpy()

    def check(self, images: Sequence[np.ndarray]) -> list[DomainVerdict]:
        """A verdict per photo."""
        return [DomainVerdict(bool(d > self.floor), "out" if d > self.floor else "in",
                              float(d), float(self.floor))
                for d in self.distances(images)]


def photo_features(embedder: Embedder, images: Sequence[np.ndarray], size: int = 224,
                   batch: int = 16) -> torch.Tensor:
    """Pooled trunk features of whole photos (squashed to ``size``), L2-normalised, on CPU."""
    out = []
    with torch.inference_mode():
        for start in range(0, len(images), batch):
            chunk = [_squash(im, size) for im in images[start:start + batch]]
            pixels = square_pixels(chunk, size).to(embedder.device)
            feats = embedder.net.pooled(pixels).float()
            out.append(torch.nn.functional.normalize(feats, dim=-1).cpu())
    return torch.cat(out) if out else torch.zeros(0, embedder.net.trunk.num_features)


def _squash(image: np.ndarray, size: int) -> np.ndarray:
    """The whole photo resized to ``size`` x ``size`` (shape ignored: a shelf is wide)."""
    from PIL import Image

    return np.asarray(Image.fromarray(np.ascontiguousarray(image)).resize(
        (size, size), Image.Resampling.BILINEAR))


def unknown_verdict() -> DomainVerdict:
    """The verdict when no reference applies to the configured weights."""
    return DomainVerdict(False, "unchecked")
