"""Cut product boxes out of whole photos as model-ready tensors, all at once, in memory.

Each photo becomes a (uint8) tensor once; its boxes are cut from it as tensor slices and all
crops of the photo go through the model's own Hugging Face image processor in **one call** on
tensors (its torchvision backend resizes crops of one size together, centre-crops and
normalises). No PIL call and no processor call per crop, no temp files.

The crops are the ones the processor makes from ``PIL.Image.crop(box)`` — the same library on
the same pixels — so batched labels agree with per-crop ones (:class:`CropSpec`): the box is
rounded to whole pixels as ``PIL.Image.crop`` does, and parts outside the photo read as black,
as PIL's crop pads them. A box far longer than wide is first cut to its centre
(:func:`_centre_part`) so a sliver never becomes a huge resized image.

``resample="area"`` instead averages each output pixel's whole footprint in one batched
``torchvision.ops.roi_align`` call (sub-pixel boxes): how the starter recognizer's training
crops are cut.

:func:`thumbnails` cuts a tiny thumbnail per box the same way: the cheap signature used to
spot near-identical facings and unchanged crops.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
import torch
from torchvision.ops import roi_align

CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)


@dataclass(frozen=True)
class CropSpec:
    """How a crop becomes the model's input: output size, mean and std, and the image
    processor that makes it (``resample="area"``: a roi_align area average instead)."""

    height: int
    width: int
    mean: tuple[float, float, float] = CLIP_MEAN
    std: tuple[float, float, float] = CLIP_STD
    shortest_edge: int | None = None  # resize the short side to this, then centre-crop
    resample: str = "processor"  # processor (the model's own) | area (roi_align)
    processor: Any = field(default=None, compare=False, repr=False)  # None: CLIP's, per spec

    @classmethod
    def from_processor(cls, processor: Any, image_size: int) -> CropSpec:
        """Read mean/std/size from a Hugging Face image processor (or ``None``: CLIP defaults)."""
        if processor is None:
            return cls(image_size, image_size)
        mean = tuple(float(v) for v in (getattr(processor, "image_mean", None) or CLIP_MEAN))
        std = tuple(float(v) for v in (getattr(processor, "image_std", None) or CLIP_STD))
        size = _as_dict(getattr(processor, "size", None))
        crop = _as_dict(getattr(processor, "crop_size", None))
        center = bool(getattr(processor, "do_center_crop", False))
        if "shortest_edge" in size and center:
            h = int(crop.get("height", size["shortest_edge"]))
            w = int(crop.get("width", size["shortest_edge"]))
            return cls(h, w, mean, std, shortest_edge=int(size["shortest_edge"]),  # type: ignore[arg-type]
                       processor=processor)
        if "shortest_edge" in size:  # short side resized, no crop: sizes vary, use a square
            edge = int(size["shortest_edge"])
            return cls(edge, edge, mean, std)  # type: ignore[arg-type]
        h = int(size.get("height", image_size))
        w = int(size.get("width", image_size))
        return cls(h, w, mean, std, processor=processor)  # type: ignore[arg-type]


@lru_cache(maxsize=32)
def _clip_processor(spec: CropSpec) -> Any:
    """A CLIP image processor with the spec's geometry, mean and std (specs without one)."""
    from transformers import CLIPImageProcessor

    crop = {"height": spec.height, "width": spec.width}
    size = {"shortest_edge": spec.shortest_edge} if spec.shortest_edge else crop
    return CLIPImageProcessor(size=size, crop_size=crop, do_center_crop=bool(spec.shortest_edge),
                              image_mean=list(spec.mean), image_std=list(spec.std))


def _as_dict(value: Any) -> dict[str, int]:
    if value is None:
        return {}
    if isinstance(value, int):
        return {"height": value, "width": value}
    if isinstance(value, dict):
        return dict(value)
    return {k: getattr(value, k) for k in ("height", "width", "shortest_edge")
            if getattr(value, k, None) is not None}


def photo_tensor(image: np.ndarray, device: torch.device | str = "cpu") -> torch.Tensor:
    """An ``HxWx3`` uint8 RGB array as a ``1x3xHxW`` uint8 tensor on ``device``.

    Kept as uint8 (a quarter of the memory): the processor gets uint8 crops; an area cut
    converts its part to float for the moment.
    """
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"expected an HxWx3 RGB array, got shape {image.shape}")
    pixels = torch.from_numpy(np.require(image, np.uint8, ["C", "W"])).to(device)
    return pixels.permute(2, 0, 1).unsqueeze(0)


def as_photo(image: np.ndarray | torch.Tensor, device: torch.device | str | None = None
             ) -> torch.Tensor:
    """A photo tensor as made by :func:`photo_tensor` (arrays are converted, tensors kept)."""
    if isinstance(image, torch.Tensor):
        return image if device is None else image.to(device)
    return photo_tensor(image, device or "cpu")


def sample_regions(boxes: np.ndarray, spec: CropSpec) -> np.ndarray:
    """The part of each ``xyxy`` box the processor keeps (the centred window for centre-crop),
    in photo pixels — what ``resample="area"`` averages."""
    boxes = np.asarray(boxes, dtype=np.float32).reshape(-1, 4)
    if spec.shortest_edge is None or len(boxes) == 0:
        return boxes
    w = np.maximum(boxes[:, 2] - boxes[:, 0], 1e-3)
    h = np.maximum(boxes[:, 3] - boxes[:, 1], 1e-3)
    scale = spec.shortest_edge / np.minimum(w, h)  # resized pixels per photo pixel
    keep_w, keep_h = spec.width / scale, spec.height / scale
    cx, cy = (boxes[:, 0] + boxes[:, 2]) / 2, (boxes[:, 1] + boxes[:, 3]) / 2
    return np.stack([cx - keep_w / 2, cy - keep_h / 2, cx + keep_w / 2, cy + keep_h / 2], 1)


def _cut(photo: torch.Tensor, regions: np.ndarray, size: tuple[int, int], samples: int = -1
         ) -> torch.Tensor:
    """Resample ``regions`` of the photo to ``size``: each output pixel averages
    ``samples`` x ``samples`` bilinear samples (``-1``: enough to cover its whole footprint)."""
    rois = torch.from_numpy(np.asarray(regions, dtype=np.float32)).to(photo.device)
    rois = torch.cat([torch.zeros(len(rois), 1, device=photo.device), rois], dim=1)
    return roi_align(photo.float(), rois, output_size=size, spatial_scale=1.0,
                     sampling_ratio=samples, aligned=True)


def _pixel_box(photo: torch.Tensor, box: np.ndarray) -> torch.Tensor:
    """``PIL.Image.crop(box)``: the box rounded to whole pixels (at least 1 x 1), outside the
    photo black."""
    x1, y1, x2, y2 = (int(round(float(v))) for v in box)
    x2, y2 = max(x2, x1 + 1), max(y2, y1 + 1)
    height, width = photo.shape[-2:]
    inside = photo[..., max(y1, 0):min(y2, height), max(x1, 0):min(x2, width)]
    if (x1, y1, x2, y2) == (max(x1, 0), max(y1, 0), min(x2, width), min(y2, height)):
        return inside
    out = torch.zeros((*photo.shape[:-2], y2 - y1, x2 - x1), dtype=photo.dtype,
                      device=photo.device)
    if inside.numel():
        top, left = max(y1, 0) - y1, max(x1, 0) - x1
        out[..., top:top + inside.shape[-2], left:left + inside.shape[-1]] = inside
    return out


MAX_ASPECT = 8.0  # a sliver box is cut to its centre first: the centre crop keeps no more


def _centre_part(box: np.ndarray, spec: CropSpec) -> np.ndarray:
    """For centre-crop models, a box longer than ``MAX_ASPECT`` times its short side is
    shortened around its centre first (its ends fall outside the centre crop anyway), so a
    sliver never becomes a huge resized image."""
    if spec.shortest_edge is None:
        return box
    x1, y1, x2, y2 = (float(v) for v in box)
    w, h = x2 - x1, y2 - y1
    if w > MAX_ASPECT * max(h, 1.0):
        cx, w = (x1 + x2) / 2, MAX_ASPECT * max(h, 1.0)
        return np.array([cx - w / 2, y1, cx + w / 2, y2])
    if h > MAX_ASPECT * max(w, 1.0):
        cy, h = (y1 + y2) / 2, MAX_ASPECT * max(w, 1.0)
        return np.array([x1, cy - h / 2, x2, cy + h / 2])
    return box


def _processed(photo: torch.Tensor, boxes: np.ndarray, spec: CropSpec) -> torch.Tensor:
    """The processor's model input for ``boxes`` of one photo: one processor call on the
    uint8 crops (normalised, ``N x 3 x H x W``)."""
    processor = spec.processor if spec.processor is not None else _clip_processor(spec)
    cuts = [_pixel_box(photo, _centre_part(box, spec))[0] for box in boxes]
    return processor(images=cuts, return_tensors="pt")["pixel_values"].to(photo.device)


def normalise(pixels: torch.Tensor, spec: CropSpec) -> torch.Tensor:
    """0-255 pixels -> the model's normalised input (``(x/255 - mean) / std``)."""
    mean = torch.tensor(spec.mean, device=pixels.device).view(1, 3, 1, 1)
    std = torch.tensor(spec.std, device=pixels.device).view(1, 3, 1, 1)
    return (pixels / 255.0 - mean) / std


@dataclass
class CropBatch:
    """All crops of many photos: the model input and where each crop came from."""

    pixels: torch.Tensor  # N x 3 x H x W, normalised
    photo_index: np.ndarray  # N, index of the photo each crop belongs to


def cut_crops(
    images: Sequence[np.ndarray | torch.Tensor],
    boxes: Sequence[np.ndarray],
    spec: CropSpec,
    device: torch.device | str = "cpu",
    dtype: torch.dtype = torch.float32,
) -> CropBatch:
    """Crop and preprocess every box of every photo in one batch.

    Args:
        images: ``HxWx3`` uint8 RGB photos (or tensors from :func:`photo_tensor`, so a photo
            converted once can be cut many times).
        boxes: per photo, an ``Nx4`` array of pixel ``xyxy`` boxes.
        spec: the model's crop geometry and normalisation.
        device: where the tensors live; ``dtype``: the model's input dtype.
    """
    crops, owners = [], []
    for i, (image, photo_boxes) in enumerate(zip(images, boxes, strict=True)):
        photo_boxes = np.asarray(photo_boxes, dtype=np.float32).reshape(-1, 4)
        if len(photo_boxes) == 0:
            continue
        photo = as_photo(image, device)
        if spec.resample == "area":
            crops.append(normalise(_cut(photo, sample_regions(photo_boxes, spec),
                                        (spec.height, spec.width)), spec))
        else:
            crops.append(_processed(photo, photo_boxes, spec))
        owners.append(np.full(len(photo_boxes), i))
    if not crops:
        empty = torch.zeros(0, 3, spec.height, spec.width, device=device, dtype=dtype)
        return CropBatch(empty, np.zeros(0, dtype=int))
    return CropBatch(torch.cat(crops).to(dtype), np.concatenate(owners))


def thumbnails(images: Sequence[np.ndarray | torch.Tensor], boxes: Sequence[np.ndarray],
               size: int | tuple[int, int] = 8) -> torch.Tensor:
    """Only the ``size`` x ``size`` (or ``(height, width)``) RGB thumbnails (0-255) of every
    box, flattened, on the CPU.

    Each thumbnail pixel averages 2 x 2 bilinear samples (16 photo pixels): enough to smooth
    sensor noise, a fraction of the cost of a full area average.
    """
    shape = (size, size) if isinstance(size, int) else (int(size[0]), int(size[1]))
    out = []
    for image, photo_boxes in zip(images, boxes, strict=True):
        photo_boxes = np.asarray(photo_boxes, dtype=np.float32).reshape(-1, 4)
        if len(photo_boxes):
            out.append(_cut(as_photo(image), photo_boxes, shape, 2).flatten(1).cpu())
    return torch.cat(out) if out else torch.zeros(0, 3 * shape[0] * shape[1])
