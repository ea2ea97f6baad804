"""Labelled product crops from synthetic (or any ground-truth) shelf photos.

Used to train and tune the starter recognizer, to build the reference gallery and to measure a
recognizer. A *scene source* is either a folder written by ``shelfaudit synth`` (``truth/*.json``
+ ``images/*``) or a range of synthetic seeds rendered in memory.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from pipeline import keys
from pipeline.catalog import Catalog
from pipeline.detections import PhotoDetections, field_values, of_kind
from pipeline.errors import ShelfAuditError
from pipeline.i18n import _
from pipeline.vision.crops import CropSpec, cut_crops


def scenes_in_folder(folder: str | Path) -> Iterator[tuple[np.ndarray, PhotoDetections]]:
    """``(photo, truth)`` for every ``truth/*.json`` of a synthetic dataset folder.

    Raises:
        ShelfAuditError: no truth files there.
    """
    from pipeline.imaging import load_photo

    root = Path(folder)
    files = sorted((root / "truth").glob("*.json")) if (root / "truth").is_dir() else []
    if not files:
        raise ShelfAuditError(_("{folder}: no truth/*.json (make one with `shelfaudit "
                                "synth`)").format(folder=root))
    for f in files:
        doc = json.loads(f.read_text(encoding="utf-8"))
        truth = PhotoDetections.from_dict(doc)
        candidates = [root / truth.path, root / "images" / Path(truth.path).name]
        candidates += sorted((root / "images").glob(f"{f.stem}.*"))
        image = next((c for c in candidates if c.is_file()), None)
        if image is None:
            raise ShelfAuditError(_("{file}: its photo {photo} is missing").format(
                file=f, photo=repr(truth.path)))
        yield load_photo(image).array(), truth


def rendered_scenes(catalog: Catalog, seed: int, count: int, widths: tuple[int, int] | None
                    = (640, 2400)) -> Iterator[tuple[np.ndarray, PhotoDetections]]:
    """Synthetic scenes ``0..count-1`` of dataset ``seed`` (as ``shelfaudit synth`` numbers
    them), rendered in memory and JPEG-compressed as the files would be; ``widths``: the range
    photo widths are drawn from (``None``: the synth default)."""
    import io

    from PIL import Image

    from pipeline.synth import render_scene
    from pipeline.synth.export import scene_seed

    rng = np.random.default_rng(seed + 7919)
    for i in range(count):
        width = int(rng.integers(*widths)) if widths else None
        scene = render_scene(catalog, scene_seed(seed, i), width=width)
        buffer = io.BytesIO()
        scene.image.save(buffer, format="JPEG", quality=scene.jpeg_quality)
        yield np.asarray(Image.open(buffer).convert("RGB")), scene.truth


@dataclass
class CropSet:
    """Product crops (uint8, ``N x 3 x S x S``, whole box resized) with their truth."""

    pixels: torch.Tensor
    sku_index: np.ndarray  # catalog index; K = len(catalog.skus): unknown, K + 1: empty shelf
    lying: np.ndarray
    aspect: np.ndarray  # box width / height

    def __len__(self) -> int:
        return len(self.sku_index)


def truth_labels(catalog: Catalog, products) -> tuple[np.ndarray, np.ndarray]:  # noqa: ANN001
    column = {s: i for i, s in enumerate(catalog.sku_ids)}
    skus = field_values(products, keys.SKU)
    index = np.array([column.get(s, len(column)) for s in skus], dtype=int)
    lying = field_values(products, keys.ORIENTATION) == keys.LYING
    return index, lying.astype(bool)


def _choose(index: np.ndarray, lying: np.ndarray, per_group: int, rng: np.random.Generator
            ) -> np.ndarray:
    """At most ``per_group`` boxes per (SKU, orientation) of a photo (facings look alike)."""
    keep = []
    for key in set(zip(index.tolist(), lying.tolist(), strict=True)):
        members = np.flatnonzero((index == key[0]) & (lying == key[1]))
        keep += rng.permutation(members)[:per_group].tolist()
    return np.array(sorted(keep), dtype=int)


def empty_boxes(truth: PhotoDetections, per_gap: int, rng: np.random.Generator,
                signs: int = 0) -> np.ndarray:
    """Boxes showing no product (the boxes detectors draw where nothing stands): in each
    ground-truth gap, ``per_gap`` windows — a slot the size of the nearest product on that
    shelf, or a strip of shelf edge along the gap's bottom; and on ``signs`` promo signs or
    price tags of the photo, a product-sized window over part of the sign (none that covers
    a product)."""
    gaps = of_kind(truth.detections, keys.GAP)
    products = of_kind(truth.detections, keys.PRODUCT)
    if len(products) == 0 or per_gap <= 0:
        return np.zeros((0, 4), np.float32)
    centres = (products.xyxy[:, 0] + products.xyxy[:, 2]) / 2
    out = _sign_windows(truth, products, signs, rng) if signs else []
    for x1, _y1, x2, y2 in gaps.xyxy:
        near = np.argsort(np.abs(centres - (x1 + x2) / 2) + 10 * np.abs(products.xyxy[:, 3] - y2))
        px1, py1, px2, py2 = products.xyxy[near[0]]
        w, h = (px2 - px1) * rng.uniform(0.85, 1.15), (py2 - py1) * rng.uniform(0.85, 1.1)
        for k in range(per_gap):
            if k % 2 == 1:  # a strip of shelf edge under the empty slot
                h_k, w_k = h * rng.uniform(0.15, 0.45), min(x2 - x1, w * rng.uniform(1.0, 3.0))
            else:
                h_k, w_k = h, min(w, x2 - x1) if x2 - x1 >= 0.6 * w else w
            left = x1 + rng.uniform(0, max(x2 - x1 - w_k, 0))
            bottom = y2 + rng.uniform(-0.05, 0.05) * h
            out.append([left, bottom - h_k, left + w_k, bottom])
    return np.asarray(out, np.float32).reshape(-1, 4)


def _sign_windows(truth: PhotoDetections, products, count: int,  # noqa: ANN001
                  rng: np.random.Generator) -> list[list[float]]:
    kinds = field_values(truth.detections, keys.KIND)
    signs = truth.detections.xyxy[(kinds == keys.PROMO) | (kinds == keys.PRICE_TAG)]
    out: list[list[float]] = []
    sizes = products.xyxy[:, 2:] - products.xyxy[:, :2]
    for i in rng.permutation(len(signs))[:count]:
        x1, y1, x2, y2 = signs[i]
        for _try in range(5):  # a few tries to miss every product
            w, h = sizes[rng.integers(len(sizes))] * rng.uniform(0.6, 1.1)
            cx, cy = rng.uniform(x1, x2), rng.uniform(y1, y2)
            box = np.array([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2])
            inter_w = np.clip(np.minimum(box[2], products.xyxy[:, 2])
                              - np.maximum(box[0], products.xyxy[:, 0]), 0, None)
            inter_h = np.clip(np.minimum(box[3], products.xyxy[:, 3])
                              - np.maximum(box[1], products.xyxy[:, 1]), 0, None)
            if (inter_w * inter_h).sum() <= 0.1 * w * h:
                out.append(box.tolist())
                break
    return out


# Matching a detector's product box to the ground truth (:func:`label_proposals`).
PROPOSAL_IOU = 0.4  # IoU with a truth product at which the box shows that product
PROPOSAL_INSIDE = 0.8  # ... or this share of the box inside one product (a fragment) ...
PROPOSAL_FRAGMENT_IOU = 0.25  # ... that covers at least this IoU of it
PROPOSAL_EMPTY = 0.15  # at most this share of the box on any product: no product at all
PROPOSAL_CLOSE = 0.75  # boxes this close to their truth are ordinary: few of them are kept


def label_proposals(catalog: Catalog, boxes: np.ndarray, products, per_group: int,  # noqa: ANN001
                    rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Ground-truth labels of a detector's product ``boxes`` of one photo: ``(boxes, sku
    index, lying)`` of the boxes kept.

    A box is the truth product it overlaps by IoU >= ``PROPOSAL_IOU`` (a box over a small can
    that reaches up to its tall neighbours' height still is that can), or a fragment lying
    mostly inside one product; a box barely on any product is "empty shelf" (class ``K + 1``:
    a stray box on the shelf's side board, a sliver past the last facing); boxes in between
    are left out. Every box unlike its truth (IoU < ``PROPOSAL_CLOSE``) and every stray box is
    kept — these are what the recognizer never sees among ground-truth crops — plus
    ``per_group`` ordinary ones per (SKU, orientation).
    """
    import supervision as sv

    boxes = np.asarray(boxes, np.float32).reshape(-1, 4)
    if len(boxes) == 0 or len(products) == 0:
        return boxes[:0], np.zeros(0, int), np.zeros(0, bool)
    truth_index, truth_lying = truth_labels(catalog, products)
    iou = sv.box_iou_batch(boxes, products.xyxy)
    inside = sv.box_iou_batch(boxes, products.xyxy, overlap_metric=sv.OverlapMetric.IOS)
    area = np.maximum((boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1]), 1e-6)
    truth_area = (products.xyxy[:, 2] - products.xyxy[:, 0]) * \
        (products.xyxy[:, 3] - products.xyxy[:, 1])
    # intersection over the proposal's own area (IOS takes the smaller of the two boxes)
    on_product = inside * np.minimum(area[:, None], truth_area[None, :]) / area[:, None]
    best = iou.argmax(1)
    best_iou = iou[np.arange(len(boxes)), best]
    fragment = (on_product[np.arange(len(boxes)), best] >= PROPOSAL_INSIDE) & \
        (best_iou >= PROPOSAL_FRAGMENT_IOU)
    named = (best_iou >= PROPOSAL_IOU) | fragment
    empty = on_product.max(1) <= PROPOSAL_EMPTY
    index = np.where(named, truth_index[best], len(catalog.skus) + 1)
    lying = named & truth_lying[best]
    usual = np.flatnonzero(named & (best_iou >= PROPOSAL_CLOSE))
    chosen = usual[_choose(index[usual], lying[usual], per_group, rng)] if per_group and \
        len(usual) else np.zeros(0, int)
    keep = np.union1d(np.flatnonzero((named & (best_iou < PROPOSAL_CLOSE)) | empty), chosen)
    return boxes[keep], index[keep], lying[keep]


def collect_crops(catalog: Catalog, scenes, size: int, per_group: int = 3,  # noqa: ANN001
                  jitter: float = 0.0, seed: int = 0, empty_per_gap: int = 0,
                  sign_windows: int = 0, proposals=None) -> CropSet:  # noqa: ANN001
    """Crops of the product boxes of ``scenes`` (an iterator of ``(photo, truth)``).

    ``jitter``: each box edge moves by up to this fraction of the box size (detector noise).
    ``empty_per_gap``: also that many empty-shelf crops per ground-truth gap, and
    ``sign_windows`` per photo over signs and tags (:func:`empty_boxes`, class ``K + 1``).
    ``proposals``: a function photo -> a detector's product boxes (N x 4); its boxes are added,
    labelled from the truth (:func:`label_proposals`; not jittered: they are real detector
    boxes).
    """
    rng = np.random.default_rng(seed)
    spec = CropSpec(size, size, resample="area")  # the starter was trained on these
    pixels, indices, lyings, aspects = [], [], [], []
    for image, truth in scenes:
        products = of_kind(truth.detections, keys.PRODUCT)
        if len(products) == 0:
            continue
        index, lying = truth_labels(catalog, products)
        pick = _choose(index, lying, per_group, rng) if per_group else np.arange(len(index))
        boxes = products.xyxy[pick].astype(np.float32)
        index, lying = index[pick], lying[pick]
        empties = empty_boxes(truth, empty_per_gap, rng, sign_windows)
        if len(empties):
            boxes = np.concatenate([boxes, empties])
            index = np.concatenate([index, np.full(len(empties), len(catalog.skus) + 1)])
            lying = np.concatenate([lying, np.zeros(len(empties), dtype=bool)])
        if jitter:
            wh = np.concatenate([boxes[:, 2:] - boxes[:, :2]] * 2, axis=1)
            boxes = boxes + rng.uniform(-jitter, jitter, boxes.shape) * wh
        if proposals is not None:
            found = label_proposals(catalog, proposals(image), products, max(per_group // 2, 1),
                                    rng)
            boxes = np.concatenate([boxes, found[0]])
            index, lying = np.concatenate([index, found[1]]), np.concatenate([lying, found[2]])
        crop = cut_crops([image], [boxes], spec).pixels  # normalised: undo to uint8 below
        mean = torch.tensor(spec.mean).view(1, 3, 1, 1)
        std = torch.tensor(spec.std).view(1, 3, 1, 1)
        pixels.append(((crop * std + mean) * 255).round().clamp(0, 255).to(torch.uint8))
        indices.append(index)
        lyings.append(lying)
        aspects.append((boxes[:, 2] - boxes[:, 0]) / np.maximum(boxes[:, 3] - boxes[:, 1], 1e-3))
    if not pixels:
        raise ShelfAuditError(_("no product boxes in the scenes"))
    return CropSet(torch.cat(pixels), np.concatenate(indices), np.concatenate(lyings),
                   np.concatenate(aspects).astype(np.float32))


def write_gallery(catalog: Catalog, scenes, out: Path, per_sku: int = 5,  # noqa: ANN001
                  seed: int = 0) -> dict[str, int]:
    """Save ``per_sku`` upright crops of every catalog SKU as ``out/<sku>/<n>.jpg``.

    Crops are cut at the photo's own resolution from ground-truth boxes, one per photo and SKU
    at most (so the references differ in light and camera). Stops once every SKU has enough.
    """
    from PIL import Image

    rng = np.random.default_rng(seed)
    counts = {s: 0 for s in catalog.sku_ids}
    out = Path(out)
    for image, truth in scenes:
        products = of_kind(truth.detections, keys.PRODUCT)
        index, lying = truth_labels(catalog, products)
        for k in rng.permutation(np.unique(index[(~lying) & (index < len(catalog.skus))])):
            sku = catalog.skus[int(k)].id
            if counts[sku] >= per_sku:
                continue
            row = int(rng.choice(np.flatnonzero((index == k) & ~lying)))
            x1, y1, x2, y2 = (int(round(v)) for v in products.xyxy[row])
            folder = out / sku
            folder.mkdir(parents=True, exist_ok=True)
            Image.fromarray(image[y1:y2, x1:x2]).save(folder / f"{counts[sku] + 1}.jpg",
                                                      quality=90)
            counts[sku] += 1
        if all(c >= per_sku for c in counts.values()):
            break
    return counts
