"""Safe intake of uploaded photos, on top of :mod:`pipeline.imaging` — the one place that
checks an upload, its size limit and its file name.

What every upload goes through, in order (each refusal is an :class:`UploadError` with a plain
one-line reason, and nothing is written):

1. size: empty files and files over :data:`MAX_UPLOAD_BYTES` are refused;
2. format by content, not by name: JPEG, PNG and WebP only (a PNG called ``.jpg`` is fine,
   an HTML page, SVG, GIF, TIFF, ZIP ... called ``.jpg`` is not);
3. safe decode (:func:`pipeline.imaging.decode_photo`): pixel limit before any pixel is
   decoded (decompression bombs), truncated or damaged files, animated images refused;
4. normalised: EXIF orientation applied, CMYK / 16-bit / palette converted to 8-bit RGB,
   transparency flattened on white; too-small images (under :data:`MIN_SIDE` px) refused;
5. re-encoded (:func:`clean_copy`): a new file in the same format from the pixels alone — no
   EXIF, GPS, ICC, XMP or text chunks, nothing appended after the image data (a JPEG+ZIP or
   JPEG+HTML polyglot loses its tail). The clean copy is what is inspected and what is kept.

A plain upright colour JPEG (no EXIF orientation to apply, YCbCr, within the pixel limits by its
header) skips steps 3-5's decode and re-encode: its clean copy is written again from its DCT
coefficients by libjpeg-turbo (:mod:`pipeline.jpegtran`, ``jpegtran -copy none``) — the same
guarantees (no marker of the original, nothing after the image, damaged or truncated data
refused) at about half the CPU, and lossless: it decodes to exactly the original's pixels. Any
other file, or one libjpeg-turbo reads with a warning, takes the full path above (and its
refusals).

The Upload page's service (:mod:`pipeline.actions.uploads`) runs this, inspects the clean copy,
saves it with :func:`write_atomic` and writes the audit log; reference photos take the same
path (:func:`pipeline.actions.reference_photos.add_reference`).
"""

from __future__ import annotations

import io
import os
import re
import tempfile
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image

from pipeline import jpegtran
from pipeline.errors import PhotoError
from pipeline.i18n import N_, _, number
from pipeline.imaging import MAX_BYTES, MAX_PIXELS, EncodedPhoto, Photo, content_hash, decode_photo

MAX_MB = 20  # the one upload limit (the Upload page and .streamlit/config.toml say so too)
MAX_UPLOAD_BYTES = MAX_MB * 1024 * 1024
MIN_SIDE = 32
MAX_NAME_CHARS = 100

# Allowed formats by their first bytes (the file name's extension is not trusted).
ALLOWED = {"jpg": "JPEG", "png": "PNG", "webp": "WEBP"}
_OTHER_SIGNATURES = [  # for clear messages about what was sent instead
    (b"GIF87a", N_("a GIF image")), (b"GIF89a", N_("a GIF image")),
    (b"II*\x00", N_("a TIFF image")), (b"MM\x00*", N_("a TIFF image")),
    (b"BM", N_("a BMP image")), (b"%PDF", N_("a PDF document")),
    (b"PK\x03\x04", N_("a ZIP archive")), (b"\x00\x00\x01\x00", N_("an icon file")),
]


class UploadError(PhotoError):
    """An uploaded file was refused; the message says why in plain words."""


@dataclass(frozen=True)
class Clean:
    """An accepted upload: its clean re-encoded copy and what was done to it."""

    name: str  # cleaned file name with the content's own extension
    format: str  # jpg | png | webp
    data: bytes = field(repr=False)  # the clean copy's bytes (what is inspected and kept)
    photo: Photo = field(repr=False, compare=False)  # of ``data``: its pixels decoded from
    # ``data`` on first use (a queued photo is decoded by the run that inspects it)
    notes: tuple[str, ...] = ()  # what decoding changed (turned upright, CMYK -> RGB ...)
    original_sha256: str = ""  # of the bytes as uploaded


def sniff(data: bytes) -> str | None:
    """``jpg``, ``png`` or ``webp`` from the file's first bytes, else ``None``."""
    if data[:3] == b"\xff\xd8\xff":
        return "jpg"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return None


def what_is(data: bytes) -> str:
    """A plain description of a file that is not an allowed image."""
    for signature, name in _OTHER_SIGNATURES:
        if data.startswith(signature):
            return _(name)
    head = data[:512].lstrip().lower()
    if head.startswith(b"<?xml") or b"<svg" in head:
        return _("an SVG/XML document")
    if head.startswith((b"<!doctype", b"<html", b"<script", b"<")):
        return _("an HTML/text document")
    if data[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1", b"ftypavif"):
        return _("a HEIC/AVIF image")
    return _("not a JPEG, PNG or WebP image")


def safe_name(name: str | None, ext: str) -> str:
    """A file name with no folders, no control, bidi or odd characters, at most
    :data:`MAX_NAME_CHARS` characters, ending in ``.ext`` (the sniffed format)."""
    text = unicodedata.normalize("NFKC", str(name or ""))
    text = re.split(r"[\\/]", text)[-1]  # POSIX and Windows folders, ../ included
    text = "".join(c for c in text if unicodedata.category(c)[0] != "C")  # NUL, bidi, ...
    stem = text.rsplit(".", 1)[0] if "." in text else text
    stem = re.sub(r"[^\w\- ]+", "_", stem, flags=re.UNICODE)
    stem = re.sub(r"[\s_]+", "_", stem).strip("._- ")
    stem = stem[: MAX_NAME_CHARS - len(ext) - 1] or "photo"
    return f"{stem}.{ext}"


def _label(name: str | None) -> str:
    """The cleaned name with its own extension, for messages."""
    ext = str(name or "").rsplit(".", 1)[-1] if "." in str(name or "") else ""
    ext = ext if re.fullmatch(r"[A-Za-z0-9]{1,5}", ext) else "file"
    return safe_name(name, ext.lower())


def check_upload(data: bytes, name: str | None = None, max_bytes: int = MAX_UPLOAD_BYTES,
                 max_pixels: int = MAX_PIXELS) -> tuple[Photo, tuple[str, ...]]:
    """Decode an upload safely: ``(upright RGB photo, notes on what was converted)``.

    Raises:
        UploadError: empty, too big, not an allowed format, damaged, animated, too many or
            too few pixels.
    """
    label = _label(name)
    if not data:
        raise UploadError(_("{name}: the file is empty (0 bytes)").format(name=label))
    if len(data) > max_bytes:
        raise UploadError(_("{name}: the file is {size} MB; uploads may be at most {limit} MB"
                            ).format(name=label, size=number(len(data) / 2**20),
                                     limit=max_bytes // 2**20))
    fmt = sniff(data)
    if fmt is None:
        raise UploadError(_("{name}: {what} — upload a JPEG, PNG or WebP photo").format(
            name=label, what=what_is(data)))
    try:
        photo = decode_photo(data, label, max_pixels)
    except PhotoError as exc:
        raise UploadError(str(exc)) from None
    if photo.format != fmt:
        raise UploadError(_("{name}: the content does not match its {format} header").format(
            name=label, format=fmt.upper()))
    if min(photo.width, photo.height) < MIN_SIDE:
        raise UploadError(_("{name}: the image is only {width}x{height} pixels; a shelf photo "
                            "needs at least {side}x{side}").format(
            name=label, width=photo.width, height=photo.height, side=MIN_SIDE))
    return photo, _notes(data)


def _notes(data: bytes) -> tuple[str, ...]:
    """What decoding changed (read from the header only; nothing is decoded twice)."""
    notes = []
    try:
        probe = Image.open(io.BytesIO(data))
        orientation = probe.getexif().get(0x0112, 1)
    except Exception:  # noqa: BLE001 - corrupt EXIF: decode_photo kept the pixels as stored
        return (_("EXIF data unreadable; orientation left as stored"),)
    if orientation in (2, 3, 4, 5, 6, 7, 8):
        notes.append(_("turned upright (EXIF orientation {n})").format(n=orientation))
    mode = probe.mode
    if mode == "CMYK":
        notes.append(_("CMYK colours converted to RGB"))
    elif mode.startswith("I;16") or mode == "I":
        notes.append(_("16-bit image reduced to 8-bit"))
    elif mode in ("RGBA", "LA", "PA") or "transparency" in probe.info:
        notes.append(_("transparent areas flattened on white"))
    elif mode == "P":
        notes.append(_("palette colours converted to RGB"))
    elif mode in ("L", "1"):
        notes.append(_("greyscale image converted to RGB"))
    return tuple(notes)


def encode(photo: Photo, fmt: str) -> bytes:
    """The clean copy: upright 8-bit RGB pixels only, in the photo's own format (no EXIF, ICC,
    XMP or text chunks: the image is copied without its ``info``)."""
    image = photo.image.convert("RGB") if photo.image.mode != "RGB" else photo.image.copy()
    image.info = {}
    out = io.BytesIO()
    if fmt == "png":
        image.save(out, "PNG")
    else:
        image.save(out, ALLOWED[fmt], quality=95)
    return out.getvalue()


def clean_copy(data: bytes, name: str | None = None,
               max_bytes: int = MAX_UPLOAD_BYTES) -> Clean:
    """Check an upload (:func:`check_upload`) and re-encode it without metadata.

    Raises:
        UploadError: the file was refused (the reason in one line).
    """
    lossless = _lossless_jpeg(data, name, max_bytes)
    if lossless is not None:
        return lossless
    photo, notes = check_upload(data, name, max_bytes=max_bytes)
    fmt = sniff(data) or "jpg"
    clean = encode(photo, fmt)
    decoded = EncodedPhoto(clean, safe_name(name, fmt), fmt, photo.image.size)
    return Clean(safe_name(name, fmt), fmt, clean, decoded, notes, content_hash(data))


def _lossless_jpeg(data: bytes, name: str | None, max_bytes: int) -> Clean | None:
    """The clean copy of a plain upright colour JPEG, written again from its DCT coefficients
    (:func:`pipeline.jpegtran.copy_without_markers`) without decoding its pixels; ``None``
    for anything else (the caller then takes :func:`check_upload`'s decode, which also gives
    every refusal its reason).

    Taken only when, from the header alone: the size is within the limits, the content is a
    JPEG whose pixels decode to RGB as stored (YCbCr, not CMYK or grey), its EXIF is readable
    and asks for no turn, and its pixel count is within :data:`MAX_PIXELS` (a pixel bomb is
    never handed to the decoder) and not under :data:`MIN_SIDE`. libjpeg-turbo's slightest
    warning (truncated or damaged data) also means ``None``.
    """
    if not data or len(data) > min(max_bytes, MAX_BYTES) or sniff(data) != "jpg" or \
            not jpegtran.available():
        return None
    try:
        probe = Image.open(io.BytesIO(data))
        if probe.format not in ("JPEG", "MPO") or probe.mode != "RGB" or \
                probe.getexif().get(0x0112, 1) in (2, 3, 4, 5, 6, 7, 8):
            return None
    except Exception:  # noqa: BLE001 - unreadable header or EXIF: the full path says why
        return None
    width, height = probe.size
    if width * height > MAX_PIXELS or min(width, height) < MIN_SIDE:
        return None
    try:
        clean = jpegtran.copy_without_markers(data)
        copy = Image.open(io.BytesIO(clean))
        if copy.format != "JPEG" or copy.size != probe.size or copy.mode != "RGB":
            return None  # pragma: no cover - libjpeg-turbo's own output
    except (jpegtran.JpegError, OSError):
        return None
    shown = safe_name(name, "jpg")
    return Clean(shown, "jpg", clean, EncodedPhoto(clean, shown, "jpg", probe.size), (),
                 content_hash(data))


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder and a rename,
    so readers see the old file or the whole new one, never a part."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".incoming-", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
