"""Drawing products, price tags and promo signs as RGBA sprites (PIL + numpy shading).

Products are drawn flat with ``ImageDraw`` and then shaded with a numpy light profile so they
read as 3-D (cylinders for cans and bottles, two faces for cartons and boxes, a pillow for bags).
Sprites are cached per look and pixel size: a block of six identical cans costs one drawing.
Text always comes from the bundled font so renders are identical on every machine.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

FONT_PATH = Path(__file__).resolve().parent.parent / "fonts" / "shelf-sans.ttf"
_SPRITES: OrderedDict[tuple, Image.Image] = OrderedDict()
_SPRITE_CACHE_SIZE = 600


@dataclass(frozen=True)
class Look:
    """How one product looks: package shape, colours (``#rrggbb``) and the words on it."""

    package: str
    body: str
    label: str
    text: str
    cap: str
    brand: str
    variant: str = ""
    glass: bool = False  # a clear bottle: the body colour shows through, with highlights


@lru_cache(maxsize=256)
def font(size: int) -> ImageFont.FreeTypeFont:
    """The bundled font at ``size`` pixels."""
    return ImageFont.truetype(str(FONT_PATH), max(6, int(size)))


def rgb(colour: str) -> tuple[int, int, int]:
    colour = colour.lstrip("#")
    return int(colour[0:2], 16), int(colour[2:4], 16), int(colour[4:6], 16)


def shade(colour: tuple[int, int, int], factor: float) -> tuple[int, int, int]:
    return tuple(int(max(0, min(255, c * factor))) for c in colour)  # type: ignore[return-value]


def fit_font(text: str, max_w: float, max_h: float) -> ImageFont.FreeTypeFont:
    """The largest bundled font size at which ``text`` fits in ``max_w`` x ``max_h`` pixels."""
    size = max(6, int(max_h))
    f = font(size)
    w = f.getlength(text)
    if w > max_w > 0:
        size = max(6, int(size * max_w / w))
        f = font(size)
    return f


def text_centered(draw: ImageDraw.ImageDraw, box: tuple[float, float, float, float], text: str,
                  fill: tuple[int, ...], f: ImageFont.FreeTypeFont) -> None:
    x0, y0, x1, y1 = box
    draw.text(((x0 + x1) / 2, (y0 + y1) / 2), text, fill=fill, font=f, anchor="mm")


def _cylinder_profile(w: int, light: float = -0.35) -> tuple[np.ndarray, np.ndarray]:
    """Per-column diffuse factor and specular highlight of a vertical cylinder."""
    x = np.linspace(-1.0, 1.0, max(w, 2), dtype=np.float32)[:w]
    diffuse = 0.55 + 0.55 * np.sqrt(np.clip(1.0 - x * x, 0.0, 1.0)) * (1.0 - 0.25 * x)
    spec = np.exp(-(((x - light) / 0.12) ** 2)) * 0.42
    spec += np.exp(-(((x - 0.62) / 0.06) ** 2)) * 0.18
    return diffuse, spec


def _apply_shading(img: Image.Image, diffuse: np.ndarray, spec: np.ndarray) -> Image.Image:
    """Multiply RGB by ``diffuse`` and add ``spec`` (both broadcast over the sprite)."""
    arr = np.asarray(img, dtype=np.float32)
    rgb_ = arr[..., :3] * diffuse[..., None] + 255.0 * spec[..., None]
    arr[..., :3] = np.clip(rgb_, 0, 255)
    return Image.fromarray(arr.astype(np.uint8), "RGBA")


def _label_text(img: Image.Image, box: tuple[int, int, int, int], look: Look,
                vertical: bool = False) -> None:
    """Brand (and variant) text fitted into ``box`` of the sprite, optionally rotated."""
    x0, y0, x1, y1 = box
    bw, bh = max(1, x1 - x0), max(1, y1 - y0)
    if vertical:
        bw, bh = bh, bw
    layer = Image.new("RGBA", (bw, bh), (0, 0, 0, 0))
    d = ImageDraw.Draw(layer)
    lines = [look.brand] + ([look.variant] if look.variant and bh > 18 else [])
    main_h = bh * (0.62 if len(lines) > 1 else 0.8)
    f = fit_font(look.brand, bw * 0.92, main_h)
    colour = (*rgb(look.text), 255)
    if len(lines) == 1:
        text_centered(d, (0, 0, bw, bh), look.brand, colour, f)
    else:
        text_centered(d, (0, 0, bw, bh * 0.64), look.brand, colour, f)
        f2 = fit_font(look.variant, bw * 0.9, bh * 0.3)
        text_centered(d, (0, bh * 0.62, bw, bh), look.variant, colour, f2)
    if vertical:
        layer = layer.transpose(Image.Transpose.ROTATE_90)
    img.alpha_composite(layer, (x0, y0))


def _draw_can(w: int, h: int, look: Look) -> Image.Image:
    img = Image.new("RGBA", (w, h), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    rim = max(2, int(h * 0.07))
    body, label = rgb(look.body), rgb(look.label)
    d.rectangle((0, rim // 2, w - 1, h - rim // 2), fill=(*body, 255))
    band = (0, int(h * 0.22), w, int(h * 0.80))
    d.rectangle((band[0], band[1], band[2] - 1, band[3]), fill=(*label, 255))
    d.rectangle((0, h - rim, w - 1, h - 1), fill=(170, 170, 175, 255))
    d.ellipse((0, h - rim * 2, w - 1, h - 1), fill=(150, 150, 155, 255))
    d.rectangle((0, 0, w - 1, rim), fill=(200, 200, 205, 255))
    inset = max(1, w // 14)
    band_lbl = (inset, band[1] + 1, w - inset, band[3] - 1)
    _label_text(img, band_lbl, look, vertical=h > 1.4 * w and w < 60)
    diffuse, spec = _cylinder_profile(w)
    img = _apply_shading(img, np.broadcast_to(diffuse, (h, w)), np.broadcast_to(spec, (h, w)))
    d = ImageDraw.Draw(img)
    d.ellipse((0, 0, w - 1, rim * 2), fill=(215, 215, 220, 255), outline=(120, 120, 125, 255))
    d.ellipse((w * 0.3, rim * 0.4, w * 0.7, rim * 1.4), fill=(165, 165, 170, 255))
    return img


def _bottle_outline(w: int, h: int) -> tuple[list[tuple[float, float]], int, int]:
    """Silhouette polygon of a bottle with a neck and shoulders; also cap height and neck width."""
    cap_h = max(3, int(h * 0.07))
    neck_w = max(3, int(w * 0.38))
    neck_y = cap_h + int(h * 0.08)
    shoulder_y = neck_y + int(h * 0.15)
    nx0, nx1 = (w - neck_w) / 2, (w + neck_w) / 2
    pts = [(nx0, cap_h), (nx1, cap_h), (nx1, neck_y)]
    for t in np.linspace(0, 1, 7)[1:]:
        s = np.sin(t * np.pi / 2)
        pts.append((nx1 + (w - 1 - nx1) * s, neck_y + (shoulder_y - neck_y) * t))
    pts += [(w - 1, h - 3), (w - 3, h - 1), (2, h - 1), (0, h - 3)]
    for t in np.linspace(1, 0, 7)[:-1]:
        s = np.sin(t * np.pi / 2)
        pts.append((nx0 - nx0 * s, neck_y + (shoulder_y - neck_y) * t))
    pts.append((nx0, neck_y))
    return pts, cap_h, neck_w


def _draw_bottle(w: int, h: int, look: Look) -> Image.Image:
    img = Image.new("RGBA", (w, h), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    pts, cap_h, neck_w = _bottle_outline(w, h)
    alpha = 215 if look.glass else 255
    d.polygon(pts, fill=(*rgb(look.body), alpha))
    top = int(h * 0.42)
    band = (0, top, w, int(h * 0.74))
    d.rectangle((0, band[1], w - 1, band[3]), fill=(*rgb(look.label), 255))
    for y in (int(h * 0.84), int(h * 0.90)):  # ribs near the base
        d.line((1, y, w - 2, y), fill=(*shade(rgb(look.body), 0.8), alpha), width=1)
    cx = w / 2
    d.rectangle((cx - neck_w * 0.55, 0, cx + neck_w * 0.55, cap_h), fill=(*rgb(look.cap), 255))
    d.line((cx - neck_w * 0.6, cap_h, cx + neck_w * 0.6, cap_h), fill=(*shade(rgb(look.cap), 0.6),
                                                                       255), width=1)
    _label_text(img, (max(1, w // 12), band[1] + 1, w - max(1, w // 12), band[3] - 1), look,
                vertical=w < 40 and h > 3 * w)
    diffuse, spec = _cylinder_profile(w)
    if look.glass:
        spec = spec * 1.4
    return _apply_shading(img, np.broadcast_to(diffuse, (h, w)), np.broadcast_to(spec, (h, w)))


def _draw_carton(w: int, h: int, look: Look) -> Image.Image:
    """A gable-top carton: front face, a darker side face and the roof with its fin."""
    img = Image.new("RGBA", (w, h), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    body, label = rgb(look.body), rgb(look.label)
    side = int(w * 0.3)
    fin = max(2, int(h * 0.045))
    roof = fin + int(h * 0.16)
    front = (0, roof, w - side, h - 1)
    d.polygon([(0, roof), (w - side, roof), ((w - side) / 2 + side * 0.4, fin),
               ((w - side) / 2 - side * 0.1, fin)], fill=(*shade(body, 1.05), 255))
    d.rectangle(((w - side) * 0.12, 0, (w - side) * 0.88, fin), fill=(*shade(body, 0.92), 255))
    d.rectangle(front, fill=(*body, 255))
    d.polygon([(w - side, roof), (w - 1, roof - side * 0.35), (w - 1, h - 1 - side * 0.2),
               (w - side, h - 1)], fill=(*shade(body, 0.7), 255))
    d.polygon([(w - side, roof), ((w - side) / 2 + side * 0.4, fin), (w - 1, roof - side * 0.35)],
              fill=(*shade(body, 0.8), 255))
    band = (1, roof + int((h - roof) * 0.18), w - side - 1, roof + int((h - roof) * 0.62))
    d.rectangle(band, fill=(*label, 255))
    d.rectangle((w - side, band[1] - side * 0.1, w - 1, band[3] - side * 0.25),
                fill=(*shade(label, 0.7), 255))
    _label_text(img, band, look)
    y = np.linspace(0.0, 1.0, h, dtype=np.float32)[:, None]
    x = np.linspace(0.0, 1.0, w, dtype=np.float32)[None, :]
    diffuse = 0.9 + 0.12 * (1 - y) - 0.08 * x
    return _apply_shading(img, diffuse, np.zeros((h, w), np.float32))


def _draw_box(w: int, h: int, look: Look) -> Image.Image:
    """A carton box seen slightly from above: front, top and right faces."""
    img = Image.new("RGBA", (w, h), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    body, label = rgb(look.body), rgb(look.label)
    depth = max(2, int(min(w, h) * 0.12))
    fx1, fy0 = w - 1 - depth, depth
    d.polygon([(0, fy0), (depth, 0), (w - 1, 0), (fx1, fy0)], fill=(*shade(body, 1.18), 255))
    d.polygon([(fx1, fy0), (w - 1, 0), (w - 1, h - 1 - depth), (fx1, h - 1)],
              fill=(*shade(body, 0.68), 255))
    d.rectangle((0, fy0, fx1, h - 1), fill=(*body, 255))
    fh = h - fy0
    band = (max(1, w // 14), fy0 + int(fh * 0.2), fx1 - max(1, w // 14), fy0 + int(fh * 0.68))
    d.rounded_rectangle(band, radius=max(1, (band[3] - band[1]) // 5), fill=(*label, 255))
    d.rectangle((0, h - max(2, fh // 9), fx1, h - 1), fill=(*rgb(look.cap), 255))
    _label_text(img, band, look, vertical=h > 2.2 * w)
    y = np.linspace(0.0, 1.0, h, dtype=np.float32)[:, None]
    x = np.linspace(-1.0, 1.0, w, dtype=np.float32)[None, :]
    diffuse = 1.02 - 0.1 * y - 0.04 * x
    return _apply_shading(img, diffuse, np.zeros((h, w), np.float32))


def _draw_bag(w: int, h: int, look: Look) -> Image.Image:
    """A pillow bag: bulging sides, crimped top and bottom seals, a big brand window."""
    img = Image.new("RGBA", (w, h), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    body, label = rgb(look.body), rgb(look.label)
    seal = max(3, int(h * 0.07))
    d.rounded_rectangle((0, seal - 1, w - 1, h - seal), radius=max(2, w // 6), fill=(*body, 255))
    teeth = max(4, w // 5)
    for y0, y1 in ((0, seal), (h - seal - 1, h - 1)):
        d.rectangle((w * 0.04, y0, w * 0.96, y1), fill=(*shade(body, 0.85), 255))
        xs = np.linspace(w * 0.04, w * 0.96, teeth + 1)
        edge = y0 if y0 == 0 else y1
        for a, b in zip(xs[:-1], xs[1:], strict=True):
            d.polygon([(a, edge), ((a + b) / 2, edge + (2 if y0 == 0 else -2)), (b, edge)],
                      fill=(0, 0, 0, 0))
    win = (int(w * 0.12), int(h * 0.3), int(w * 0.88), int(h * 0.66))
    d.ellipse(win, fill=(*label, 255))
    _label_text(img, (win[0] + 2, win[1] + 2, win[2] - 2, win[3] - 2), look)
    d.ellipse((w * 0.3, h * 0.72, w * 0.7, h * 0.86), fill=(*shade(body, 1.25), 255))
    x = np.linspace(-1.0, 1.0, w, dtype=np.float32)[None, :]
    y = np.linspace(-1.0, 1.0, h, dtype=np.float32)[:, None]
    bulge = np.sqrt(np.clip(1 - x * x, 0, 1)) * np.sqrt(np.clip(1 - (y * 0.85) ** 2, 0, 1))
    diffuse = 0.62 + 0.5 * bulge
    spec = 0.35 * np.exp(-(((x + 0.35) / 0.2) ** 2) - ((y + 0.3) / 0.5) ** 2)
    return _apply_shading(img, diffuse, spec.astype(np.float32))


_DRAWERS = {"can": _draw_can, "bottle": _draw_bottle, "carton": _draw_carton,
            "box": _draw_box, "bag": _draw_bag}


def product_sprite(look: Look, w: int, h: int, lying: bool = False) -> Image.Image:
    """The product drawn upright at ``w`` x ``h`` px (rotated 90 degrees when ``lying``).

    ``w`` and ``h`` are the upright size; a lying sprite is ``h`` wide and ``w`` tall.
    """
    key = (look, int(w), int(h), lying)
    sprite = _SPRITES.get(key)
    if sprite is None:
        sprite = _DRAWERS[look.package](max(4, int(w)), max(6, int(h)), look)
        if lying:
            sprite = sprite.transpose(Image.Transpose.ROTATE_270)
        _SPRITES[key] = sprite
        if len(_SPRITES) > _SPRITE_CACHE_SIZE:
            _SPRITES.popitem(last=False)
    else:
        _SPRITES.move_to_end(key)
    return sprite


def price_tag(w: int, h: int, price_text: str, name: str, yellow: bool) -> Image.Image:
    """A shelf-edge price tag: store stripe, the SKU name in small text, the price in big digits."""
    paper = (255, 226, 60) if yellow else (250, 250, 246)
    img = Image.new("RGB", (max(8, w), max(6, h)), paper)
    d = ImageDraw.Draw(img)
    stripe = max(1, int(h * 0.1))
    d.rectangle((0, 0, w, stripe), fill=(200, 30, 40) if not yellow else (30, 60, 160))
    name_h = max(3, int(h * 0.17))
    f_name = fit_font(name, w * 0.92, name_h)
    d.text((w * 0.05, stripe + 1), name, fill=(70, 70, 70), font=f_name)
    price_box = (w * 0.03, stripe + name_h + 1, w * 0.97, h - max(1, h * 0.03))
    f_price = fit_font(price_text, (price_box[2] - price_box[0]) * 0.94,
                       (price_box[3] - price_box[1]) * 1.12)
    d.text(((price_box[0] + price_box[2]) / 2, (price_box[1] + price_box[3]) / 2), price_text,
           fill=(10, 10, 10), font=f_price, anchor="mm",
           stroke_width=max(0, f_price.size // 16), stroke_fill=(10, 10, 10))
    d.rectangle((0, 0, w - 1, h - 1), outline=(150, 150, 140))
    return img


PROMO_STYLES: tuple[tuple[tuple[int, int, int], tuple[int, int, int]], ...] = (
    ((220, 20, 30), (255, 235, 60)),
    ((255, 220, 0), (200, 0, 20)),
    ((255, 120, 0), (255, 255, 255)),
    ((20, 110, 200), (255, 255, 255)),
)


def promo_sign(w: int, h: int, text: str, style: int) -> Image.Image:
    """A promo card (shelf talker) with bold text; RGBA with a slight drop shadow."""
    bg, fg = PROMO_STYLES[style % len(PROMO_STYLES)]
    img = Image.new("RGBA", (max(8, w), max(6, h)), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    r = max(2, h // 6)
    d.rounded_rectangle((1, 1, w - 1, h - 1), radius=r, fill=(0, 0, 0, 70))
    d.rounded_rectangle((0, 0, w - 2, h - 2), radius=r, fill=(*bg, 255),
                        outline=(*fg, 255), width=max(1, h // 14))
    f = fit_font(text, w * 0.86, h * 0.62)
    text_centered(d, (0, 0, w - 2, h - 2), text, (*fg, 255), f)
    return img
