"""``shelfaudit eval recognition``: real-photo recognition by reference-gallery matching.

A gallery of ``shots`` reference photos per class is drawn (fixed seed) from one split; every
photo of the other split is named by its nearest reference (cosine similarity of embeddings; a
class scores its best reference). Reported: top-1 / top-5 with 95 % Wilson intervals, top-1 per
coarse class, throughput, and with ``unknown_classes`` > 0 the open set — that many classes are
left out of the gallery and their photos must come out ``unknown`` (best similarity under the
embedder's calibrated ``unknown_threshold``), while known photos must not.

When the embedder's training withheld classes (``embedder.json``), top-1 on those classes —
products it never trained on — is reported separately (``top1_unseen``).
"""

from __future__ import annotations

import random
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from pipeline.i18n import _
from pipeline.lab.photo_sets import LabelledPhoto, PhotoSet, PhotoSetError, read_split, withheld
from pipeline.rules.score import wilson
from pipeline.vision.embedder import Embedder


@dataclass
class GalleryMatch:
    """Similarity of every query to every gallery class (best reference per class)."""

    classes: list[str]
    scores: torch.Tensor  # Q x C

    @classmethod
    def build(cls, queries: torch.Tensor, refs: torch.Tensor, ref_labels: Sequence[str]
              ) -> GalleryMatch:
        classes = sorted(set(ref_labels))
        column = torch.tensor([classes.index(lab) for lab in ref_labels])
        sims = queries @ refs.T
        scores = torch.full((len(queries), len(classes)), -2.0)
        scores = scores.scatter_reduce(1, column.expand(len(queries), -1), sims, reduce="amax")
        return cls(classes, scores)

    def ranked(self, k: int) -> list[list[str]]:
        top = self.scores.topk(min(k, len(self.classes)), dim=1).indices
        return [[self.classes[j] for j in row] for row in top.tolist()]

    def best(self) -> np.ndarray:
        return self.scores.max(dim=1).values.numpy()


def pick_gallery(photos: PhotoSet, shots: int, seed: int) -> list[LabelledPhoto]:
    """``shots`` photos per class, drawn with a fixed seed (fewer when a class has fewer)."""
    by_class: dict[str, list[LabelledPhoto]] = defaultdict(list)
    for p in photos.photos:
        by_class[p.label].append(p)
    rng = random.Random(seed)
    return [p for c in sorted(by_class) for p in rng.sample(by_class[c], min(shots,
                                                                              len(by_class[c])))]


def embed_photos(embedder: Embedder, photos: Sequence[LabelledPhoto],
                 progress: Callable[[int], None] | None = None, batch: int = 32) -> torch.Tensor:
    from PIL import Image

    out = []
    for start in range(0, len(photos), batch):
        arrays = []
        for p in photos[start:start + batch]:
            with Image.open(p.path) as im:
                arrays.append(np.asarray(im.convert("RGB")))
        out.append(embedder.embed(arrays).cpu())
        if progress is not None:
            progress(len(arrays))
    return torch.cat(out) if out else torch.zeros(0, embedder.dim)


def evaluate_recognition(
    data: str, embedder: Embedder, gallery_split: str = "train", test_split: str = "val",
    shots: int = 5, unknown_classes: int = 0, seed: int = 0,
    unknown_threshold: float | None = None, progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Figures of one evaluation (see the module docstring); JSON-ready."""
    gallery_set = read_split(data, gallery_split)
    gallery = pick_gallery(gallery_set, shots, seed)
    if gallery_split == test_split:  # one folder: the rest of each class is the test set
        chosen = {p.path for p in gallery}
        tests = [p for p in gallery_set.photos if p.path not in chosen]
    else:
        tests = read_split(data, test_split).photos
    classes = sorted({p.label for p in gallery})
    unknown = withheld(classes, unknown_classes, seed) if unknown_classes else []
    gallery = [p for p in gallery if p.label not in set(unknown)]
    tests = [p for p in tests if p.label in set(classes)]
    if not tests:
        raise PhotoSetError(_("{data}: no {split} photos of the gallery's classes").format(
            data=data, split=test_split))
    total, done = len(gallery) + len(tests), 0

    def tick(n: int) -> None:
        nonlocal done
        done += n
        if progress is not None:
            progress(done, total)

    refs = embed_photos(embedder, gallery, tick)
    started = time.perf_counter()
    queries = embed_photos(embedder, tests, tick)
    seconds = time.perf_counter() - started
    match = GalleryMatch.build(queries, refs, [p.label for p in gallery])
    threshold = unknown_threshold if unknown_threshold is not None else \
        embedder.meta.get("unknown_threshold")
    return _figures(tests, match, set(unknown), threshold, embedder, seconds) | {
        "data": str(data), "gallery_split": gallery_split, "test_split": test_split,
        "shots": shots, "seed": seed, "classes": len(classes), "gallery_photos": len(gallery),
        "unknown_classes": unknown, "embedder": embedder.version,
        "crop_ms": crop_latency_ms(embedder),
    }


def _figures(tests: Sequence[LabelledPhoto], match: GalleryMatch, unknown: set[str],
             threshold: float | None, embedder: Embedder, seconds: float) -> dict[str, Any]:
    top5 = match.ranked(5)
    best = match.best()
    known = [i for i, p in enumerate(tests) if p.label not in unknown]
    hit1 = [top5[i][0] == tests[i].label for i in known]
    hit5 = [tests[i].label in top5[i] for i in known]
    coarse: dict[str, list[bool]] = defaultdict(list)
    for i, h in zip(known, hit1, strict=True):
        coarse[tests[i].coarse].append(h)
    out: dict[str, Any] = {
        "n": len(known), "top1": _rate(hit1), "top1_ci": wilson(sum(hit1), len(hit1)),
        "top5": _rate(hit5), "top5_ci": wilson(sum(hit5), len(hit5)),
        "per_coarse": {c: {"n": len(h), "top1": _rate(h), "top1_ci": wilson(sum(h), len(h))}
                       for c, h in sorted(coarse.items())},
        "photos_per_s": round(len(tests) / max(seconds, 1e-9), 1),
        "unknown_threshold": threshold, "unknown_recall": None, "known_false_unknown": None,
    }
    unseen = set(embedder.withheld_classes)
    if unseen:
        seen_hits = [h for i, h in zip(known, hit1, strict=True) if tests[i].label not in unseen]
        new_hits = [h for i, h in zip(known, hit1, strict=True) if tests[i].label in unseen]
        out |= {"n_unseen": len(new_hits), "top1_unseen": _rate(new_hits),
                "top1_unseen_ci": wilson(sum(new_hits), len(new_hits)),
                "n_seen": len(seen_hits), "top1_seen": _rate(seen_hits)}
    if threshold is not None:
        called_unknown = best < threshold
        strangers = [i for i, p in enumerate(tests) if p.label in unknown]
        false_unknown = [bool(called_unknown[i]) for i in known]
        out["known_false_unknown"] = _rate(false_unknown)
        out["known_false_unknown_ci"] = wilson(sum(false_unknown), len(false_unknown))
        if strangers:
            caught = [bool(called_unknown[i]) for i in strangers]
            out |= {"n_unknown": len(strangers), "unknown_recall": _rate(caught),
                    "unknown_recall_ci": wilson(sum(caught), len(caught))}
        right = [bool(not called_unknown[i]) and h for i, h in zip(known, hit1, strict=True)]
        out["top1_open_set"] = _rate(right)
    return out


def _rate(hits: Sequence[bool]) -> float | None:
    return round(sum(hits) / len(hits), 4) if hits else None


def crop_latency_ms(embedder: Embedder, repeats: int = 20) -> float:
    """Median milliseconds to name one 350-px crop (embedding; the gallery lookup is ~free)."""
    crop = np.random.default_rng(0).integers(0, 255, (350, 350, 3), dtype=np.uint8)
    embedder.embed([crop])
    times = []
    for _round in range(repeats):
        started = time.perf_counter()
        embedder.embed([crop])
        times.append(time.perf_counter() - started)
    return round(1000 * float(np.median(times)), 1)


def load_embedder(folder: str | Path | None, imagenet: bool = False) -> Embedder:
    """The embedder to evaluate: a folder, the untrained ImageNet trunk (``imagenet``: its
    pooled features, the baseline), or the one configured in models.yaml."""
    if imagenet:
        from pipeline.vision.embedder import imagenet_backbone

        net = imagenet_backbone()
        net.forward = lambda pixels: torch.nn.functional.normalize(net.pooled(pixels), dim=-1)
        return Embedder(net.eval(), 224, version="imagenet-efficientnet-lite0")
    if folder is None:
        from pipeline.vision.config import load_models_config

        folder = load_models_config().embedder
        if folder is None:
            raise PhotoSetError(_("no embedder configured: give --embedder DIR or set "
                                  "`embedder:` in models.yaml"))
    return Embedder.load(folder)


def render_table(figures: dict[str, Any]) -> None:
    """The figures as a terminal table."""
    from rich.console import Console
    from rich.table import Table

    def pct(value: float | None, ci: Sequence[float] | None = None) -> str:
        if value is None:
            return "n/a"
        return f"{value:.3f}" + (f" ({ci[0]:.2f}-{ci[1]:.2f})" if ci else "")

    table = Table(title=f"{figures['embedder']}: {figures['classes']} classes, "
                        f"{figures['shots']} shots from {figures['gallery_split']}, "
                        f"named: {figures['n']} {figures['test_split']} photos")
    table.add_column("figure")
    table.add_column("value (95 % interval)", justify="right")
    rows = [("top-1", pct(figures["top1"], figures["top1_ci"])),
            ("top-5", pct(figures["top5"], figures["top5_ci"]))]
    if "top1_unseen" in figures:
        rows += [(f"top-1, {figures['n_unseen']} photos of classes never trained on",
                  pct(figures["top1_unseen"], figures["top1_unseen_ci"])),
                 ("top-1, classes trained on", pct(figures["top1_seen"]))]
    if figures.get("unknown_recall") is not None:
        rows.append((f"unknown recall ({figures['n_unknown']} photos of "
                     f"{len(figures['unknown_classes'])} classes not in the gallery)",
                     pct(figures["unknown_recall"], figures.get("unknown_recall_ci"))))
    if figures.get("known_false_unknown") is not None:
        rows.append(("known photos called unknown",
                     pct(figures["known_false_unknown"], figures.get("known_false_unknown_ci"))))
    rows += [("photos / s", f"{figures['photos_per_s']}"),
             ("ms per 350-px crop", f"{figures['crop_ms']}")]
    for row in rows:
        table.add_row(*row)
    coarse = Table(title="top-1 per coarse class")
    for name in ("coarse class", "n", "top-1 (95 % interval)"):
        coarse.add_column(name)
    for name, row in figures["per_coarse"].items():
        coarse.add_row(name, str(row["n"]), pct(row["top1"], row["top1_ci"]))
    console = Console()
    console.print(table)
    console.print(coarse)
