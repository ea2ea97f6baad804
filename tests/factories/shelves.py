"""Hand-made shelves for rule tests: a planogram drawn as rows of SKU ids, plus what differs.

``layout([["colaco-cola-330"] * 4 + ["fizzup-lemon-330"] * 3, [...]])`` gives a photo (products
side by side, a price tag under each block, shelf rows 200 px apart) and the matching planogram.
Keyword arguments change what is actually on the shelf, keyed by ``(shelf, position)`` with
shelf 1 = top and position the index in the planned row.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from pipeline import keys
from pipeline.catalog import Catalog
from pipeline.detections import PhotoDetections, make_detections
from pipeline.planogram import Block, Planogram, Shelf, Zone

ROW_H = 200
PRODUCT_W = 60
PRODUCT_H = 150
SPACING = 4
LEFT = 20
TAG_W, TAG_H = 40, 22


@dataclass
class Layout:
    photo: PhotoDetections
    planogram: Planogram


def _blocks(row: list[str]) -> list[tuple[str, int, int]]:
    """(sku, first position, last position) runs."""
    runs: list[tuple[str, int, int]] = []
    for pos, sku in enumerate(row):
        if runs and runs[-1][0] == sku:
            runs[-1] = (sku, runs[-1][1], pos)
        else:
            runs.append((sku, pos, pos))
    return runs


def x_of(pos: int) -> float:
    return LEFT + pos * (PRODUCT_W + SPACING)


def layout(
    planned: list[list[str]],
    catalog: Catalog,
    *,
    actual: Mapping[tuple[int, int], str | None] | None = None,
    lying: Iterable[tuple[int, int]] = (),
    no_tag: Iterable[tuple[int, str]] = (),
    prices: Mapping[tuple[int, str], float] | None = None,
    promos: Mapping[tuple[int, str], str] | None = None,
    no_promo: Iterable[tuple[int, str]] = (),
    zones: Iterable[Zone] = (),
    width: int = 1000,
    store: str | None = None,
    camera: str | None = None,
) -> Layout:
    """A shelf photo's detections and its planogram (see the module docstring)."""
    actual, prices, promos = dict(actual or {}), dict(prices or {}), dict(promos or {})
    lying, no_tag, no_promo = set(lying), set(no_tag), set(no_promo)
    boxes, kinds, fields = [], [], {k: [] for k in ("sku", "brand", "category", "orientation",
                                                     "text", "price", "shelf")}

    def add(box, kind, **values):
        boxes.append(box)
        kinds.append(kind)
        for name in fields:
            fields[name].append(values.get(name))

    shelves = []
    for s, row in enumerate(planned, start=1):
        line = s * ROW_H
        for pos, sku in enumerate(row):
            real = actual.get((s, pos), sku)
            if real is None:
                continue
            known = catalog.by_id.get(real)
            x = x_of(pos)
            if (s, pos) in lying:
                box = [x - 10, line - 45, x + PRODUCT_W + 10, line]
            else:
                box = [x, line - PRODUCT_H, x + PRODUCT_W, line]
            add(box, keys.PRODUCT, sku=real, brand=known.brand if known else None,
                category=known.category if known else None,
                orientation=keys.LYING if (s, pos) in lying else keys.UPRIGHT, shelf=s)
        blocks = []
        for sku, first, last in _blocks(row):
            x0, x1 = x_of(first) - SPACING / 2, x_of(last) + PRODUCT_W + SPACING / 2
            cx = (x0 + x1) / 2
            promo = promos.get((s, sku))
            blocks.append(Block(sku=sku, x=(x0 / width, x1 / width), facings=last - first + 1,
                                promo=promo))
            if (s, sku) not in no_tag:
                price = prices.get((s, sku), catalog.by_id[sku].price)
                add([cx - TAG_W / 2, line + 4, cx + TAG_W / 2, line + 4 + TAG_H], keys.PRICE_TAG,
                    text=f"¥{price:.2f}", price=price, shelf=s)
            if promo and (s, sku) not in no_promo:
                top = line - PRODUCT_H - 18  # in the headroom above the block, below the tags
                add([cx - 30, top, cx + 30, top + 14], keys.PROMO, text=promo, shelf=s)
        shelves.append(Shelf(index=s, blocks=blocks))
    height = (len(planned) + 1) * ROW_H
    det = make_detections(boxes, kind=kinds, **fields)
    photo = PhotoDetections("shelf.jpg", width, height, det, store=store, camera=camera)
    return Layout(photo, Planogram(id="test", shelves=shelves, zones=list(zones)))


def without_shelf(photo: PhotoDetections) -> PhotoDetections:
    """The same photo with the ``shelf`` keys removed (so the engine must infer them)."""
    det = photo.detections[list(range(len(photo.detections)))]
    det.data.pop(keys.SHELF, None)
    return PhotoDetections(photo.path, photo.width, photo.height, det, photo.store,
                           photo.camera)


COLA = "colaco-cola-330"
ZERO = "colaco-zero-330"
LEMON = "fizzup-lemon-330"
WATER = "clearspring-550"
ALPS = "alpspure-500"
CHIPS = "crunchy-original-70"
KING = "chipking-salted-75"
