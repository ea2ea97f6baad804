"""Safe photo loading: content-sniffed format, pixel limit, EXIF orientation, RGB, content hash.

The first stage of the data flow. Every photo that enters ShelfAudit (camera inbox, upload,
CLI) goes through :func:`load_photo`; anything that is not a usable image raises
:class:`~pipeline.errors.PhotoError` with a plain reason, never a PIL traceback.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from pipeline.errors import PhotoError

ALLOWED_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "BMP": "bmp", "TIFF": "tif", "MPO": "jpg"}
MAX_PIXELS = 50_000_000  # 50 MP: any real shelf camera; refuses decompression bombs
MAX_BYTES = 40 * 1024 * 1024


@dataclass(frozen=True)
class Photo:
    """A decoded, upright RGB photo and where it came from."""

    image: Image.Image  # RGB, EXIF orientation applied
    sha256: str  # hash of the original file bytes
    source: str
    format: str

    @property
    def width(self) -> int:
        return self.image.width

    @property
    def height(self) -> int:
        return self.image.height

    def array(self) -> np.ndarray:
        """HxWx3 uint8 RGB array."""
        return np.asarray(self.image)


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def decode_photo(data: bytes, source: str = "<upload>", max_pixels: int = MAX_PIXELS) -> Photo:
    """Decode photo bytes safely.

    Raises:
        PhotoError: empty, too large, not an allowed image format, truncated/corrupt, too many
            pixels, or multi-frame (animated) images.
    """
    if not data:
        raise PhotoError(f"{source}: the file is empty (0 bytes)")
    if len(data) > MAX_BYTES:
        raise PhotoError(f"{source}: the file is larger than {MAX_BYTES // (1024 * 1024)} MB")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            probe = Image.open(io.BytesIO(data))
            fmt = probe.format or "?"
            if fmt not in ALLOWED_FORMATS:
                raise PhotoError(f"{source}: {fmt} images are not accepted "
                                 f"(use JPEG, PNG or WebP)")
            w, h = probe.size
            if w * h > max_pixels:
                raise PhotoError(f"{source}: image is {w}x{h} = {w * h / 1e6:.0f} MP, "
                                 f"over the {max_pixels / 1e6:.0f} MP limit")
            if getattr(probe, "n_frames", 1) > 1 and fmt != "MPO":
                raise PhotoError(f"{source}: animated/multi-frame images are not accepted")
            probe.load()
    except PhotoError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise PhotoError(f"{source}: image has too many pixels (decompression bomb guard)") from None
    except UnidentifiedImageError:
        raise PhotoError(f"{source}: not an image (content is not JPEG, PNG or WebP)") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise PhotoError(f"{source}: image is damaged or truncated ({exc})") from None
    return Photo(_upright_rgb(probe, source), content_hash(data), source, ALLOWED_FORMATS[fmt])


def _upright_rgb(image: Image.Image, source: str) -> Image.Image:
    try:
        image = ImageOps.exif_transpose(image)
    except Exception:  # noqa: BLE001 - corrupt EXIF: keep the pixels as stored
        pass
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        arr = np.asarray(image, dtype=np.float32)
        # 16-bit: fixed 0..65535 -> 0..255; 32-bit integers: stretch to the brightest pixel
        scale = 1 / 257 if image.mode.startswith("I;16") else 255.0 / max(float(arr.max()), 1.0)
        image = Image.fromarray((arr * scale).clip(0, 255).astype(np.uint8), "L")
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    if image.mode != "RGB":
        image = image.convert("RGB")
    return image


def load_photo(path: str | Path, max_pixels: int = MAX_PIXELS) -> Photo:
    """Read and decode a photo file (see :func:`decode_photo`)."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise PhotoError(f"{path}: cannot read file ({exc.strerror})") from None
    return decode_photo(data, str(path), max_pixels)
