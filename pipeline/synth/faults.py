"""What is on the shelf: the planned content of every block, with faults injected at set rates.

:func:`stock_shelves` turns block plans into the objects to draw (products, price tags, promo
signs) and the list of faults; each fault names the objects it changed, so ground truth and the
fault list always agree. Rates are chances per block (per planned promo for ``missing_promo``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields, replace
from typing import Any

import numpy as np

from pipeline import keys
from pipeline.catalog import Catalog, Sku
from pipeline.synth.draw import Look
from pipeline.synth.layout import BlockPlan, Box, Layout, fit_in_slot
from pipeline.synth.planograms import Size, physical_size

FAULT_TYPES: tuple[str, ...] = (
    "gap", "lying", "competitor", "misplaced", "missing_tag", "wrong_price", "missing_promo",
    "unknown",
)
CURRENCY_SYMBOLS = {"CNY": "¥", "RMB": "¥", "JPY": "¥", "USD": "$", "EUR": "€", "GBP": "£"}


@dataclass(frozen=True)
class FaultRates:
    """Chance per block of each fault (``missing_promo``: per planned promo)."""

    gap: float = 0.04
    lying: float = 0.025
    competitor: float = 0.025
    misplaced: float = 0.02
    missing_tag: float = 0.03
    wrong_price: float = 0.035
    missing_promo: float = 0.2
    unknown: float = 0.02

    def scaled(self, factor: float) -> FaultRates:
        """All rates times ``factor`` (capped at 1); ``0`` gives a perfect shelf."""
        if factor < 0:
            raise ValueError("fault-rate factor must be >= 0")
        return replace(self, **{f.name: min(1.0, getattr(self, f.name) * factor)
                                for f in fields(self)})


@dataclass
class Thing:
    """One object in the photo (a ground-truth box) and how to draw it."""

    kind: str
    box: Box
    shelf: int
    values: dict[str, Any] = field(default_factory=dict)
    look: Look | None = None  # products
    lying: bool = False
    style: int = 0  # tags: 1 = yellow; promos: colour scheme


@dataclass
class Stock:
    things: list[Thing] = field(default_factory=list)
    faults: list[dict[str, Any]] = field(default_factory=list)


def format_price(price: float, currency: str) -> str:
    """Price text as printed on a tag: ``¥3.50``, ``$2.99``."""
    return f"{CURRENCY_SYMBOLS.get(currency.upper(), currency + ' ')}{price:.2f}"


def look_of(sku: Sku, catalog: Catalog) -> Look:
    brand = catalog.brand_by_id.get(sku.brand)
    skip = {"can", "bottle", "box", sku.size.lower()}
    words = [w for w in sku.name.en.split()[1:] if w.lower() not in skip]
    variant = f"{words[0]} {sku.size}" if words else sku.size
    glass = sku.package == "bottle" and sku.category == "bottled-water"
    return Look(package=sku.package, body=sku.look.body, label=sku.look.label, text=sku.look.text,
                cap=sku.look.cap, brand=brand.name if brand else sku.brand, variant=variant,
                glass=glass)


def _box_list(box: Box) -> list[float]:
    return [round(float(v), 1) for v in box]


def _product(plan: BlockPlan, box: Box, sku: Sku | None, look: Look, lying: bool = False) -> Thing:
    values = {keys.SKU: sku.id if sku else keys.UNKNOWN, keys.BRAND: sku.brand if sku else None,
              keys.CATEGORY: sku.category if sku else None,
              keys.ORIENTATION: keys.LYING if lying else keys.UPRIGHT}
    return Thing(keys.PRODUCT, box, plan.row.shelf, values, look=look, lying=lying)


def _generic_look(rng: np.random.Generator, package: str) -> Look:
    muted = ["#9e9e8e", "#b8a88a", "#8a9bab", "#c9c2b0", "#a3b18a", "#d6ccc2", "#7f8c8d"]
    body = muted[int(rng.integers(len(muted)))]
    label = "#f2f2ee" if rng.random() < 0.6 else "#5c5c5c"
    text = "#333333" if label == "#f2f2ee" else "#eeeeee"
    word = ["BASIC", "VALUE", "超值", "ECO"][int(rng.integers(4))]
    return Look(package=package, body=body, label=label, text=text, cap="#777777", brand=word)


class _BlockStocker:
    """Fills one block's slots, applying the product faults the dice choose."""

    def __init__(self, plan: BlockPlan, layout: Layout, catalog: Catalog,
                 rng: np.random.Generator, rates: FaultRates, stock: Stock) -> None:
        self.plan, self.layout, self.catalog = plan, layout, catalog
        self.rng, self.rates, self.stock = rng, rates, stock
        self.free = list(range(len(plan.slots)))  # slots still holding the planned SKU

    def fault(self, kind: str, box: Box, sku: str, **extra: Any) -> None:
        self.stock.faults.append({"type": kind, "shelf": self.plan.row.shelf,
                                  "box": _box_list(box), "sku": sku, **extra})

    def take_run(self, n: int) -> list[int] | None:
        """``n`` consecutive free slots (random start), leaving at least one planned facing."""
        if n >= len(self.free):
            return None
        starts = [i for i in range(len(self.free) - n + 1)
                  if self.free[i + n - 1] - self.free[i] == n - 1]
        if not starts:
            return None
        i = starts[int(self.rng.integers(len(starts)))]
        run = self.free[i:i + n]
        self.free = [s for s in self.free if s not in run]
        return run

    def gap(self) -> None:
        n = int(self.rng.integers(1, min(3, len(self.plan.slots) - 1) + 1))
        run = self.take_run(n)
        if run is None:
            return
        top = self.plan.product_box(run[0])[1]
        box = (self.plan.slots[run[0]][0], top, self.plan.slots[run[-1]][1], self.plan.row.board)
        self.stock.things.append(Thing(keys.GAP, box, self.plan.row.shelf))
        self.fault("gap", box, self.plan.sku.id, missing_facings=n)

    def lying(self) -> None:
        if self.plan.sku.package not in ("can", "bottle"):
            return
        w, h = fit_in_slot(self.plan.size, self.plan.row, self.plan.slots[0][1] -
                           self.plan.slots[0][0])
        slot_w = self.plan.slots[0][1] - self.plan.slots[0][0]
        run = self.take_run(max(2, math.ceil(h / slot_w)))
        if run is None:
            return
        x0, x1 = self.plan.slots[run[0]][0], self.plan.slots[run[-1]][1]
        long = min(h, int(x1 - x0))
        cx = (x0 + x1) / 2
        box = (cx - long / 2, self.plan.row.board - w, cx + long / 2, self.plan.row.board)
        look = look_of(self.plan.sku, self.catalog)
        self.stock.things.append(_product(self.plan, box, self.plan.sku, look, lying=True))
        self.fault("lying", box, self.plan.sku.id)

    def placed(self, slot: int, size: Size | None = None) -> Box:
        """A product's box in ``slot``, nudged sideways a little (never out of its slot)."""
        x0, y0, x1, y1 = self.plan.product_box(slot, size)
        room = max(0.0, (self.plan.slots[slot][1] - self.plan.slots[slot][0]) - (x1 - x0)) / 2
        dx = float(self.rng.uniform(-0.8, 0.8)) * room
        return (x0 + dx, y0, x1 + dx, y1)

    def swap(self, kind: str, sku: Sku | None, look: Look, size: Size, **extra: Any) -> None:
        run = self.take_run(1)
        if run is None:
            return
        box = self.placed(run[0], size)
        self.stock.things.append(_product(self.plan, box, sku, look))
        self.fault(kind, box, sku.id if sku else keys.UNKNOWN, **extra)

    def competitor(self) -> None:
        zone = self.plan.zone
        rivals = [s for s in self.catalog.skus_of_category(self.plan.sku.category)
                  if s.brand != self.plan.sku.brand]
        if zone is None or not rivals:
            return
        sku = rivals[int(self.rng.integers(len(rivals)))]
        self.swap("competitor", sku, look_of(sku, self.catalog), physical_size(sku),
                  zone=zone.id, brand=sku.brand, zone_brand=zone.brand)

    def misplaced(self) -> None:
        here = self.plan.row.shelf
        planned: dict[str, int] = {}
        for other in self.layout.plans:
            if other.row.shelf != here and other.sku.brand == self.plan.sku.brand:
                planned.setdefault(other.sku.id, other.row.shelf)
        on_shelf = {p.sku.id for p in self.layout.plans if p.row.shelf == here}
        choices = sorted(s for s in planned if s not in on_shelf)
        if not choices:
            return
        sku = self.catalog.by_id[choices[int(self.rng.integers(len(choices)))]]
        self.swap("misplaced", sku, look_of(sku, self.catalog), physical_size(sku),
                  expected_shelf=planned[sku.id], brand=sku.brand)

    def unknown(self) -> None:
        package = ["can", "bottle", "box", "bag"][int(self.rng.integers(4))]
        self.swap("unknown", None, _generic_look(self.rng, package), self.plan.size)

    def run(self) -> None:
        for kind in ("gap", "lying", "competitor", "misplaced", "unknown"):
            if self.rng.random() < getattr(self.rates, kind):
                getattr(self, kind)()
        look = look_of(self.plan.sku, self.catalog)
        for slot in self.free:
            box = self.placed(slot)
            self.stock.things.append(_product(self.plan, box, self.plan.sku, look))


def _tag_and_promo(plan: BlockPlan, catalog: Catalog, rng: np.random.Generator,
                   rates: FaultRates, stock: Stock, yellow: bool,
                   promo_style: int | None = None) -> None:
    sku, shelf = plan.sku, plan.row.shelf
    currency = catalog.currency
    if rng.random() < rates.missing_tag:
        stock.faults.append({"type": "missing_tag", "shelf": shelf, "box": _box_list(plan.tag_box),
                             "sku": sku.id})
    else:
        price = sku.price
        if rng.random() < rates.wrong_price:
            factor = float(rng.choice([0.8, 0.9, 1.1, 1.2, 1.25, 1.5]))
            price = round(max(0.1, sku.price * factor), 1)
            if abs(price - sku.price) < 0.005:
                price = round(sku.price + 1.0, 2)
            stock.faults.append({"type": "wrong_price", "shelf": shelf,
                                 "box": _box_list(plan.tag_box), "sku": sku.id,
                                 "shown_price": price, "planned_price": sku.price})
        stock.things.append(Thing(keys.PRICE_TAG, plan.tag_box, shelf, {
            keys.TEXT: format_price(price, currency), keys.PRICE: float(price),
            keys.CURRENCY: currency, keys.SKU: sku.id}, style=int(yellow)))
    if plan.block.promo and plan.promo_box is not None:
        if rng.random() < rates.missing_promo:
            stock.faults.append({"type": "missing_promo", "shelf": shelf,
                                 "box": _box_list(plan.promo_box), "sku": sku.id,
                                 "text": plan.block.promo})
        else:
            stock.things.append(Thing(keys.PROMO, plan.promo_box, shelf,
                                      {keys.TEXT: plan.block.promo, keys.SKU: sku.id},
                                      style=int(rng.integers(4)) if promo_style is None
                                      else promo_style))


def stock_shelves(layout: Layout, catalog: Catalog, rng: np.random.Generator,
                  rates: FaultRates, styles: np.random.Generator | None = None) -> Stock:
    """Products, tags and promos for every block of ``layout``, with faults at ``rates``.

    ``styles`` (a fixed camera view's generator) picks the tag colour and each block's promo
    card style, so they stay the same from day to day; by default ``rng`` picks them.
    """
    stock = Stock()
    yellow = (styles or rng).random() < 0.35
    promo_styles = (styles.integers(4, size=len(layout.plans)).tolist() if styles is not None
                    else [None] * len(layout.plans))
    for plan, promo_style in zip(layout.plans, promo_styles, strict=True):
        _BlockStocker(plan, layout, catalog, rng, rates, stock).run()
        _tag_and_promo(plan, catalog, rng, rates, stock, yellow, promo_style)
    return stock
