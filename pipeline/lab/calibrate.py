"""The embedder's open-set floor, tuned on photos its training never saw.

``train embedder`` keeps ``calib_fraction`` of each class's photos out of training. Here, in
``draws`` rounds, a gallery of ``shots`` training photos per class is built with a quarter of
the classes left out; every kept-out photo is then named by its best reference. Photos of
left-out classes should fall under the floor (``unknown``), the others above it. The floor
maximises Youden's J (unknown recall minus known photos called unknown) over all rounds, and is
written into the model's ``embedder.json`` as ``unknown_threshold`` with the tuning figures.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import numpy as np

from pipeline.lab.photo_sets import PhotoSet, read_split
from pipeline.lab.recognition_eval import GalleryMatch, embed_photos, pick_gallery
from pipeline.lab.train_embedder import EmbedderJob
from pipeline.vision.embedder import META_FILE, Embedder


def best_floor(known: np.ndarray, strangers: np.ndarray) -> tuple[float, float, float]:
    """``(floor, unknown recall, known called unknown)`` maximising recall - false rate."""
    candidates = np.unique(np.concatenate([known, strangers]))
    best = (float(candidates[0]), 0.0, 0.0, -1.0)
    for c in candidates:
        recall = float((strangers < c).mean()) if len(strangers) else 0.0
        false = float((known < c).mean()) if len(known) else 0.0
        if recall - false > best[3]:
            best = (float(c), recall, false, recall - false)
    return best[0], best[1], best[2]


def calibrate_unknown(model_dir: str | Path, job: EmbedderJob, shots: int = 5, draws: int = 10
                      ) -> dict[str, Any]:
    """Tune and store the open-set floor of the embedder in ``model_dir`` on the photos its
    training kept out (``job.calibration_photos``)."""
    photos = read_split(job.data, job.split).without(job.withheld_classes)
    held = set(job.calibration_photos)
    trained = [p for p in photos.photos if str(p.path) not in held]
    queries = [p for p in photos.photos if str(p.path) in held]
    if not queries:
        return {"unknown_threshold": None}
    return _tune(Path(model_dir), PhotoSet(photos.root, photos.split, trained), queries, shots,
                 draws, job.seed, "max Youden J on kept-out train photos")


def calibrate_on_split(model_dir: str | Path, data: str, gallery_split: str = "train",
                       tune_split: str = "val", shots: int = 5, draws: int = 10, seed: int = 0
                       ) -> dict[str, Any]:
    """Tune and store the open-set floor on another split: references from ``gallery_split``,
    named photos from ``tune_split`` (photos of other shooting sessions are less alike than
    photos kept out of the training sessions, so this floor transfers to new photos better)."""
    pool = read_split(data, gallery_split)
    queries = read_split(data, tune_split).photos
    return _tune(Path(model_dir), pool, queries, shots, draws, seed,
                 f"max Youden J, gallery {gallery_split}, named photos {tune_split}")


def _tune(model_dir: Path, pool: PhotoSet, queries: list, shots: int, draws: int, seed: int,
          rule: str) -> dict[str, Any]:
    """In ``draws`` rounds a quarter of the classes leaves the gallery; the floor that best
    separates the best scores of their photos from those of the others is stored."""
    embedder = Embedder.load(model_dir)
    classes = pool.classes
    query_emb = embed_photos(embedder, queries)
    refs_all = pick_gallery(pool, shots, seed)
    ref_emb = embed_photos(embedder, refs_all)
    rng = random.Random(seed)
    known, strangers = [], []
    for _ in range(draws):
        out = set(rng.sample(classes, max(1, len(classes) // 4)))
        keep = [i for i, p in enumerate(refs_all) if p.label not in out]
        match = GalleryMatch.build(query_emb, ref_emb[keep], [refs_all[i].label for i in keep])
        best = match.best()
        for q, b in zip(queries, best, strict=True):
            (strangers if q.label in out else known).append(float(b))
    floor, recall, false = best_floor(np.array(known), np.array(strangers))
    record = {"unknown_threshold": round(floor, 4), "calibration": {
        "photos": len(queries), "draws": draws, "shots": shots, "unknown_recall": round(recall, 4),
        "known_false_unknown": round(false, 4), "rule": rule}}
    _update_meta(model_dir, record)
    return record


def _update_meta(folder: Path, record: dict[str, Any]) -> None:
    path = folder / META_FILE
    meta = json.loads(path.read_text(encoding="utf-8"))
    meta.update(record)
    path.write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


