"""The shelf as the rules see it: items with shelf indices, rows, SKU blocks, zones.

:func:`build_scene` turns one photo's detections (plus the camera's planogram and zones and the
catalog) into a :class:`Scene` once, so every rule type reads the same structure. A *block* is
one SKU's stretch on one shelf: the planogram's planned blocks when there is a planogram,
otherwise runs of the same SKU found on the shelf.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from pipeline import keys
from pipeline.catalog import Catalog
from pipeline.detections import PhotoDetections, field_values
from pipeline.planogram import Block, Planogram, Zone
from pipeline.rules.result import Box
from pipeline.rules.shelves import ShelfRow
from pipeline.rules.structure import ShelfStructure, shelf_structure


@dataclass(frozen=True)
class Item:
    """One detection with everything a rule may ask about it."""

    index: int
    kind: str
    box: Box
    shelf: int | None
    sku: str | None = None
    brand: str | None = None
    category: str | None = None
    orientation: str | None = None
    text: str | None = None
    price: float | None = None
    sku_score: float | None = None

    @property
    def cx(self) -> float:
        return (self.box[0] + self.box[2]) / 2

    @property
    def cy(self) -> float:
        return (self.box[1] + self.box[3]) / 2

    @property
    def width(self) -> float:
        return self.box[2] - self.box[0]

    @property
    def known(self) -> bool:
        return bool(self.sku) and self.sku != keys.UNKNOWN

    @property
    def lying(self) -> bool:
        return self.orientation == keys.LYING

    def named_below(self, score: float) -> bool:
        """Whether the recognizer named it with a SKU score under ``score`` (an item without
        a score, such as a hand-made detection, never is)."""
        return self.sku_score is not None and self.sku_score < score


@dataclass(frozen=True)
class SkuBlock:
    """One SKU's stretch of one shelf (px x-range), planned or observed."""

    shelf: int
    sku: str
    x0: float
    x1: float
    products: tuple[Item, ...] = ()
    planned: Block | None = None

    def covers(self, x: float, slack: float = 0.0) -> bool:
        return self.x0 - slack <= x <= self.x1 + slack


EDGE_PX = 2.0  # a box this close to the photo's border is cut by it


@dataclass(frozen=True)
class Scene:
    """One photo, structured for rule checks."""

    photo: PhotoDetections
    catalog: Catalog
    planogram: Planogram | None
    zones: dict[str, Zone]
    rows: tuple[ShelfRow, ...]
    products: tuple[Item, ...]
    tags: tuple[Item, ...]
    promos: tuple[Item, ...]
    gaps: tuple[Item, ...]
    blocks: tuple[SkuBlock, ...] = field(default=())
    structure: ShelfStructure = field(default=ShelfStructure())  # what the verdict carries

    @cached_property
    def promo_texts(self) -> frozenset[str]:
        """Every promo text the planogram plans on this photo (what a sign could be mistaken
        for); computed once per scene."""
        return frozenset(b.planned.promo for b in self.blocks
                         if b.planned is not None and b.planned.promo)

    @property
    def width(self) -> float:
        return float(self.photo.width or 1)

    @property
    def height(self) -> float:
        return float(self.photo.height or 1)

    def cut_by_edge(self, item: Item) -> bool:
        """Whether ``item``'s box touches the photo's border (within :data:`EDGE_PX`): only
        part of it is in view. The right and bottom borders count only when the photo's size
        is known (detections JSON without ``width``/``height`` has none)."""
        x1, y1, x2, y2 = item.box
        width, height = self.photo.width, self.photo.height
        return (x1 <= EDGE_PX or y1 <= EDGE_PX or bool(width) and x2 >= width - EDGE_PX
                or bool(height) and y2 >= height - EDGE_PX)

    def row(self, shelf: int | None) -> ShelfRow | None:
        return next((r for r in self.rows if r.index == shelf), None)

    def in_scope(self, item: Item, zone: str | None, shelves: tuple[int, int] | None) -> bool:
        """Whether ``item`` lies in the named zone (if any) and the shelf range (if any)."""
        if shelves is not None and (item.shelf is None
                                    or not shelves[0] <= item.shelf <= shelves[1]):
            return False
        if zone is None:
            return True
        area = self.zones.get(zone)
        return area is not None and area.contains(
            item.cx / self.width, item.cy / self.height, item.shelf
        )

    def select(self, items: Iterable[Item], zone: str | None,
               shelves: tuple[int, int] | None) -> list[Item]:
        return [i for i in items if self.in_scope(i, zone, shelves)]

    def zone_box(self, zone: str | None, shelves: tuple[int, int] | None = None) -> Box:
        """A pixel box around a zone (and shelf range), for evidence when nothing is there."""
        x0, x1 = 0.0, self.width
        area = self.zones.get(zone) if zone else None
        if area is not None and area.polygon:
            xs = [p[0] * self.width for p in area.polygon]
            ys = [p[1] * self.height for p in area.polygon]
            return (min(xs), min(ys), max(xs), max(ys))
        if area is not None:
            x0, x1 = area.x[0] * self.width, area.x[1] * self.width
            shelves = shelves or area.shelves
        rows = [r for r in self.rows if shelves is None or shelves[0] <= r.index <= shelves[1]]
        if not rows:
            return (x0, 0.0, x1, self.height)
        return (x0, min(r.top for r in rows), x1, max(r.line for r in rows))

    def block_box(self, block: SkuBlock) -> Box:
        """The block's stretch of shelf, from the shelf space top to just below the edge."""
        row = self.row(block.shelf)
        if row is None:
            return (block.x0, 0.0, block.x1, self.height)
        edge = 0.35 * row.product_height
        return (block.x0, row.top, block.x1, min(self.height, row.line + edge))

    def brand_of(self, sku: str | None) -> str | None:
        product = self.catalog.by_id.get(sku or "")
        return product.brand if product else None

    def block_under(self, tag: Item) -> SkuBlock | None:
        """The block a price tag belongs to: on its shelf, the block whose stretch holds the
        tag's centre, else the nearest block — unless products that were not recognised
        stand over the tag (it is theirs, and their SKU is not known): then none."""
        same = [b for b in self.blocks if b.shelf == tag.shelf]
        inside = [b for b in same if b.covers(tag.cx)]
        if not inside and any(p.shelf == tag.shelf and not p.known
                              and p.box[0] <= tag.cx <= p.box[2] for p in self.products):
            return None
        pool = inside or same
        if not pool:
            return None
        return min(pool, key=lambda b: abs((b.x0 + b.x1) / 2 - tag.cx))

    def block_in_scope(self, block: SkuBlock, zone: str | None,
                       shelves: tuple[int, int] | None) -> bool:
        """Whether a block's stretch (its centre at mid product height) lies in the zone and
        shelf range."""
        row = self.row(block.shelf)
        y = row.line - row.product_height / 2 if row else 0.0
        centre = Item(-1, "block", (block.x0, y, block.x1, y), block.shelf)
        return self.in_scope(centre, zone, shelves)


def _number(value: object) -> float | None:
    """A float from JSON input, or ``None`` for anything that is not a finite number."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if np.isfinite(number) else None


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _items(photo: PhotoDetections, catalog: Catalog) -> list[Item]:
    det = photo.detections
    cols = {name: field_values(det, name) for name in (
        keys.KIND, keys.SHELF, keys.SKU, keys.BRAND, keys.CATEGORY, keys.ORIENTATION,
        keys.TEXT, keys.PRICE, keys.SKU_SCORE)}
    items = []
    for i in range(len(det)):
        sku = _text(cols[keys.SKU][i])
        known = catalog.by_id.get(sku or "")
        shelf = _number(cols[keys.SHELF][i])
        items.append(Item(
            index=i,
            kind=str(cols[keys.KIND][i]),
            box=tuple(float(v) for v in det.xyxy[i]),  # type: ignore[arg-type]
            shelf=None if shelf is None else int(shelf),
            sku=sku,
            brand=known.brand if known else _text(cols[keys.BRAND][i]),
            category=known.category if known else _text(cols[keys.CATEGORY][i]),
            orientation=_text(cols[keys.ORIENTATION][i]),
            text=None if cols[keys.TEXT][i] is None else str(cols[keys.TEXT][i]),
            price=_number(cols[keys.PRICE][i]),
            sku_score=_number(cols[keys.SKU_SCORE][i]),
        ))
    return items


def planned_blocks(planogram: Planogram, products: Sequence[Item], width: float) -> list[SkuBlock]:
    """The planogram's blocks in pixels, each with the products of its SKU standing in it."""
    blocks = []
    for shelf in planogram.shelves:
        for block in shelf.blocks:
            x0, x1 = block.x[0] * width, block.x[1] * width
            inside = tuple(p for p in products if p.shelf == shelf.index and p.sku == block.sku
                           and x0 <= p.cx <= x1)
            blocks.append(SkuBlock(shelf.index, block.sku, x0, x1, inside, block))
    return blocks


def observed_blocks(products: Sequence[Item]) -> list[SkuBlock]:
    """Runs of one SKU along each shelf; a single stray item inside a run does not split it."""
    blocks: list[SkuBlock] = []
    for shelf in sorted({p.shelf for p in products if p.shelf is not None}):
        runs: list[list[Item]] = []
        for item in sorted((p for p in products if p.shelf == shelf and p.known),
                           key=lambda p: p.cx):
            if runs and runs[-1][-1].sku == item.sku:
                runs[-1].append(item)
            else:
                runs.append([item])
        merged: list[list[Item]] = []
        for run in runs:
            if len(merged) >= 2 and len(merged[-1]) == 1 and merged[-2][-1].sku == run[0].sku:
                merged.pop()
                merged[-1].extend(run)
            else:
                merged.append(list(run))
        for run in merged:
            blocks.append(SkuBlock(shelf, run[0].sku or "", min(p.box[0] for p in run),
                                   max(p.box[2] for p in run), tuple(run)))
    return blocks


def build_scene(
    photo: PhotoDetections,
    catalog: Catalog,
    planogram: Planogram | None = None,
    zones: Sequence[Zone] = (),
    trust_shelf: bool = False,
) -> Scene:
    """Structure one photo for the rules: the shelf-structure step (shelf rows, shelf per box,
    gaps: :func:`pipeline.rules.structure.shelf_structure`), then blocks and zones."""
    step = shelf_structure(photo, planogram, trust_shelf=trust_shelf)
    structured, rows = step.photo, step.rows
    items = _items(structured, catalog)
    products = tuple(i for i in items if i.kind == keys.PRODUCT)
    blocks = (planned_blocks(planogram, products, photo.width) if planogram
              else observed_blocks(products))
    all_zones = {z.id: z for z in (planogram.zones if planogram else [])}
    all_zones.update({z.id: z for z in zones})
    return Scene(
        photo=structured,
        catalog=catalog,
        planogram=planogram,
        zones=all_zones,
        rows=tuple(rows),
        products=products,
        tags=tuple(i for i in items if i.kind == keys.PRICE_TAG),
        promos=tuple(i for i in items if i.kind == keys.PROMO),
        gaps=tuple(i for i in items if i.kind == keys.GAP),
        blocks=tuple(blocks),
        structure=step.structure,
    )
