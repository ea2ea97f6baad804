"""Text embeddings of the catalog, computed once per (model version, catalog fingerprint).

Per SKU: the mean of its prompt embeddings (en + zh, re-normalised) and two orientation
embeddings (the prompts wrapped in "standing upright" / "lying on its side" captions). Plus the
"unknown product" and "empty shelf" captions, used as extra classes when the model was trained
with them.

Kept in memory and on disk under ``$SHELFAUDIT_HOME/cache/text-embeddings/``; the key holds the
model version, the catalog fingerprint, the languages and the caption templates, so a changed
catalog (a new SKU, an edited prompt) or another model is never served stale embeddings.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import torch

from pipeline import keys
from pipeline.catalog import Catalog
from pipeline.vision import captions
from pipeline.vision.dual_encoder import DualEncoder

_MEMORY: dict[str, TextBank] = {}
_PARTS = ("sku", "upright", "lying")


@dataclass
class TextBank:
    """Embeddings in catalog SKU order; row ``K`` is the unknown product, ``K+1`` the empty
    shelf."""

    sku_ids: list[str]
    sku: torch.Tensor  # (K+2) x D
    upright: torch.Tensor  # (K+2) x D
    lying: torch.Tensor  # (K+2) x D
    key: str


def cache_key(encoder: DualEncoder, catalog: Catalog, languages: Sequence[str]) -> str:
    blob = "|".join([encoder.version, catalog.fingerprint, ",".join(languages),
                     captions.template_fingerprint()])
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:20]


def cache_dir() -> Path:
    from pipeline.settings import get_settings

    return get_settings().home_dir / "cache" / "text-embeddings"


def _mean(encoder: DualEncoder, groups: list[list[str]]) -> torch.Tensor:
    """One re-normalised mean embedding per group of texts (all encoded in one call)."""
    flat = [t for group in groups for t in group]
    feats = encoder.text_features(flat)
    out, start = [], 0
    for group in groups:
        out.append(feats[start:start + len(group)].mean(0))
        start += len(group)
    return torch.nn.functional.normalize(torch.stack(out), dim=-1)


def encode_catalog(encoder: DualEncoder, catalog: Catalog,
                   languages: Sequence[str] = captions.LANGUAGES) -> dict[str, torch.Tensor]:
    """Compute the bank's tensors (no cache)."""
    entries = [captions.prompts_by_language(s, languages) for s in catalog.skus]
    entries += [captions.prompts_by_language(extra, languages)
                for extra in (keys.UNKNOWN, keys.EMPTY)]
    groups = {
        "sku": [[p for ps in e.values() for p in ps] for e in entries],
        "upright": [captions.orientation_prompts(e, keys.UPRIGHT) for e in entries],
        "lying": [captions.orientation_prompts(e, keys.LYING) for e in entries],
    }
    return {name: _mean(encoder, g).cpu() for name, g in groups.items()}


def text_bank(encoder: DualEncoder, catalog: Catalog,
              languages: Sequence[str] = captions.LANGUAGES) -> TextBank:
    """The catalog's text embeddings: from memory, else from disk, else computed and stored."""
    key = cache_key(encoder, catalog, languages)
    if key in _MEMORY:
        return _MEMORY[key]
    path = cache_dir() / f"{key}.safetensors"
    tensors = None
    if path.is_file():
        from safetensors.torch import load_file

        try:
            tensors = load_file(str(path))
        except Exception:  # noqa: BLE001 - a damaged cache file is recomputed
            tensors = None
    rows = len(catalog.skus) + 2
    if tensors is None or any(p not in tensors or len(tensors[p]) != rows for p in _PARTS):
        tensors = encode_catalog(encoder, catalog, languages)
        _store(path, tensors)
    device = encoder.device
    bank = TextBank(catalog.sku_ids, *(tensors[p].to(device).float() for p in _PARTS), key=key)
    _MEMORY[key] = bank
    return bank


def _store(path: Path, tensors: dict[str, torch.Tensor]) -> None:
    from safetensors.torch import save_file

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        save_file({k: v.contiguous() for k, v in tensors.items()}, str(tmp))
        tmp.replace(path)
    except OSError:
        pass  # a read-only home only costs a recompute next time


def clear_memory() -> None:
    """Forget in-memory banks (tests; the disk cache stays)."""
    _MEMORY.clear()
