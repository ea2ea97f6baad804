"""Safe intake of uploaded shelf photos, on top of :mod:`pipeline.imaging`.

What an upload goes through, in order (each refusal is a :class:`UploadError` with a plain
reason, and nothing is written):

1. size: empty files and files over :data:`MAX_UPLOAD_BYTES` are refused;
2. format by content, not by name: JPEG, PNG and WebP only (a PNG called ``.jpg`` is fine,
   an HTML page, SVG, GIF, TIFF, ZIP ... called ``.jpg`` is not);
3. safe decode (:func:`pipeline.imaging.decode_photo`): pixel limit before any pixel is
   decoded (decompression bombs), truncated or damaged files, animated images refused;
4. normalised: EXIF orientation applied, CMYK / 16-bit / palette converted to 8-bit RGB,
   transparency flattened on white; too-small images (under :data:`MIN_SIDE` px) refused;
5. saved as a clean re-encoded copy (no metadata, nothing appended after the image data) under
   ``$SHELFAUDIT_HOME/uploads/<store>/<day>/`` with a cleaned file name, written atomically
   (temporary file + rename), never outside that folder.

:func:`save_upload` also checks the user may upload for the store and writes the audit log.
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

from pipeline.errors import PhotoError
from pipeline.imaging import MAX_PIXELS, Photo, decode_photo

MAX_UPLOAD_BYTES = 25 * 1024 * 1024
MIN_SIDE = 32
MAX_NAME_CHARS = 100
UPLOADS_DIR = "uploads"
ADHOC = "adhoc"  # the folder of photos not tied to a store (admins only)
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")

# Allowed formats by their first bytes (the file name's extension is not trusted).
ALLOWED = {"jpg": "JPEG", "png": "PNG", "webp": "WEBP"}
_OTHER_SIGNATURES = [  # for clear messages about what was sent instead
    (b"GIF87a", "a GIF image"), (b"GIF89a", "a GIF image"), (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"), (b"BM", "a BMP image"), (b"%PDF", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive"), (b"\x00\x00\x01\x00", "an icon file"),
]


class UploadError(PhotoError):
    """An uploaded file was refused; the message says why in plain words."""


@dataclass(frozen=True)
class Upload:
    """An accepted upload: the clean copy on disk and what was done to it."""

    path: Path
    name: str
    original_name: str
    format: str  # jpg | png | webp
    sha256: str  # of the uploaded bytes
    width: int
    height: int
    store: str | None
    camera: str | None
    notes: tuple[str, ...] = field(default_factory=tuple)
    photo: Photo | None = field(default=None, repr=False, compare=False)


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
            return name
    head = data[:512].lstrip().lower()
    if head.startswith(b"<?xml") or b"<svg" in head:
        return "an SVG/XML document"
    if head.startswith((b"<!doctype", b"<html", b"<script", b"<")):
        return "an HTML/text document"
    if data[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1", b"ftypavif"):
        return "a HEIC/AVIF image"
    return "not a JPEG, PNG or WebP image"


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
        raise UploadError(f"{label}: the file is empty (0 bytes)")
    if len(data) > max_bytes:
        raise UploadError(f"{label}: the file is {len(data) / 2**20:.1f} MB; uploads may be at "
                          f"most {max_bytes // 2**20} MB")
    fmt = sniff(data)
    if fmt is None:
        raise UploadError(f"{label}: {what_is(data)} — upload a JPEG, PNG or WebP photo")
    try:
        photo = decode_photo(data, label, max_pixels)
    except PhotoError as exc:
        raise UploadError(str(exc)) from None
    if photo.format != fmt:
        raise UploadError(f"{label}: the content does not match its {fmt.upper()} header")
    if min(photo.width, photo.height) < MIN_SIDE:
        raise UploadError(f"{label}: the image is only {photo.width}x{photo.height} pixels; a "
                          f"shelf photo needs at least {MIN_SIDE}x{MIN_SIDE}")
    return photo, _notes(data)


def _notes(data: bytes) -> tuple[str, ...]:
    """What decoding changed (read from the header only; nothing is decoded twice)."""
    notes = []
    try:
        probe = Image.open(io.BytesIO(data))
        orientation = probe.getexif().get(0x0112, 1)
    except Exception:  # noqa: BLE001 - corrupt EXIF: decode_photo kept the pixels as stored
        return ("EXIF data unreadable; orientation left as stored",)
    if orientation in (2, 3, 4, 5, 6, 7, 8):
        notes.append(f"turned upright (EXIF orientation {orientation})")
    mode = probe.mode
    if mode == "CMYK":
        notes.append("CMYK colours converted to RGB")
    elif mode.startswith("I;16") or mode == "I":
        notes.append("16-bit image reduced to 8-bit")
    elif mode in ("RGBA", "LA", "PA") or "transparency" in probe.info:
        notes.append("transparent areas flattened on white")
    elif mode == "P":
        notes.append("palette colours converted to RGB")
    elif mode in ("L", "1"):
        notes.append("greyscale image converted to RGB")
    return tuple(notes)


def _folder_id(value: str | None, what: str) -> str:
    if value is None:
        return ADHOC
    if not _ID.fullmatch(value):
        raise UploadError(f"{what} id {value[:80]!r} is not valid (letters, digits, . _ -)")
    return value


def encode(photo: Photo, fmt: str) -> bytes:
    """The clean copy: upright 8-bit RGB, no metadata, in the photo's own format."""
    out = io.BytesIO()
    if fmt == "png":
        photo.image.save(out, "PNG")
    else:
        photo.image.save(out, ALLOWED[fmt], quality=95)
    return out.getvalue()


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


def store_upload(data: bytes, name: str | None, store: str | None = None,
                 camera: str | None = None, home: Path | None = None) -> Upload:
    """Check an upload and save its clean copy under ``<home>/uploads/`` (no permission check;
    the app calls :func:`save_upload`)."""
    from pipeline.settings import get_settings
    from pipeline.store.tables import utcnow

    photo, notes = check_upload(data, name)
    fmt = sniff(data) or "jpg"
    root = ((home or get_settings().home_dir) / UPLOADS_DIR).resolve()
    cleaned = safe_name(name, fmt)
    folder = root / _folder_id(store, "store") / utcnow().strftime("%Y-%m-%d")
    target = (folder / f"{photo.sha256[:12]}-{cleaned}").resolve()
    if not target.is_relative_to(root):  # belt and braces: the name is already clean
        raise UploadError(f"{cleaned}: refusing to write outside the uploads folder")
    if camera is not None:
        _folder_id(camera, "camera")
    try:
        if not target.exists():
            write_atomic(target, encode(photo, fmt))
    except OSError as exc:
        raise UploadError(f"{cleaned}: could not save the photo ({exc.strerror})") from None
    return Upload(path=target, name=cleaned, original_name=str(name or ""), format=fmt,
                  sha256=photo.sha256, width=photo.width, height=photo.height, store=store,
                  camera=camera, notes=notes, photo=photo)


def save_upload(data: bytes, name: str | None, user, store: str | None,  # noqa: ANN001
                camera: str | None = None) -> Upload:
    """:func:`store_upload` for a signed-in user: checks they may upload for ``store``
    (``None`` = ad-hoc, admins only) and records the upload, or the refusal, in the audit log.

    Raises:
        AccessDenied: the user may not upload for this store.
        UploadError: the file was refused (nothing written).
    """
    from pipeline.access.audit import UPLOAD, UPLOAD_REFUSED, audit
    from pipeline.access.roles import require

    require(user, "upload", store)
    try:
        upload = store_upload(data, name, store, camera)
    except UploadError as exc:
        audit(user, UPLOAD_REFUSED, name or "", store=store, ok=False, reason=str(exc),
              bytes=len(data or b""))
        raise
    audit(user, UPLOAD, upload.name, store=store, camera=camera, original=upload.original_name,
          sha256=upload.sha256, size=f"{upload.width}x{upload.height}", notes=list(upload.notes),
          path=str(upload.path))
    return upload
