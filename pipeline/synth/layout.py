"""Where everything goes: a planogram turned into pixel rows, facing slots, tag and promo boxes.

Each shelf row gets its own pixel-per-centimetre scale from its blocks' spans (upper rows are a
little narrower in a planogram from :func:`make_planogram`, so they come out a little smaller:
the camera's keystone). Products stand on the shelf board, the price rail (lip) runs under
them, promo signs hang in the headroom above their block.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from pipeline.catalog import Catalog, Sku
from pipeline.errors import ShelfAuditError
from pipeline.planogram import Block, Planogram, Zone
from pipeline.synth.planograms import (
    FACING_SPACING,
    HEADROOM_CM,
    LIP_CM,
    Size,
    physical_size,
    shelf_pitch_cm,
    zones_of,
)

HEADER_CM = 9.0
BASE_CM = 12.0
TAG_W_CM = 12.0
MIN_LIP_FRACTION = 0.026  # the price rail is at least this part of the photo width
MIN_LIP_PX = 21.0
PROMO_H_CM = 6.8
Box = tuple[float, float, float, float]


@dataclass
class Row:
    """One shelf in pixels: products stand on ``board``; the price rail runs to ``lip_bottom``."""

    shelf: int
    top: float
    board: float
    lip_bottom: float
    left: float
    right: float
    ppcm: float

    @property
    def clearance(self) -> float:
        """Height available for a product (from the row top to the board)."""
        return self.board - self.top


@dataclass
class BlockPlan:
    """One planogram block in pixels: its facing slots, tag box and planned promo box."""

    row: Row
    block: Block
    sku: Sku
    slots: list[tuple[float, float]]
    tag_box: Box
    promo_box: Box | None
    zone: Zone | None
    position: int  # index of the block on its shelf

    @property
    def size(self) -> Size:
        return physical_size(self.sku)

    def product_box(self, slot: int, size: Size | None = None) -> Box:
        """Box of a product of ``size`` (default the planned SKU) standing in ``slot``."""
        w, h = fit_in_slot(size or self.size, self.row, self.slots[slot][1] - self.slots[slot][0])
        cx = (self.slots[slot][0] + self.slots[slot][1]) / 2
        return (cx - w / 2, self.row.board - h, cx + w / 2, self.row.board)


@dataclass
class Layout:
    width: int
    height: int
    rows: list[Row]
    plans: list[BlockPlan] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)


def fit_in_slot(size: Size, row: Row, slot_w: float) -> tuple[int, int]:
    """Pixel width and height of a product in a slot (shrunk to fit, never stretched)."""
    w, h = size.width * row.ppcm, size.height * row.ppcm
    k = min(1.0, slot_w / max(w, 1e-6), (row.clearance - 2) / max(h, 1e-6))
    return max(4, int(w * k)), max(6, int(h * k))


def _row_ppcm(blocks: list[Block], catalog: Catalog, width: int) -> float:
    scales = []
    for block in blocks:
        slot = (block.x[1] - block.x[0]) * width / block.facings
        scales.append(slot / (physical_size(catalog.by_id[block.sku]).width * FACING_SPACING))
    return min(scales) if scales else width / 250.0


def _check_skus(planogram: Planogram, catalog: Catalog) -> None:
    missing = sorted({b.sku for s in planogram.shelves for b in s.blocks} - set(catalog.by_id))
    if missing:
        raise ShelfAuditError(f"planogram '{planogram.id}' names SKUs not in the catalog: "
                              + ", ".join(missing))
    if not planogram.shelves:
        raise ShelfAuditError(f"planogram '{planogram.id}' has no shelves")


def _zone_of(zones: list[Zone], shelf: int, block: Block, brand: str) -> Zone | None:
    cx = (block.x[0] + block.x[1]) / 2
    for zone in zones:
        if zone.brand == brand and zone.contains(cx, 0.5, shelf):
            return zone
    return None


def _plan_block(row: Row, block: Block, sku: Sku, zone: Zone | None, position: int,
                width: int) -> BlockPlan:
    x0, x1 = block.x[0] * width, block.x[1] * width
    step = (x1 - x0) / block.facings
    slots = [(x0 + i * step, x0 + (i + 1) * step) for i in range(block.facings)]
    tag_h = (row.lip_bottom - row.board) * 0.86
    tag_w = min(max(TAG_W_CM * row.ppcm, tag_h * 2.3), (x1 - x0) * 0.94)
    cx = (x0 + x1) / 2
    ty = row.board + (row.lip_bottom - row.board) * 0.08
    tag_box = (cx - tag_w / 2, ty, cx + tag_w / 2, ty + tag_h)
    promo_box = None
    if block.promo:
        tallest = physical_size(sku).height * row.ppcm
        room = row.clearance - tallest
        ph = min(PROMO_H_CM * row.ppcm, room * 0.85)
        pw = min((x1 - x0) * 0.9, max(ph * 2.6, ph * 0.75 * len(block.promo)))
        ph = max(6.0, ph)
        py = row.top + max(1.0, room * 0.06)
        promo_box = (cx - pw / 2, py, cx + pw / 2, py + ph)
    return BlockPlan(row=row, block=block, sku=sku, slots=slots, tag_box=tag_box,
                     promo_box=promo_box, zone=zone, position=position)


def _photo_height(rows: list[Row], content: float, width: int) -> int:
    """Photo height: the nearer of 4:3 and 16:9 when the shelves fit in it (the spare room
    is split between the header above and the floor below), else just the content."""
    aspect = 4.0 / 3.0 if width / content < 1.55 else 16.0 / 9.0
    height = int(round(width / aspect))
    if height < content:
        return int(np.ceil(content))
    shift = (height - content) * 0.4
    for row in rows:
        row.top, row.board, row.lip_bottom = row.top + shift, row.board + shift, \
            row.lip_bottom + shift
    return height


def plan_layout(catalog: Catalog, planogram: Planogram, width: int) -> Layout:
    """Pixel rows and block plans of ``planogram`` rendered ``width`` pixels wide."""
    _check_skus(planogram, catalog)
    zones = planogram.zones or zones_of(planogram, catalog)
    shelves = sorted(planogram.shelves, key=lambda s: s.index)
    rows: list[Row] = []
    y = None
    for shelf in shelves:
        ppcm = _row_ppcm(shelf.blocks, catalog, width)
        if y is None:
            y = HEADER_CM * ppcm
        sizes = [physical_size(catalog.by_id[b.sku]) for b in shelf.blocks]
        pitch = shelf_pitch_cm(sizes) * ppcm
        xs = [b.x for b in shelf.blocks] or [(0.05, 0.95)]
        left = min(x[0] for x in xs) * width
        right = max(x[1] for x in xs) * width
        lip = max(LIP_CM * ppcm, MIN_LIP_FRACTION * width, MIN_LIP_PX)  # tags stay legible
        pitch += lip - LIP_CM * ppcm
        rows.append(Row(shelf=shelf.index, top=y, board=y + pitch - lip,
                        lip_bottom=y + pitch, left=left, right=right, ppcm=ppcm))
        y += pitch
    height = _photo_height(rows, (y or 0) + BASE_CM * rows[-1].ppcm, width)
    layout = Layout(width=width, height=height, rows=rows)
    for shelf, row in zip(shelves, rows, strict=True):
        for position, block in enumerate(shelf.blocks):
            sku = catalog.by_id[block.sku]
            layout.plans.append(_plan_block(row, block, sku, _zone_of(zones, shelf.index, block,
                                                                       sku.brand), position, width))
    layout.categories = list(dict.fromkeys(p.sku.category for p in layout.plans))
    return layout


__all__ = ["HEADROOM_CM", "Layout", "Row", "BlockPlan", "plan_layout", "fit_in_slot"]
