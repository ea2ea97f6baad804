"""Cut product boxes out of whole photos as model-ready tensors, all at once, in memory.

Each photo becomes a (uint8) tensor once; its boxes are cut from it as tensor slices, resized
with torch (crops of the same size together, in one call), normalised with the image
processor's mean and std and stacked into one batch. No PIL call and no processor call per
crop, no temp files.

The crops are the ones the model's Hugging Face image processor would make from
``PIL.Image.crop(box)`` (:class:`CropSpec`), so batched labels agree with per-crop ones:

* the box is rounded to whole pixels (as ``PIL.Image.crop`` does); parts outside the photo
  read as black, as PIL's crop pads them;
* resized with the processor's filter — bicubic or bilinear, anti-aliased like PIL's, rounded
  to 8-bit values like PIL's output;
* ``size = {"shortest_edge": S}`` + ``do_center_crop`` (CLIP, Chinese-CLIP): the short side
  becomes ``S`` (the long side ``int(S * long / short)``) and the centre ``crop_size`` window is
  kept with the processor's integer offsets; ``size = {"height": H, "width": W}`` (SigLIP, the
  starter recognizer): the whole box is resized to ``H x W``.

``resample="area"`` (PIL's box filter, ``resample: 4``) instead averages each output pixel's
whole footprint in one batched ``torchvision.ops.roi_align`` call (sub-pixel boxes): how the
starter recognizer's training crops are cut.

:func:`thumbnails` cuts a tiny thumbnail per box the same way: the cheap signature used to
spot near-identical facings and unchanged crops.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torchvision.ops import roi_align

CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)
# PIL resampling filter codes (as stored in preprocessor_config.json) -> ours: 2 bilinear and
# 3 bicubic (torch's anti-aliased kernels), 4 box = an area average (roi_align). Others
# (0 nearest, 1 lanczos, 5 hamming) have no batched torch kernel: bicubic.
PIL_FILTERS = {2: "bilinear", 3: "bicubic", 4: "area"}


@dataclass(frozen=True)
class CropSpec:
    """How a crop becomes the model's input: output size, resize rule, mean and std."""

    height: int
    width: int
    mean: tuple[float, float, float] = CLIP_MEAN
    std: tuple[float, float, float] = CLIP_STD
    shortest_edge: int | None = None  # resize the short side to this, then centre-crop
    resample: str = "bicubic"  # bicubic | bilinear (the processor's filter) | area (roi_align)

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
        resample = _filter(getattr(processor, "resample", None))
        if "shortest_edge" in size and center:
            h = int(crop.get("height", size["shortest_edge"]))
            w = int(crop.get("width", size["shortest_edge"]))
            return cls(h, w, mean, std, shortest_edge=int(size["shortest_edge"]),  # type: ignore[arg-type]
                       resample=resample)
        if "shortest_edge" in size:  # resize the short side without a crop: use a square
            edge = int(size["shortest_edge"])
            return cls(edge, edge, mean, std, resample=resample)  # type: ignore[arg-type]
        h = int(size.get("height", image_size))
        w = int(size.get("width", image_size))
        return cls(h, w, mean, std, resample=resample)  # type: ignore[arg-type]


def _filter(value: Any) -> str:
    try:
        return PIL_FILTERS.get(int(value), "bicubic")
    except (TypeError, ValueError):  # None, or a torchvision InterpolationMode
        name = str(getattr(value, "value", value)).lower()
        return name if name in PIL_FILTERS.values() else "bicubic"


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

    Kept as uint8 (a quarter of the memory); each cut converts it to float for the moment.
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


def resized_size(height: int, width: int, spec: CropSpec) -> tuple[int, int]:
    """The processor's size for a ``height`` x ``width`` crop before any centre crop."""
    if spec.shortest_edge is None:
        return spec.height, spec.width
    edge = spec.shortest_edge
    if height <= width:
        return edge, int(edge * width / height)
    return int(edge * height / width), edge


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


def _center(pixels: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """The processor's centre crop (integer offsets; padded with black when smaller)."""
    h, w = pixels.shape[-2:]
    if h < height or w < width:
        pad_h, pad_w = max(height - h, 0), max(width - w, 0)
        pixels = torch.nn.functional.pad(pixels, ((pad_w + 1) // 2, pad_w // 2,
                                                  (pad_h + 1) // 2, pad_h // 2))
        h, w = pixels.shape[-2:]
    top, left = (h - height) // 2, (w - width) // 2
    return pixels[..., top:top + height, left:left + width]


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


def _resize_boxes(photo: torch.Tensor, boxes: np.ndarray, spec: CropSpec) -> torch.Tensor:
    """The processor's crops of ``boxes`` (0-255 floats), crops of one size resized together."""
    cuts = [_pixel_box(photo, _centre_part(box, spec)) for box in boxes]
    out = torch.empty((len(cuts), 3, spec.height, spec.width), device=photo.device)
    by_size: dict[tuple[int, int], list[int]] = {}
    for i, cut in enumerate(cuts):
        by_size.setdefault(tuple(cut.shape[-2:]), []).append(i)
    for (h, w), members in by_size.items():
        stack = torch.cat([cuts[i] for i in members]).float()
        size = resized_size(h, w, spec)
        for step in ((h, size[1]), size):  # as PIL: horizontal pass, then vertical, 8-bit each
            if tuple(stack.shape[-2:]) != step:
                stack = torch.nn.functional.interpolate(
                    stack, size=step, mode=spec.resample, antialias=True,
                    align_corners=False).round_().clamp_(0, 255)
        out[members] = _center(stack, spec.height, spec.width)
    return out


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
            crops.append(_cut(photo, sample_regions(photo_boxes, spec), (spec.height, spec.width)))
        else:
            crops.append(_resize_boxes(photo, photo_boxes, spec))
        owners.append(np.full(len(photo_boxes), i))
    if not crops:
        empty = torch.zeros(0, 3, spec.height, spec.width, device=device, dtype=dtype)
        return CropBatch(empty, np.zeros(0, dtype=int))
    return CropBatch(normalise(torch.cat(crops), spec).to(dtype), np.concatenate(owners))


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
