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
from functools import cached_property
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from pipeline.errors import PhotoError
from pipeline.i18n import _

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


class EncodedPhoto(Photo):
    """A :class:`Photo` of bytes ShelfAudit has just encoded itself (an upload's clean copy):
    its size and hash are known at once, its pixels are decoded from the bytes on first use.

    A photo queued for a later run is decoded there from the stored file, so decoding it here
    too would only cost time (~10 ms for 1920 px); one inspected at once is decoded from the
    clean copy as before — what is inspected is always what is kept.
    """

    def __init__(self, data: bytes, source: str, format: str, size: tuple[int, int]) -> None:
        for name, value in (("sha256", content_hash(data)), ("source", source),
                            ("format", format), ("_data", data), ("_size", size)):
            object.__setattr__(self, name, value)

    @cached_property
    def image(self) -> Image.Image:  # type: ignore[override]
        image = decode_photo(self._data, self.source).image
        if image.size != self._size:  # pragma: no cover - our own encoder's output
            raise PhotoError(_("{name}: the clean copy decodes to another size").format(
                name=self.source))
        return image

    @property
    def width(self) -> int:
        return self._size[0]

    @property
    def height(self) -> int:
        return self._size[1]

    def __repr__(self) -> str:
        return f"EncodedPhoto({self.source!r}, {self.width}x{self.height}, {self.sha256[:12]})"


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def decode_photo(data: bytes, source: str = "<upload>", max_pixels: int = MAX_PIXELS) -> Photo:
    """Decode photo bytes safely.

    Raises:
        PhotoError: empty, too large, not an allowed image format, truncated/corrupt, too many
            pixels, or multi-frame (animated) images.
    """
    if not data:
        raise PhotoError(_("{name}: the file is empty (0 bytes)").format(name=source))
    if len(data) > MAX_BYTES:
        raise PhotoError(_("{name}: the file is larger than {limit} MB").format(
            name=source, limit=MAX_BYTES // (1024 * 1024)))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            probe = Image.open(io.BytesIO(data))
            fmt = probe.format or "?"
            if fmt not in ALLOWED_FORMATS:
                raise PhotoError(_("{name}: {format} images are not accepted (use JPEG, "
                                   "PNG or WebP)").format(name=source, format=fmt))
            w, h = probe.size
            if w * h > max_pixels:
                raise PhotoError(_("{name}: image is {width}x{height} = {mp} MP, over the "
                                   "{limit} MP limit").format(
                    name=source, width=w, height=h, mp=round(w * h / 1e6),
                    limit=round(max_pixels / 1e6)))
            if getattr(probe, "n_frames", 1) > 1 and fmt != "MPO":
                raise PhotoError(_("{name}: animated/multi-frame images are not accepted"
                                   ).format(name=source))
            probe.load()
    except PhotoError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise PhotoError(_("{name}: image has too many pixels (decompression bomb guard)"
                           ).format(name=source)) from None
    except UnidentifiedImageError:
        raise PhotoError(_("{name}: not an image (content is not JPEG, PNG or WebP)").format(
            name=source)) from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise PhotoError(_("{name}: image is damaged or truncated ({reason})").format(
            name=source, reason=exc)) from None
    return Photo(_upright_rgb(probe, source), content_hash(data), source, ALLOWED_FORMATS[fmt])


def _upright_rgb(image: Image.Image, source: str) -> Image.Image:
    try:  # in place: the decoded image is ours, and a copy of 2 MP for nothing costs ~1 ms
        ImageOps.exif_transpose(image, in_place=True)
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
        raise PhotoError(_("{name}: cannot read file ({reason})").format(
            name=path, reason=exc.strerror)) from None
    return decode_photo(data, str(path), max_pixels)
