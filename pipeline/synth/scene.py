"""Composing one shelf photo: back panel, uprights, shelf boards and price rails, the stocked
products, tags and promo signs, then the camera. Also the ground truth of what was drawn.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from PIL import Image, ImageDraw

from pipeline import keys
from pipeline.catalog import Catalog
from pipeline.detections import PhotoDetections, make_detections
from pipeline.planogram import Planogram
from pipeline.synth import draw
from pipeline.synth.camera import random_camera, shoot
from pipeline.synth.faults import FaultRates, Stock, Thing, stock_shelves
from pipeline.synth.layout import Layout, Row, plan_layout
from pipeline.synth.planograms import make_planogram

MIN_WIDTH, MAX_WIDTH = 320, 8000
HEADER_WORDS = {
    "soft-drinks": "碳酸饮料  SOFT DRINKS", "bottled-water": "饮用水  WATER",
    "snacks": "休闲零食  SNACKS", "dairy": "乳制品  DAIRY",
}


@dataclass
class Scene:
    """One synthetic shelf photo with its ground truth."""

    image: Image.Image
    truth: PhotoDetections
    planogram: Planogram
    faults: list[dict[str, Any]] = field(default_factory=list)
    seed: int = 0
    jpeg_quality: int = 90


def _backdrop(layout: Layout, rng: np.random.Generator) -> Image.Image:
    """Back panel (pegboard) with a shadow under every shelf."""
    w, h = layout.width, layout.height
    base = np.array(rng.uniform(178, 222, 3), dtype=np.float32)
    base = base.mean() + (base - base.mean()) * 0.25
    shade = np.ones(h, dtype=np.float32)
    for row in layout.rows:
        top, bottom = int(row.top), int(row.board)
        if bottom > top:
            t = np.linspace(0.0, 1.0, bottom - top, dtype=np.float32)
            shade[top:bottom] = 0.62 + 0.38 * np.minimum(1.0, t * 3.0)
    column = (shade[:, None] * base[None, :]).astype(np.uint8)  # H x 3
    arr = np.repeat(column[:, None, :], w, axis=1)
    pitch = max(4, int(round(2.5 * layout.rows[-1].ppcm)))
    dot = max(1, pitch // 6)
    rows = np.flatnonzero((np.arange(h) % pitch) < dot)
    cols = np.flatnonzero((np.arange(w) % pitch) < dot)
    holes = np.ix_(rows, cols)
    arr[holes] = (arr[holes] * 0.55).astype(np.uint8)
    return Image.fromarray(arr, "RGB")


def _uprights(img: Image.Image, layout: Layout) -> None:
    """Side uprights of the bay (slanted by the keystone), outer area, header and kick plate."""
    d = ImageDraw.Draw(img)
    top, bottom = layout.rows[0], layout.rows[-1]
    w, h = layout.width, layout.height
    post = max(3.0, 3.0 * bottom.ppcm)
    left = [(top.left - post, 0), (bottom.left - post, h)]
    right = [(top.right + post, 0), (bottom.right + post, h)]
    d.polygon([(0, 0), left[0], left[1], (0, h)], fill=(72, 74, 78))
    d.polygon([(w, 0), right[0], right[1], (w, h)], fill=(72, 74, 78))
    for (x_top, _), (x_bot, _), sign in ((left[0], left[1], 1), (right[0], right[1], -1)):
        d.polygon([(x_top, 0), (x_top + sign * post, 0), (x_bot + sign * post, h), (x_bot, h)],
                  fill=(150, 152, 156))
        d.line([(x_top + sign * post * 0.5, 0), (x_bot + sign * post * 0.5, h)],
               fill=(95, 97, 100), width=max(1, int(post * 0.2)))
    header_h = top.top * 0.82
    d.rectangle((left[0][0], 0, right[0][0], header_h), fill=(38, 92, 160))
    words = " / ".join(HEADER_WORDS.get(c, c) for c in layout.categories)
    f = draw.fit_font(words, (right[0][0] - left[0][0]) * 0.6, header_h * 0.55)
    d.text(((left[0][0] + right[0][0]) / 2, header_h / 2), words, fill=(250, 250, 250), font=f,
           anchor="mm")
    d.rectangle((left[1][0], bottom.lip_bottom, right[1][0], h), fill=(60, 62, 66))


def _shelf_board(d: ImageDraw.ImageDraw, row: Row, rail: tuple[int, int, int]) -> None:
    """The board surface behind the products' feet (drawn before products)."""
    depth = max(2.0, 1.6 * row.ppcm)
    d.rectangle((row.left - 3 * row.ppcm, row.board - depth, row.right + 3 * row.ppcm, row.board),
                fill=tuple(int(c * 0.88) for c in rail))


def _price_rail(d: ImageDraw.ImageDraw, row: Row, rail: tuple[int, int, int]) -> None:
    """The shelf lip with its tag channel (drawn after products)."""
    x0, x1 = row.left - 3 * row.ppcm, row.right + 3 * row.ppcm
    d.rectangle((x0, row.board, x1, row.lip_bottom), fill=rail)
    lip = row.lip_bottom - row.board
    d.rectangle((x0, row.board + lip * 0.08, x1, row.lip_bottom - lip * 0.06),
                fill=tuple(int(c * 0.9) for c in rail))
    d.line((x0, row.board, x1, row.board), fill=(245, 245, 245), width=max(1, int(lip * 0.06)))
    d.line((x0, row.lip_bottom, x1, row.lip_bottom), fill=(40, 40, 40),
           width=max(1, int(lip * 0.07)))


def _paste(img: Image.Image, sprite: Image.Image, box: tuple[float, ...]) -> None:
    x, y = int(round(box[0])), int(round(box[3])) - sprite.size[1]
    img.paste(sprite, (x, y), sprite)


def _draw_thing(img: Image.Image, thing: Thing) -> None:
    x0, y0, x1, y1 = thing.box
    w, h = int(round(x1 - x0)), int(round(y1 - y0))
    if thing.kind == keys.PRODUCT and thing.look is not None:
        if thing.lying:
            _paste(img, draw.product_sprite(thing.look, h, w, lying=True), thing.box)
        else:
            _paste(img, draw.product_sprite(thing.look, w, h), thing.box)
    elif thing.kind == keys.PRICE_TAG:
        name = str(thing.values.get(keys.SKU, ""))
        tag = draw.price_tag(w, h, thing.values[keys.TEXT], name, yellow=bool(thing.style))
        img.paste(tag, (int(round(x0)), int(round(y0))))
    elif thing.kind == keys.PROMO:
        sign = draw.promo_sign(w, h, thing.values[keys.TEXT], thing.style)
        img.paste(sign, (int(round(x0)), int(round(y0))), sign)


def _shadows(img: Image.Image, stock: Stock) -> None:
    """Soft shadows: each product on the back panel (light from the upper left), feet on the
    board, and promo signs on the panel with their hanger."""
    mask = Image.new("L", img.size, 0)
    d = ImageDraw.Draw(mask)
    hangers = ImageDraw.Draw(img)
    for thing in stock.things:
        x0, y0, x1, y1 = thing.box
        if thing.kind == keys.PRODUCT:
            off = max(1.0, (x1 - x0) * 0.12)
            d.rounded_rectangle((x0 + off, y0 + off * 0.6, x1 + off, y1 - 1),
                                radius=max(1, int(off)), fill=46)
            d.ellipse((x0 - off * 0.3, y1 - off * 0.6, x1 + off * 0.5, y1 + off * 0.25), fill=80)
        elif thing.kind == keys.PROMO:
            off = max(1.0, (y1 - y0) * 0.08)
            d.rectangle((x0 + off, y0 + off, x1 + off, y1 + off), fill=40)
            cx = (x0 + x1) / 2
            hangers.line((cx, y0 - (y1 - y0) * 0.25, cx, y0), fill=(200, 200, 205),
                         width=max(1, int(off)))
    img.paste((0, 0, 0), (0, 0), mask)


def compose(layout: Layout, stock: Stock, rng: np.random.Generator) -> Image.Image:
    """The clean (pre-camera) picture of the stocked shelves."""
    img = _backdrop(layout, rng)
    _uprights(img, layout)
    d = ImageDraw.Draw(img)
    rail = tuple(int(v) for v in rng.choice([[232, 232, 228], [205, 210, 215], [240, 236, 220]]))
    for row in layout.rows:
        _shelf_board(d, row, rail)
    _shadows(img, stock)
    for thing in stock.things:
        if thing.kind == keys.PRODUCT:
            _draw_thing(img, thing)
    d = ImageDraw.Draw(img)
    for row in layout.rows:
        _price_rail(d, row, rail)
    for thing in stock.things:
        if thing.kind in (keys.PRICE_TAG, keys.PROMO):
            _draw_thing(img, thing)
    return img


def _clip(box: tuple[float, ...], w: int, h: int) -> list[float]:
    x0, y0, x1, y1 = box
    return [min(max(x0, 0.0), w - 1.0), min(max(y0, 0.0), h - 1.0),
            min(max(x1, 1.0), float(w)), min(max(y1, 1.0), float(h))]


def truth_of(stock: Stock, w: int, h: int, path: str = "") -> PhotoDetections:
    """Ground truth of a stocked layout as ``PhotoDetections`` (one box per drawn object)."""
    order = {keys.PRODUCT: 0, keys.PRICE_TAG: 1, keys.PROMO: 2, keys.GAP: 3}
    things = sorted(stock.things, key=lambda t: (order[t.kind], t.shelf, t.box[0], t.box[1]))
    names = [keys.SKU, keys.BRAND, keys.CATEGORY, keys.ORIENTATION, keys.TEXT, keys.PRICE,
             keys.CURRENCY]
    per_field = {n: [t.values.get(n) for t in things] for n in names}
    per_field = {n: v for n, v in per_field.items() if any(x is not None for x in v)}
    det = make_detections([_clip(t.box, w, h) for t in things], kind=[t.kind for t in things],
                          shelf=[t.shelf for t in things], **per_field)
    return PhotoDetections(path=path, width=w, height=h, detections=det)


def render_scene(catalog: Catalog, seed: int, width: int | None = None,
                 planogram: Planogram | None = None,
                 fault_rates: FaultRates | None = None,
                 view_seed: int | None = None) -> Scene:
    """Render one synthetic shelf photo (deterministic in ``seed``).

    Args:
        catalog: the product catalog.
        seed: scene seed; the same seed and arguments give the same pixels and truth.
        width: photo width in pixels (default: random 640-4000).
        planogram: the planned shelf (default: a random one from the seed).
        fault_rates: fault chances (default :class:`FaultRates()`; ``scaled(0)`` = perfect).
        view_seed: a fixed shelf camera: the back panel, rail, tag and promo card styles and
            the camera's look come from this seed instead of ``seed``, so the same view on
            another day differs only in what is on the shelf and in sensor noise (default:
            everything from ``seed``).
    """
    rng = np.random.default_rng(int(seed))
    if width is None:
        width = int(rng.integers(640, 4001))
    if not MIN_WIDTH <= int(width) <= MAX_WIDTH:
        raise ValueError(f"width must be {MIN_WIDTH}-{MAX_WIDTH} px, got {width}")
    if planogram is None:
        planogram = make_planogram(catalog, rng)
    layout = plan_layout(catalog, planogram, int(width))
    view = None if view_seed is None else np.random.default_rng([int(view_seed), 7])
    stock = stock_shelves(layout, catalog, rng, fault_rates or FaultRates(), styles=view)
    clean = compose(layout, stock, view or rng)
    cam = random_camera(view or rng)
    image = shoot(clean, cam, rng)
    truth = truth_of(stock, layout.width, layout.height)
    return Scene(image=image, truth=truth, planogram=planogram, faults=stock.faults,
                 seed=int(seed), jpeg_quality=cam.jpeg_quality)
