"""``shelfaudit train domain``: the domain reference of a model set (see
:mod:`pipeline.vision.domain`).

Reference photos are photos of the models' training domain (for the starter models: synthetic
shelves of the training seeds). The floor is tuned on *other* photos of that domain: the largest
distance among them times ``margin``, so none of them would be flagged. Photos that are known
to be foreign (``foreign``, optional) are only counted, to report how many the floor catches.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from pipeline.vision.domain import DomainCheck, photo_features
from pipeline.vision.embedder import Embedder

PHOTO_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp"}


def photo_files(folders: Sequence[str | Path], limit: int | None = None) -> list[Path]:
    """Photo files under the folders (recursively, sorted); every ``n``-th to keep ``limit``."""
    files = sorted(f for d in folders for f in Path(d).rglob("*")
                   if f.suffix.lower() in PHOTO_SUFFIXES and f.is_file())
    if limit and len(files) > limit:
        files = [files[i] for i in np.linspace(0, len(files) - 1, limit).astype(int)]
    return files


def _read(files: Sequence[Path]) -> list[np.ndarray]:
    from pipeline.imaging import load_photo

    return [load_photo(f).array() for f in files]


def in_batches(files: Sequence[Path], work: Callable[[list[np.ndarray]], Any],
               progress: Callable[[int], None] | None = None, batch: int = 16) -> list[Any]:
    """``work`` on the decoded photos, ``batch`` files at a time (memory stays bounded); one
    result per batch, in order."""
    out = []
    for start in range(0, len(files), batch):
        chunk = files[start:start + batch]
        out.append(work(_read(chunk)))
        if progress is not None:
            progress(len(chunk))
    return out


def features_of(embedder: Embedder, files: Sequence[Path], size: int,
                progress: Callable[[int], None] | None = None) -> Any:
    import torch

    return torch.cat(in_batches(files, lambda images: photo_features(embedder, images, size),
                                progress))


def build_reference(embedder: Embedder, reference: Sequence[Path], tuning: Sequence[Path],
                    models: dict[str, str], foreign: Sequence[Path] = (), k: int = 5,
                    margin: float = 1.25, size: int = 224,
                    progress: Callable[[int], None] | None = None) -> tuple[DomainCheck, dict]:
    """The reference, its tuned floor, and figures: tuning photos flagged (0 by construction),
    foreign photos flagged."""
    ref = features_of(embedder, reference, size, progress)
    check = DomainCheck(embedder, ref, floor=float("inf"), k=k, models=dict(models),
                        meta={"size": size})
    tune = _distances(check, tuning, progress)
    check.floor = float(tune.max()) * margin
    figures: dict[str, Any] = {
        "reference_photos": len(reference), "tuning_photos": len(tuning),
        "tuning_max_distance": round(float(tune.max()), 5), "margin": margin,
        "floor": round(check.floor, 5)}
    if foreign:
        far = _distances(check, foreign, progress)
        figures |= {"foreign_photos": len(foreign),
                    "foreign_flagged": round(float((far > check.floor).mean()), 4),
                    "foreign_min_distance": round(float(far.min()), 5)}
    check.meta["made_from"] = figures
    return check, figures


def _distances(check: DomainCheck, files: Sequence[Path],
               progress: Callable[[int], None] | None) -> np.ndarray:
    out = in_batches(files, check.distances, progress)
    return np.concatenate(out) if out else np.zeros(0)


def evaluate_domain(verdicts: Callable[[list[np.ndarray]], list[Any]],
                    folders: Sequence[str | Path], limit: int | None = None,
                    progress: Callable[[int], None] | None = None) -> dict[str, Any]:
    """How many photos of each folder the check flags as out of domain (``verdicts``: the
    inspector's ``domain_verdicts``), with the distances' range."""
    out: dict[str, Any] = {}
    for folder in folders:
        files = photo_files([folder], limit)
        found = [v for chunk in in_batches(files, verdicts, progress) for v in chunk]
        distances = [v.distance for v in found if v.distance is not None]
        flagged = sum(v.out_of_domain for v in found)
        out[str(folder)] = {
            "photos": len(found), "flagged": flagged,
            "flagged_share": round(flagged / len(found), 4) if found else None,
            "checked": bool(distances),
            "min_distance": round(min(distances), 5) if distances else None,
            "max_distance": round(max(distances), 5) if distances else None,
            "floor": found[0].floor if found else None}
    return out
