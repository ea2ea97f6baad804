"""Tiny labelled photo sets made on the fly: one flat colour per class (tests only)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

COLOURS = {"red-apple": (200, 30, 30), "green-apple": (40, 190, 40), "milk": (235, 235, 240),
           "juice": (250, 160, 20), "oat-milk": (120, 90, 200), "yoghurt": (30, 60, 200)}


def photo(colour: tuple[int, int, int], seed: int, size: int = 48) -> Image.Image:
    noise = np.random.default_rng(seed).integers(-12, 12, (size, size, 3))
    return Image.fromarray(np.clip(np.array(colour) + noise, 0, 255).astype(np.uint8))


def grocery_set(root: Path, per_split: dict[str, int] | None = None) -> Path:
    """A folder in the Grocery Store layout: classes.csv + train.txt/val.txt + photos."""
    per_split = per_split or {"train": 8, "val": 3}
    names = list(COLOURS)
    rows = ["Class Name (str),Class ID (int),Coarse Class Name (str),Coarse Class ID (int),"
            "Iconic Image Path (str),Product Description Path (str)"]
    for i, name in enumerate(names):
        coarse = name.split("-")[-1]
        rows.append(f"{name},{i},{coarse},{i},/x.jpg,/x.txt")
    (root / "classes.csv").write_text("\n".join(rows) + "\n")
    for split, n in per_split.items():
        lines = []
        for i, name in enumerate(names):
            folder = root / split / name
            folder.mkdir(parents=True, exist_ok=True)
            for j in range(n):
                path = folder / f"{name}_{j:03d}.jpg"
                photo(COLOURS[name], hash((split, name, j)) % 10_000).save(path)
                lines.append(f"{split}/{name}/{path.name}, {i}, {i}")
        (root / f"{split}.txt").write_text("\n".join(lines) + "\n")
    return root


def plain_set(root: Path, n: int = 8) -> Path:
    """``<class>/*.jpg`` folders."""
    for name, colour in COLOURS.items():
        (root / name).mkdir(parents=True, exist_ok=True)
        for j in range(n):
            photo(colour, j).save(root / name / f"{j}.jpg")
    return root


class ColourEmbedder:
    """A stand-in embedder: the mean colour of a photo, centred and L2-normalised."""

    dim = 3
    version = "colour-test"

    def __init__(self, meta: dict | None = None, withheld: list[str] | None = None):
        self.meta = meta or {}
        self.withheld_classes = withheld or []

    def embed(self, images):
        import torch

        means = torch.tensor(np.array([np.asarray(im, float).reshape(-1, 3).mean(0)
                                       for im in images]), dtype=torch.float32) - 128.0
        return torch.nn.functional.normalize(means, dim=-1)
