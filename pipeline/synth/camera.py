"""The camera: uneven light, vignette, colour cast, glare, blur and sensor noise.

Everything is drawn from the scene's random generator, so a seed gives the same photo bytes.
Light fields are computed at low resolution and scaled up (cheap at 4000 px).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageFilter


@dataclass(frozen=True)
class CameraLook:
    """The random settings of one shot."""

    gain: float
    gradient: tuple[float, float]
    vignette: float
    cast: tuple[float, float, float]
    glare: tuple[float, float, float, float] | None  # cx, cy (normalised), radius, strength
    blur: float
    noise: float
    jpeg_quality: int


def random_camera(rng: np.random.Generator) -> CameraLook:
    glare = None
    if rng.random() < 0.25:
        glare = (float(rng.uniform(0.1, 0.9)), float(rng.uniform(0.1, 0.9)),
                 float(rng.uniform(0.05, 0.18)), float(rng.uniform(0.25, 0.6)))
    return CameraLook(
        gain=float(rng.uniform(0.85, 1.1)),
        gradient=(float(rng.uniform(-0.18, 0.18)), float(rng.uniform(-0.15, 0.1))),
        vignette=float(rng.uniform(0.05, 0.35)),
        cast=tuple(float(v) for v in rng.uniform(0.92, 1.08, 3)),  # type: ignore[arg-type]
        glare=glare,
        blur=float(rng.choice([0.0, 0.0, 0.35, 0.6, 0.8])),
        noise=float(rng.uniform(1.0, 6.0)),
        jpeg_quality=int(rng.integers(60, 96)),
    )


def _light_field(cam: CameraLook, w: int, h: int) -> np.ndarray:
    """Brightness multiplier per pixel (H x W), built at 1/8 size and scaled up."""
    sw, sh = max(2, w // 8), max(2, h // 8)
    x = np.linspace(-1.0, 1.0, sw, dtype=np.float32)[None, :]
    y = np.linspace(-1.0, 1.0, sh, dtype=np.float32)[:, None]
    field = cam.gain * (1.0 + cam.gradient[0] * x + cam.gradient[1] * y)
    field = field * (1.0 - cam.vignette * (x * x + y * y) / 2.0)
    if cam.glare is not None:
        gx, gy, r, s = cam.glare
        d2 = ((x + 1) / 2 - gx) ** 2 * (w / h) ** 2 + ((y + 1) / 2 - gy) ** 2
        field = field + s * np.exp(-d2 / (2 * r * r))
    small = Image.fromarray(np.clip(field * 100.0, 0, 255).astype(np.uint8), "L")
    return np.asarray(small.resize((w, h), Image.Resampling.BILINEAR), dtype=np.float32) / 100.0


def _blur(image: Image.Image, radius: float) -> Image.Image:
    """Gaussian-like blur; radii up to ~1 px use a cheap 3x3 kernel."""
    if radius <= 0:
        return image
    if radius > 1.05:
        return image.filter(ImageFilter.GaussianBlur(radius))
    side = float(np.exp(-1.0 / (2.0 * radius * radius)))
    k = np.outer([side, 1.0, side], [side, 1.0, side])
    return image.filter(ImageFilter.Kernel((3, 3), [float(v) for v in k.ravel()],
                                           scale=float(k.sum())))


def _noise(rng: np.random.Generator, h: int, w: int, sigma: float) -> np.ndarray:
    """Sensor noise (H x W): a random 256-px tile repeated with a random offset (fast)."""
    tile = rng.standard_normal((256, 256), dtype=np.float32) * sigma
    oy, ox = (int(v) for v in rng.integers(0, 256, 2))
    reps = (-(-(h + oy) // 256), -(-(w + ox) // 256))
    return np.tile(tile, reps)[oy:oy + h, ox:ox + w]


def shoot(image: Image.Image, cam: CameraLook, rng: np.random.Generator) -> Image.Image:
    """The photo the camera would take of ``image`` (RGB in, RGB out, same size)."""
    w, h = image.size
    image = _blur(image, cam.blur * max(1.0, w / 1600))
    arr = np.asarray(image, dtype=np.float32)
    light = _light_field(cam, w, h)
    arr *= light[..., None] * np.asarray(cam.cast, dtype=np.float32)
    arr += _noise(rng, h, w, cam.noise)[..., None]
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8), "RGB")
