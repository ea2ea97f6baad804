"""Which models the vision engine uses: the models settings file (``models.yaml``).

The file is optional; without it the starter models under ``models/`` are used. Example::

    detector: models/yolo11n.pt          # any ultralytics checkpoint path
    recognizer: /opt/models/clip-vit-b32 # a Hugging Face CLIP/Chinese-CLIP/SigLIP dir or id
    embedder: models/embedder            # image embedder for the gallery (real photos)
    gallery: [/srv/shelfaudit/gallery]   # folders of reference photos <dir>/<sku>/*.jpg
    device: auto                         # auto (cuda -> mps -> cpu), cpu, cuda:0, mps
    conf: 0.25
    kind_conf: {product: 0.35, price_tag: 0.5}  # per-kind floors (the starter's defaults)
    faint_product_conf: 0.1              # fainter product boxes: kept if confirmed (see below)
    imgsz: 800                           # detector input size (default: the checkpoint's)
    slice_above_px: 4096                 # tile photos whose long side is above this
    empty_class: true                    # drop boxes that show an empty shelf (starter: on)
    detector_kinds: [product]            # use only these kinds of the detector's boxes
    text_finder: auto                    # tags/signs from OCR text where the detector lacks them

Relative paths are resolved against the file's folder (against the repo for the defaults).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from pipeline import yamldoc
from pipeline.settings import STARTER_MODELS_DIR, Settings, get_settings
from pipeline.yamldoc import Problem, YamlFileError


def _default_gallery() -> list[str]:
    return [str(STARTER_MODELS_DIR / "gallery"), str(get_settings().home_dir / "gallery")]


class ModelsConfig(BaseModel):
    """Model choices and inference settings of the vision engine."""

    model_config = ConfigDict(extra="forbid")

    detector: str = Field(
        default=str(STARTER_MODELS_DIR / "detector.pt"),
        description="ultralytics checkpoint: a path (or a name already in the local cache)",
    )
    recognizer: str = Field(
        default=str(STARTER_MODELS_DIR / "recognizer"),
        description="Hugging Face CLIP-family model folder or id",
    )
    embedder: str | None = Field(
        default=None,
        description="image embedder folder for reference-gallery matching (EfficientNet-Lite0 "
        "from `shelfaudit train embedder`); null: the recognizer's own image tower",
    )
    domain: str | None = Field(
        default=str(STARTER_MODELS_DIR / "domain"),
        description="domain reference of the configured models (out-of-domain check; made by "
        "`shelfaudit train domain`); it applies only to the weights it was made for",
    )
    gallery: list[str] = Field(
        default_factory=_default_gallery,
        description="folders of reference photos laid out as <dir>/<sku>/*.jpg",
    )
    device: str = Field(default="auto", description="auto, cpu, cuda, cuda:N or mps")
    conf: float = Field(default=0.25, ge=0.0, le=1.0, description="detector confidence floor")
    # Per-kind floors above ``conf``, chosen on a tuning set (synthetic seed 98, not the held-out
    # seed 99) for the starter detector: they drop its stray low-confidence tags (which would
    # stretch a shelf row and invent gaps) and boxes on empty slots, and keep every true tag.
    kind_conf: dict[str, float] = Field(
        default_factory=lambda: {"product": 0.35, "price_tag": 0.5},
        description="confidence floor per kind (product, price_tag, promo) above conf",
    )
    iou: float = Field(default=0.6, gt=0.0, le=1.0, description="detector NMS IoU")
    max_det: int = Field(default=1000, ge=1, description="most boxes per photo")
    imgsz: int | None = Field(
        default=None, ge=32,
        description="detector input size in pixels (default: the size the checkpoint was trained at)",
    )
    batch: int = Field(default=16, ge=1, description="photos per detector forward pass")
    # The starter detector learned whole-bay views (synthetic photos are 640-4000 px wide):
    # tiles would show it products 2-3x larger than it knows, so it tiles only beyond 4K.
    # With a checkpoint trained on close-ups or tiles (SKU-110K style), lower this.
    slice_above_px: int = Field(
        default=4096, ge=64, description="tile a photo whose long side is above this"
    )
    slice_px: int = Field(default=2048, ge=64, description="tile size when tiling")
    faint_product_conf: float | None = Field(
        default=0.1, ge=0.0, le=1.0,
        description="product boxes between this and the product floor are kept only where the "
        "recognizer names them the SKU of a facing right beside them (a can the detector is "
        "unsure of at the end of its block); null: off",
    )
    unknown_threshold: float = Field(
        default=0.5, ge=0.0, le=1.0, description="below this SKU score a product is unknown"
    )
    empty_class: bool | None = Field(
        default=None, description="drop product boxes the recognizer finds nearer to the "
        "'empty shelf' prompts (空货架) than to any SKU and to 'unknown product' (default: "
        "the model's own tuning; the starter has it on)")
    ocr: bool = Field(default=True, description="read price tags and promo signs")
    detector_kinds: list[Literal["product", "price_tag", "promo"]] = Field(
        default_factory=lambda: ["product", "price_tag", "promo"],
        description="kinds taken from the detector; the others are dropped ([product] runs a "
        "3-class checkpoint as a product-only one)")
    text_finder: Literal["auto", "on", "off"] = Field(
        default="auto", description="find price tags and promo signs in the photo's text "
        "(OCR text detection): auto = the kinds the detector lacks (a single-class detector "
        "lacks both), on = both (beside the detector's own), off = never; needs ocr")
    pack_text: bool | None = Field(
        default=None, description="read the words on each product and name it by the brand "
        "read where the image could not (default: on when an `embedder` is configured)")

    def resolved(self, base: Path) -> ModelsConfig:
        """A copy with relative paths made absolute against ``base`` (ids left as they are)."""

        def fix(value: str) -> str:
            path = Path(value).expanduser()
            if path.is_absolute():
                return str(path)
            candidate = base / path
            # A Hugging Face id ("openai/clip-vit-base-patch32") stays as is unless it exists.
            looks_like_id = value.count("/") == 1 and not value.startswith(".") and not \
                candidate.exists() and not Path(value).suffix
            return value if looks_like_id else str(candidate.resolve())

        return self.model_copy(
            update={
                "detector": fix(self.detector),
                "recognizer": fix(self.recognizer),
                "embedder": fix(self.embedder) if self.embedder else None,
                "domain": fix(self.domain) if self.domain else None,
                "gallery": [fix(g) for g in self.gallery],
            }
        )


def requested_device(settings_device: str | None, config_device: str | None) -> str:
    """The device asked for: the settings' (``SHELFAUDIT_DEVICE``) when it names one (not
    ``auto``), else the models settings file's, else ``auto``."""
    chosen = (settings_device or "").strip()
    if chosen and chosen.lower() != "auto":
        return chosen
    return (config_device or "auto").strip() or "auto"


def load_models_config(path: str | Path | None = None,
                       settings: Settings | None = None) -> ModelsConfig:
    """Read the models settings file (``path``, default ``settings.models_file``) or return
    the defaults, with the device ``settings`` ask for (``Settings.device``, i.e.
    ``SHELFAUDIT_DEVICE``, wins over the file's ``device`` unless it is ``auto``).

    ``settings``: those of the edge that asks (default: the process's settings).

    Raises:
        YamlFileError: the file is not valid YAML or has unknown/invalid fields (located).
    """
    settings = settings if settings is not None else get_settings()
    config = _read_models_file(settings.models_file if path is None else path)
    device = requested_device(settings.device, config.device)
    return config if device == config.device else config.model_copy(update={"device": device})


def _read_models_file(path: str | Path | None) -> ModelsConfig:
    if path is None:
        return ModelsConfig()
    path = Path(path)
    doc = yamldoc.load(path)
    if doc is None:
        return ModelsConfig().resolved(path.parent)
    if not isinstance(doc, dict):
        raise YamlFileError([Problem(str(path), 1, 1, "expected a mapping of model settings")])
    try:
        config = ModelsConfig.model_validate(yamldoc.to_plain(doc))
    except ValidationError as exc:
        raise YamlFileError(yamldoc.problems_from_validation(exc, doc, str(path))) from None
    return config.resolved(path.parent)
