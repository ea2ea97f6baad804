"""Random planograms for the synthetic shelf world, and the physical sizes of the SKUs.

A planogram is built in centimetres and then normalised to the photo width: every shelf is
filled edge to edge with SKU blocks of 3-8 facings, brands in contiguous runs, one category per
shelf where the category has enough SKUs. Upper shelves span a little less of the photo than
lower ones (the camera's mild keystone); the renderer reads the spans back, so a planogram made
here and a planogram loaded from YAML render the same way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from pipeline.catalog import Catalog, Sku
from pipeline.planogram import Block, Planogram, Shelf, Zone

# Space a facing takes on the shelf relative to the product's width (a small gap between cans).
FACING_SPACING = 1.05
# Headroom above the tallest product and the price-rail (shelf lip) height, in centimetres.
HEADROOM_CM = 9.0
LIP_CM = 7.0
FRAME_CM = 21.0  # header board above the top shelf plus the floor below the bottom one
# Part of the photo width a shelf spans at the bottom row (the rest is uprights and margin).
CONTENT_FRACTION = 0.94
PROMO_RATE = 0.22  # chance that a planned block carries a promo sign
PROMO_TEXTS: tuple[str, ...] = (
    "特价", "SALE 2 for 1", "买一送一", "限时折扣", "NEW", "第二件半价", "SALE -20%", "新品",
)
CATEGORY_SETS: tuple[tuple[str, ...], ...] = (
    ("soft-drinks", "bottled-water"),
    ("snacks", "dairy"),
    ("soft-drinks",),
    ("bottled-water",),
    ("snacks",),
    ("dairy",),
    ("soft-drinks", "snacks"),
    ("bottled-water", "dairy"),
)


@dataclass(frozen=True)
class Size:
    """A product's front face in centimetres."""

    width: float
    height: float


_SIZE = re.compile(r"^\s*([0-9.]+)\s*(ml|l|g|kg)\s*$", re.IGNORECASE)


def _amount(size: str) -> tuple[float, str]:
    m = _SIZE.match(size)
    if not m:
        return 0.0, ""
    value, unit = float(m.group(1)), m.group(2).lower()
    if unit == "l":
        return value * 1000.0, "ml"
    if unit == "kg":
        return value * 1000.0, "g"
    return value, unit


def physical_size(sku: Sku) -> Size:
    """Front-face size of a SKU from its package and size (e.g. a 1.5L bottle is 9 x 31 cm)."""
    amount, _ = _amount(sku.size)
    if sku.package == "can":
        return Size(6.6, 12.2 if amount <= 350 else 16.8)
    if sku.package == "bottle":
        if amount <= 250:
            return Size(5.2, 14.0)
        if amount <= 600:
            return Size(6.6, 21.5 + (amount - 500) / 50.0)
        if amount <= 800:
            return Size(7.4, 27.0)
        if amount <= 1100:
            return Size(8.0, 27.5)
        return Size(9.2, 32.0)
    if sku.package == "carton":
        return Size(6.0, 11.5) if amount <= 300 else Size(8.8, 23.5)
    if sku.package == "bag":
        return Size(16.0, 23.0)
    # box: the id hints at the shape (a crisps tube, a butter pack, a yogurt tub)
    if "tube" in sku.id:
        return Size(7.6, 23.0)
    if "butter" in sku.id:
        return Size(11.0, 7.0)
    if "yogurt" in sku.id or amount >= 400:
        return Size(11.5, 11.0)
    return Size(13.0, 19.0)


def shelf_pitch_cm(sizes: list[Size]) -> float:
    """Height of one shelf row (products + headroom + lip) for the SKUs on it."""
    tallest = max((s.height for s in sizes), default=20.0)
    return tallest + HEADROOM_CM + LIP_CM


def keystone_scale(shelf: int, n_shelves: int, keystone: float) -> float:
    """How much of the bottom row's width shelf ``shelf`` spans (1.0 for the bottom shelf)."""
    if n_shelves <= 1:
        return 1.0
    return 1.0 - keystone * (n_shelves - shelf) / (n_shelves - 1)


def _rng(rng_or_seed: np.random.Generator | int) -> np.random.Generator:
    if isinstance(rng_or_seed, np.random.Generator):
        return rng_or_seed
    return np.random.default_rng(int(rng_or_seed))


def _shelf_candidates(catalog: Catalog, category: str, rng: np.random.Generator) -> list[Sku]:
    """SKUs for one shelf: the category's brands in a random order, each brand's SKUs shuffled."""
    brands = sorted({s.brand for s in catalog.skus_of_category(category)})
    order = [brands[i] for i in rng.permutation(len(brands))]
    skus: list[Sku] = []
    for brand in order:
        own = [s for s in catalog.skus_of_category(category) if s.brand == brand]
        keep = int(rng.integers(max(1, len(own) - 1), len(own) + 1))
        skus += [own[i] for i in rng.permutation(len(own))[:keep]]
    return skus


def _fill(skus: list[Sku], backup: list[Sku], budget: float,
          rng: np.random.Generator) -> list[tuple[Sku, int]]:
    """Blocks (sku, facings) whose widths add up to about ``budget`` centimetres.

    First the shelf's own SKUs with 3-8 random facings; if the shelf is still short, their
    facings grow up to 8; if still short, SKUs from ``backup`` join next to their brand.
    """
    def step(sku: Sku) -> float:
        return physical_size(sku).width * FACING_SPACING

    blocks: list[list] = []
    used = 0.0
    for sku in skus:
        room = int((budget - used) // step(sku))
        if room >= 3:
            facings = min(int(rng.integers(3, 9)), room)
            blocks.append([sku, facings])
            used += facings * step(sku)
    for block in blocks:
        extra = min(8 - block[1], int((budget - used) // step(block[0])))
        if extra > 0:
            block[1] += extra
            used += extra * step(block[0])
    for sku in backup:
        room = int((budget - used) // step(sku))
        if any(b[0].id == sku.id for b in blocks) or room < 3:
            continue
        facings = min(8, room)
        same = [i for i, b in enumerate(blocks) if b[0].brand == sku.brand]
        blocks.insert(same[-1] + 1 if same else len(blocks), [sku, facings])
        used += facings * step(sku)
    return [(b[0], int(b[1])) for b in blocks]


def _to_blocks(chosen: list[tuple[Sku, int]], scale: float, width_cm: float,
               rng: np.random.Generator, promo_rate: float) -> list[Block]:
    total = sum(physical_size(s).width * FACING_SPACING * f for s, f in chosen)
    stretch = min(1.12, CONTENT_FRACTION * width_cm / max(total, 1e-6))
    to_photo = stretch * scale / width_cm  # row centimetres -> normalised photo x
    x = 0.5 - total * to_photo / 2.0
    blocks = []
    for sku, facings in chosen:
        w = physical_size(sku).width * FACING_SPACING * facings * to_photo
        promo = None
        if rng.random() < promo_rate:
            promo = PROMO_TEXTS[int(rng.integers(len(PROMO_TEXTS)))]
        x0, x1 = round(max(0.0, x), 5), round(min(1.0, x + w), 5)
        blocks.append(Block(sku=sku.id, x=(x0, x1), facings=facings, promo=promo))
        x += w
    return blocks


def zones_of(planogram: Planogram, catalog: Catalog) -> list[Zone]:
    """One zone per contiguous brand run per shelf (``s2-colaco``; a repeat gets ``-2``)."""
    zones: list[Zone] = []
    for shelf in planogram.shelves:
        runs: list[list[Block]] = []
        for block in shelf.blocks:
            brand = catalog.by_id[block.sku].brand if block.sku in catalog.by_id else None
            prev = runs[-1][-1] if runs else None
            prev_brand = catalog.by_id[prev.sku].brand if prev and prev.sku in catalog.by_id \
                else None
            if prev is not None and brand == prev_brand:
                runs[-1].append(block)
            else:
                runs.append([block])
        seen: dict[str, int] = {}
        for run in runs:
            sku = catalog.by_id.get(run[0].sku)
            brand = sku.brand if sku else "none"
            seen[brand] = seen.get(brand, 0) + 1
            suffix = "" if seen[brand] == 1 else f"-{seen[brand]}"
            zones.append(Zone(
                id=f"s{shelf.index}-{brand}{suffix}", brand=sku.brand if sku else None,
                category=sku.category if sku else None, shelves=(shelf.index, shelf.index),
                x=(run[0].x[0], run[-1].x[1]),
            ))
    return zones


def make_planogram(
    catalog: Catalog,
    rng_or_seed: np.random.Generator | int,
    categories: list[str] | None = None,
    n_shelves: int | None = None,
    planogram_id: str = "synthetic",
    aspect: float | None = None,
    promo_rate: float = PROMO_RATE,
) -> Planogram:
    """A random but plausible planogram: shelves 1..N top to bottom, brand zones per shelf.

    Args:
        catalog: the product catalog.
        rng_or_seed: a numpy Generator or an int seed.
        categories: categories to stock (default: a random related pair or a single one).
        n_shelves: number of shelves (default 3-6).
        planogram_id: the planogram's id.
        aspect: photo width / height the planogram is laid out for (default 4:3 or 16:9).
        promo_rate: chance that a block carries a planned promo sign.
    """
    rng = _rng(rng_or_seed)
    known = {c.id for c in catalog.categories}
    if categories is None:
        sets = [c for c in CATEGORY_SETS if set(c) <= known] or [tuple(sorted(known))]
        categories = list(sets[int(rng.integers(len(sets)))])
    unknown = [c for c in categories if c not in known]
    if unknown or not categories:
        raise ValueError(f"unknown categories {unknown}; known: {sorted(known)}")
    n = int(n_shelves) if n_shelves else int(rng.integers(3, 7))
    if aspect is None:
        aspect = 4.0 / 3.0 if rng.random() < 0.5 else 16.0 / 9.0
    keystone = float(rng.uniform(0.0, 0.07))
    per_cat = np.array_split(np.arange(n), len(categories))
    shelf_cats = [categories[k] for k, idx in enumerate(per_cat) for _ in idx]
    candidates = [_shelf_candidates(catalog, c, rng) for c in shelf_cats]
    others = [c.id for c in catalog.categories if c.id not in categories]
    backup = [s for c in [*categories, *others] for s in catalog.skus_of_category(c)]
    pitches = [shelf_pitch_cm([physical_size(s) for s in cand]) for cand in candidates]
    height_cm = sum(p * keystone_scale(i + 1, n, keystone) for i, p in enumerate(pitches))
    width_cm = (height_cm + FRAME_CM) * aspect * 1.08  # a little spare height for the frame
    shelves = []
    for i, cand in enumerate(candidates):
        scale = keystone_scale(i + 1, n, keystone)
        chosen = _fill(cand, backup, width_cm * CONTENT_FRACTION, rng)
        shelves.append(Shelf(index=i + 1,
                             blocks=_to_blocks(chosen, scale, width_cm, rng, promo_rate)))
    planogram = Planogram(id=planogram_id, shelves=shelves)
    planogram.zones = zones_of(planogram, catalog)
    return planogram
