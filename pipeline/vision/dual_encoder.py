"""Load any CLIP-family dual encoder (CLIP, Chinese-CLIP, SigLIP, the starter recognizer).

Everything goes through transformers' Auto classes (``AutoModel``, ``AutoTokenizer``,
``AutoImageProcessor``), from a local folder or a Hugging Face id. Loading is always offline
(``local_files_only=True``) unless ``SHELFAUDIT_ALLOW_DOWNLOAD=1``: a model that is not on this
machine fails at once with :class:`~pipeline.errors.ModelNotFoundError` saying what is missing
and how to get it — no hang, no retry loop.

A model folder may carry ``shelfaudit_recognizer.json`` (the starter recognizer does): tuned
thresholds and scales of the recognition rule, per-SKU upright aspect ratios, and whether the
text tower knows an "unknown product" caption. Real models run with the defaults in
:mod:`pipeline.vision.recognizer`.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import os
import warnings
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import torch

from pipeline.errors import ModelNotFoundError
from pipeline.i18n import N_, _
from pipeline.vision.crops import CropSpec

ALLOW_DOWNLOAD_ENV = "SHELFAUDIT_ALLOW_DOWNLOAD"
TUNING_FILE = "shelfaudit_recognizer.json"
HOW_TO_GET = N_(
    "on a connected machine run `huggingface-cli download openai/clip-vit-base-patch32 "
    "--local-dir models/clip-vit-base-patch32` (or any CLIP / Chinese-CLIP / SigLIP id), copy "
    "the folder here and set `recognizer: models/clip-vit-base-patch32` in models.yaml; or "
    "train the starter with `shelfaudit train recognizer`"
)


def allow_download() -> bool:
    return os.environ.get(ALLOW_DOWNLOAD_ENV, "").strip().lower() in ("1", "true", "yes")


@dataclass
class DualEncoder:
    """A loaded image tower + text tower sharing one embedding space."""

    model: Any
    tokenizer: Any
    spec: CropSpec
    version: str
    source: str
    device: torch.device
    dtype: torch.dtype = torch.float32
    tuning: dict[str, Any] = field(default_factory=dict)
    text_padding: str | bool = True
    max_text_tokens: int = 77

    @property
    def logit_scale(self) -> float:
        scale = getattr(self.model, "logit_scale", None)
        return float(scale.detach().exp()) if scale is not None else 100.0

    def image_features(self, pixels: torch.Tensor, batch: int = 256) -> torch.Tensor:
        """L2-normalised image embeddings (float32, on the model's device)."""
        out = []
        with torch.inference_mode():
            for start in range(0, len(pixels), batch):
                chunk = pixels[start:start + batch].to(self.device, self.dtype)
                feats = _pooled(self.model.get_image_features(pixel_values=chunk))
                out.append(torch.nn.functional.normalize(feats.float(), dim=-1))
        if not out:
            return torch.zeros(0, self.embed_dim, device=self.device)
        return torch.cat(out)

    def text_features(self, texts: list[str], batch: int = 256) -> torch.Tensor:
        """L2-normalised text embeddings (float32)."""
        out = []
        accepted = set(inspect.signature(self.model.get_text_features).parameters)
        with torch.inference_mode():
            for start in range(0, len(texts), batch):
                enc = self.tokenizer(
                    texts[start:start + batch], padding=self.text_padding, truncation=True,
                    max_length=self.max_text_tokens, return_tensors="pt",
                )
                args = {k: v.to(self.device) for k, v in enc.items() if k in accepted}
                feats = _pooled(self.model.get_text_features(**args))
                out.append(torch.nn.functional.normalize(feats.float(), dim=-1))
        return torch.cat(out) if out else torch.zeros(0, self.embed_dim, device=self.device)

    @property
    def embed_dim(self) -> int:
        config = self.model.config
        return int(getattr(config, "projection_dim", None)
                   or config.vision_config.hidden_size)


def _pooled(output: Any) -> torch.Tensor:
    """The projected embedding from ``get_*_features`` (a tensor in transformers 4, an output
    object with ``pooler_output`` in transformers 5)."""
    if isinstance(output, torch.Tensor):
        return output
    return output.pooler_output


def resolve_model_dir(source: str | Path) -> Path:
    """A local folder for ``source`` (a folder, or a Hugging Face id found in the local cache).

    Raises:
        ModelNotFoundError: not here (and downloading is off or failed).
    """
    path = Path(source).expanduser()
    text = str(source)
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise ModelNotFoundError(_(
                "recognizer folder {path} has no config.json (not a Hugging Face model folder) "
                "— {how}").format(path=path, how=_(HOW_TO_GET)))
        return path
    looks_like_id = (text.count("/") == 1 and not text.startswith((".", "/", "~"))
                     and not path.suffix)
    if not looks_like_id:
        raise ModelNotFoundError(_("recognizer model folder not found: {path} — {how}").format(
            path=text, how=_(HOW_TO_GET)))
    from huggingface_hub import snapshot_download

    try:
        return Path(snapshot_download(
            text, local_files_only=not allow_download(),
            ignore_patterns=["*.h5", "*.msgpack", "*.onnx", "*tf_model*", "*flax_model*", "*.ot"],
        ))
    except Exception as exc:  # noqa: BLE001 - offline miss, bad id, network refusal: all "missing"
        mode = _("download failed") if allow_download() else \
            _("not in the local cache (offline)")
        raise ModelNotFoundError(_(
            "recognizer model {name}: {mode} ({error}) — {how}; set {variable}=1 to let "
            "ShelfAudit download it").format(name=repr(text), mode=mode,
                                             error=type(exc).__name__, how=_(HOW_TO_GET),
                                             variable=ALLOW_DOWNLOAD_ENV)) from None


def model_version(folder: Path) -> str:
    """``<folder name>-<hash>``: a short hash of the config and the weight files' bytes."""
    digest = hashlib.sha256((folder / "config.json").read_bytes())
    for weights in sorted(folder.glob("*.safetensors")) + sorted(folder.glob("*.bin")):
        digest.update(weights.name.encode())
        digest.update(str(weights.stat().st_size).encode())
        with weights.open("rb") as fh:
            digest.update(fh.read(1 << 20))
            fh.seek(max(0, weights.stat().st_size - (1 << 20)))
            digest.update(fh.read())
    return f"{folder.name}-{digest.hexdigest()[:10]}"


def load_dual_encoder(source: str | Path, device: torch.device, half: bool = False
                      ) -> DualEncoder:
    """Load model, tokenizer and image-processor geometry of a CLIP-family model.

    Raises:
        ModelNotFoundError: missing folder/files, or a model without image and text towers.
    """
    from transformers import AutoImageProcessor, AutoModel, AutoTokenizer

    folder = resolve_model_dir(source)
    offline = {"local_files_only": True}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = AutoModel.from_pretrained(folder, **offline)
            tokenizer = AutoTokenizer.from_pretrained(folder, **offline)
    except (OSError, ValueError, KeyError) as exc:
        raise ModelNotFoundError(_("cannot load recognizer from {folder}: {problem} — {how}"
                                   ).format(folder=folder, problem=str(exc).splitlines()[0][:300],
                                            how=_(HOW_TO_GET))) from None
    if not (hasattr(model, "get_image_features") and hasattr(model, "get_text_features")):
        raise ModelNotFoundError(_(
            "{folder} holds a {kind}, not a CLIP-family dual encoder (needs get_image_features "
            "and get_text_features)").format(folder=folder, kind=type(model).__name__))
    try:
        processor = AutoImageProcessor.from_pretrained(folder, **offline)
    except (OSError, ValueError, KeyError):
        processor = None  # no preprocessor_config.json: CLIP's mean/std at the model's size
    vision = model.config.vision_config
    spec = CropSpec.from_processor(processor, int(vision.image_size))
    dtype = torch.float16 if half else torch.float32
    model = model.to(device=device, dtype=dtype).eval()
    tuning_file = folder / TUNING_FILE
    tuning = json.loads(tuning_file.read_text(encoding="utf-8")) if tuning_file.is_file() else {}
    model_type = str(getattr(model.config, "model_type", ""))
    text_cfg = model.config.text_config
    return DualEncoder(
        model=model, tokenizer=tokenizer, spec=spec, version=model_version(folder),
        source=str(source), device=device, dtype=dtype, tuning=tuning,
        text_padding="max_length" if model_type.startswith("siglip") else True,
        max_text_tokens=int(getattr(text_cfg, "max_position_embeddings", 77)),
    )


def quantize_image_tower(encoder: DualEncoder) -> DualEncoder | None:
    """Dynamic int8 weights for the image tower's Linear layers (CPU only; in place).

    The CPU is FLOP-bound on ViT matrix products; int8 kernels roughly double the rate. The
    text tower stays fp32 (text is encoded once per catalog and cached). Returns an fp32 twin
    of the encoder (the original image tower, everything else shared) for re-checking close
    calls, or ``None`` when the model has no separate image tower to quantize.
    """
    import copy
    from collections import OrderedDict

    from torch.ao.quantization import quantize_dynamic

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = encoder.model
        vision = getattr(model, "vision_model", None)
        if vision is None:
            return None
        twin_model = copy.copy(model)  # a new module object sharing every submodule ...
        twin_model._modules = OrderedDict(model._modules)  # ... in its own table
        model.vision_model = quantize_dynamic(vision, {torch.nn.Linear}, dtype=torch.qint8)
        if isinstance(getattr(model, "visual_projection", None), torch.nn.Linear):
            model.visual_projection = quantize_dynamic(
                torch.nn.Sequential(model.visual_projection), {torch.nn.Linear},
                dtype=torch.qint8)[0]
    return replace(encoder, model=twin_model)
