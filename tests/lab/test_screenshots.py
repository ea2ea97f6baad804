"""The docs' screenshots are written small: full colour when it fits, else a palette."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from pipeline.lab.screenshots import save_png


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def test_a_busy_screen_is_kept_under_the_limit_at_its_size(tmp_path):
    blocks = np.random.default_rng(0).integers(0, 256, (450, 720, 3), dtype=np.uint8)
    screen = _png(Image.fromarray(blocks).resize((1440, 900), Image.Resampling.NEAREST))
    assert len(screen) > 400_000
    saved = save_png(screen, tmp_path / "zh-CN" / "busy.png", max_bytes=400_000)
    with Image.open(saved) as image:
        assert image.size == (1440, 900) and image.mode == "P"
    assert saved.stat().st_size <= 400_000


def test_a_plain_screen_keeps_its_colours(tmp_path):
    plain = Image.new("RGB", (1440, 900), (250, 250, 250))
    plain.paste((220, 40, 40), (100, 100, 400, 300))
    saved = save_png(_png(plain), tmp_path / "plain.png")
    with Image.open(saved) as image:
        assert image.mode == "RGB" and image.getpixel((150, 150)) == (220, 40, 40)
