"""The registry of public checkpoints that ``shelfaudit models pull NAME`` knows.

Each entry (:class:`Checkpoint`) names its role (detector, recognizer or embedder), the page
people read (``source``), its licence, the ``base_url`` its files are fetched from and the files
with their sha256 where the source publishes one (:mod:`pipeline.vision.weights` fetches and
checks them). The built-in entries are :data:`REGISTRY_DATA`; ``--registry FILE`` (or
``SHELFAUDIT_MODELS_REGISTRY``) reads a YAML registry of the same shape instead::

    models:
      - name: clip-vit-b32
        role: recognizer            # detector | recognizer | embedder
        title: OpenAI CLIP ViT-B/32
        source: https://huggingface.co/openai/clip-vit-base-patch32
        licence: MIT
        base_url: https://mirror.example/clip-vit-b32   # files are base_url/<path>
        files:
          - {path: pytorch_model.bin, sha256: a630..., primary: true}
          - config.json             # no published hash: recorded at the first download

A detector entry's primary file is the checkpoint models.yaml points at; a recognizer or
embedder entry is a folder (a Hugging Face CLIP-family folder; an embedder folder from
``shelfaudit train embedder``: model.safetensors + embedder.json).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from pipeline import yamldoc
from pipeline.errors import ShelfAuditError
from pipeline.i18n import _
from pipeline.yamldoc import Problem, YamlFileError

REGISTRY_ENV = "SHELFAUDIT_MODELS_REGISTRY"
Role = Literal["detector", "recognizer", "embedder"]

_HF = "https://huggingface.co"
# The built-in registry (documented in README "Real weights in one command"). Revisions are
# pinned so the files cannot change under the same URL; the weights' sha256 is the one Hugging
# Face publishes for the LFS file. Small text files are recorded at their first download.
REGISTRY_DATA: list[dict[str, Any]] = [
    {"name": "clip-vit-b32", "role": "recognizer",
     "title": "OpenAI CLIP ViT-B/32 (English prompts)",
     "source": f"{_HF}/openai/clip-vit-base-patch32",
     "licence": "MIT (OpenAI CLIP, https://github.com/openai/CLIP)",
     "base_url": f"{_HF}/openai/clip-vit-base-patch32/resolve/"
                 "3d74acf9a28c67741b2f4f2ea7635f0aaf6f0268",
     "files": [{"path": "pytorch_model.bin", "primary": True,
                "sha256": "a63082132ba4f97a80bea76823f544493bffa8082296d62d71581a4feff1576f"},
               "config.json", "preprocessor_config.json", "tokenizer.json",
               "tokenizer_config.json", "vocab.json", "merges.txt", "special_tokens_map.json"],
     "note": "revision 3d74acf; 605 MB"},
    {"name": "chinese-clip-vit-b16", "role": "recognizer",
     "title": "Chinese-CLIP ViT-B/16 (Chinese and English prompts)",
     "source": f"{_HF}/OFA-Sys/chinese-clip-vit-base-patch16",
     "licence": "MIT (https://github.com/OFA-Sys/Chinese-CLIP)",
     "base_url": f"{_HF}/OFA-Sys/chinese-clip-vit-base-patch16/resolve/"
                 "3d6c51ca7019ab9ba71ad5dca747c7151bc4bd53",
     "files": [{"path": "pytorch_model.bin", "primary": True,
                "sha256": "7b7b583c210c867410bc6bdb8a55fe14eec62999e0a9ea31ff222dc501f9cfbe"},
               "config.json", "preprocessor_config.json", "vocab.txt"],
     "note": "revision 3d6c51c; 753 MB"},
    {"name": "yolo11s-sku110k", "role": "detector",
     "title": "YOLO11s trained on SKU-110K shelves, one class (product), 640 px",
     "source": f"{_HF}/chistopat/sku110k-yolo11-object-detector",
     "licence": "AGPL-3.0 (Ultralytics YOLO11); trained on SKU-110K (Trax Retail, research "
                "use) - check both before commercial use",
     "base_url": f"{_HF}/chistopat/sku110k-yolo11-object-detector/resolve/"
                 "ee1b8ac34eb3b68969ffa8165e50c43457fe4e35",
     "files": [{"path": "weights/sku110k-yolo11-s640.pt", "primary": True,
                "sha256": "b7e86554a746c2f02ee0626bcde5b77038b84692c225a642a5a5ebc150f6718a"}],
     "note": "revision ee1b8ac; 19 MB; finds products only (no price tags or promo signs); "
             "sha256 as pinned for this revision by other projects using the checkpoint"},
]


class WeightFile(BaseModel):
    """One file of a registry entry: its path under ``base_url`` and, if published, sha256."""

    model_config = ConfigDict(extra="forbid")

    path: str = Field(description="path under the entry's base_url")
    sha256: str | None = Field(default=None, description="published sha256 (64 hex digits)")
    primary: bool = Field(default=False, description="the weights file (--sha256 HASH pins it)")

    @field_validator("path")
    @classmethod
    def _safe_path(cls, value: str) -> str:
        parts = value.split("/")
        if not value or value.startswith("/") or "\\" in value or ".." in parts or "" in parts:
            raise ValueError(f"not a plain relative file path: {value!r}")
        return value

    @field_validator("sha256")
    @classmethod
    def _hex(cls, value: str | None) -> str | None:
        return None if value is None else check_sha256(value)

    @property
    def name(self) -> str:
        """The local file name (the last part of ``path``)."""
        return self.path.rsplit("/", 1)[-1]


class Checkpoint(BaseModel):
    """One registry entry: a public checkpoint, where it comes from and under which licence."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]*$")
    role: Role
    title: str
    source: str = Field(description="the page people read (model card)")
    licence: str
    base_url: str = Field(description="file URLs are base_url/<path>")
    files: list[WeightFile] = Field(min_length=1)
    note: str = ""

    @field_validator("files", mode="before")
    @classmethod
    def _plain_names(cls, value: Any) -> Any:
        return [{"path": v} if isinstance(v, str) else v for v in value] if isinstance(
            value, list) else value

    @model_validator(mode="after")
    def _one_primary(self) -> Checkpoint:
        names = [f.name for f in self.files]
        if len(set(names)) != len(names):
            raise ValueError("two files share a name")
        if sum(f.primary for f in self.files) > 1:
            raise ValueError("more than one file is marked primary")
        if not any(f.primary for f in self.files):
            self.files[0].primary = True
        return self

    @property
    def primary(self) -> WeightFile:
        return next(f for f in self.files if f.primary)

    def url(self, file: WeightFile) -> str:
        return f"{self.base_url.rstrip('/')}/{file.path}"


def check_sha256(value: str) -> str:
    """``value`` as 64 lower-case hex digits, or :class:`ShelfAuditError`."""
    text = value.strip().lower()
    if len(text) != 64 or any(c not in "0123456789abcdef" for c in text):
        raise ShelfAuditError(_("not a sha256 (64 hex digits): {value}").format(
            value=repr(value)))
    return text


def load_registry(path: str | Path | None = None) -> dict[str, Checkpoint]:
    """The registry: ``path``, else ``$SHELFAUDIT_MODELS_REGISTRY``, else the built-in one.

    Raises:
        YamlFileError: the registry file is not valid (located problems).
    """
    path = path or os.environ.get(REGISTRY_ENV) or None
    if path is None:
        return {e["name"]: Checkpoint.model_validate(e) for e in REGISTRY_DATA}
    doc = yamldoc.load(path)
    entries = doc.get("models") if isinstance(doc, dict) else None
    if not isinstance(entries, list):
        raise YamlFileError([Problem(str(path), 1, 1, "expected 'models:' with a list of entries")])
    registry, problems = {}, []
    for i, raw in enumerate(entries):
        try:
            entry = Checkpoint.model_validate(yamldoc.to_plain(raw))
        except ValidationError as exc:
            problems += yamldoc.problems_from_validation(exc, doc, str(path), ("models", i))
            continue
        registry[entry.name] = entry
    if problems:
        raise YamlFileError(problems)
    return registry


def find(registry: dict[str, Checkpoint], name: str) -> Checkpoint:
    """The entry called ``name``, or a one-line error listing the names there are."""
    if name in registry:
        return registry[name]
    raise ShelfAuditError(_("no model {name} in the registry{suggestion} (there are: {names})"
                            ).format(name=repr(name), suggestion=yamldoc.suggest(name, registry),
                                     names=", ".join(registry) or _("none")))


