"""The camera inbox: finding photos, reading them safely, when they were taken, where they go.

Layout under ``$SHELFAUDIT_HOME``::

    inbox/<store>/<camera>/**/<photo>        cameras drop photos here (any sub-folders)
    archive/<store>/<camera>/<YYYY-MM-DD>/   inspected originals (moved after the DB commit)
    quarantine/<store>/<camera>/             not readable as an image; ``<name>.reason.txt``
    failed/<store>/<camera>/                 still failing after N attempts

Cameras should upload under a temporary name and rename when complete: hidden files and names
ending in ``.part``/``.tmp``/``.partial``/``.crdownload`` are left alone. Folders for stores or
cameras that ``stores.yaml`` does not know are reported and left in place, never deleted.

``captured_at`` comes from EXIF ``DateTimeOriginal`` (with ``OffsetTimeOriginal`` when present),
else a timestamp in the file name (``20261120T020000``, ``2026-11-20_02-00-00``,
``IMG_20261120_020000`` ...), else the file's modification time. EXIF and file-name times are
the store's local wall-clock time.
"""

from __future__ import annotations

import io
import re
import shutil
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

from PIL import Image

from pipeline import imaging
from pipeline.errors import PhotoError
from pipeline.filemodes import tighten
from pipeline.weeks import local_to_utc

TEMPORARY_SUFFIXES = (".part", ".tmp", ".partial", ".crdownload", ".reason.txt")
EXIF_IFD = 0x8769
DATETIME_ORIGINAL = 36867
OFFSET_TIME_ORIGINAL = 36881
_NAME_TIME = re.compile(
    r"(?<!\d)((?:19|20)\d{2})[-_.]?(\d{2})[-_.]?(\d{2})[T_ -]?"
    r"(\d{2})[-_.:h]?(\d{2})[-_.:m]?(\d{2})(?!\d)"
)
_OFFSET = re.compile(r"^([+-])(\d{2}):?(\d{2})$")


@dataclass(frozen=True)
class InboxFile:
    """A file waiting in ``inbox/<store>/<camera>/``."""

    path: Path
    store: str
    camera: str


@dataclass
class InboxScan:
    """What the inbox holds: usable files and notes about folders nobody knows."""

    files: list[InboxFile] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)


def _waiting(folder: Path) -> list[Path]:
    found = []
    for path in sorted(folder.rglob("*")):
        name = path.name
        if not path.is_file() or name.startswith(".") or name.lower().endswith(TEMPORARY_SUFFIXES):
            continue
        found.append(path)
    return found


def scan_inbox(
    inbox: Path,
    cameras: Mapping[str, Collection[str]],
    only_stores: Collection[str] | None = None,
) -> InboxScan:
    """List the photos waiting per known store/camera; note unknown folders and stray files.

    Args:
        inbox: the inbox folder.
        cameras: store id -> camera ids (from ``stores.yaml``).
        only_stores: look at these stores only (``None`` = all).
    """
    scan = InboxScan()
    if not inbox.is_dir():
        return scan
    for store_dir in sorted(p for p in inbox.iterdir() if not p.name.startswith(".")):
        store = store_dir.name
        if only_stores is not None and store not in only_stores:
            continue
        if not store_dir.is_dir():
            scan.unknown.append(f"{store_dir}: a file directly in the inbox (expected "
                                f"inbox/<store>/<camera>/); left in place")
            continue
        if store not in cameras:
            count = len(_waiting(store_dir))
            scan.unknown.append(f"{store_dir}: unknown store {store!r} (not in stores.yaml); "
                                f"{count} file(s) left in place")
            continue
        for camera_dir in sorted(p for p in store_dir.iterdir() if not p.name.startswith(".")):
            if not camera_dir.is_dir():
                scan.unknown.append(f"{camera_dir}: a file directly in the store folder "
                                    f"(expected inbox/{store}/<camera>/); left in place")
                continue
            files = _waiting(camera_dir)
            if camera_dir.name not in cameras[store]:
                scan.unknown.append(f"{camera_dir}: unknown camera {camera_dir.name!r} of store "
                                    f"{store!r}; {len(files)} file(s) left in place")
                continue
            scan.files.extend(InboxFile(p, store, camera_dir.name) for p in files)
    return scan


def time_from_name(name: str) -> datetime | None:
    """A timestamp written in a file name (``20261120T020000``, ``2026-11-20_02-00-00`` ...)."""
    for match in _NAME_TIME.finditer(name):
        try:
            return datetime(*(int(g) for g in match.groups()))
        except ValueError:
            continue
    return None


def exif_time(data: bytes) -> datetime | None:
    """EXIF ``DateTimeOriginal`` (aware when ``OffsetTimeOriginal`` is present), else ``None``."""
    try:
        with Image.open(io.BytesIO(data)) as probe:
            exif = probe.getexif().get_ifd(EXIF_IFD)
    except Exception:  # noqa: BLE001 - any unreadable header simply has no EXIF time
        return None
    text = exif.get(DATETIME_ORIGINAL)
    if not isinstance(text, str):
        return None
    try:
        moment = datetime.strptime(text.strip().rstrip("\x00"), "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    offset = _OFFSET.match(str(exif.get(OFFSET_TIME_ORIGINAL) or "").strip())
    if offset:
        sign = -1 if offset.group(1) == "-" else 1
        delta = timedelta(hours=int(offset.group(2)), minutes=int(offset.group(3)))
        moment = moment.replace(tzinfo=timezone(sign * delta))
    return moment


def capture_time(path: Path, data: bytes) -> tuple[datetime, str]:
    """When a photo was taken and how we know: ``(moment, "exif" | "name" | "mtime")``.

    EXIF and file-name times are naive (store-local) unless EXIF names an offset; the mtime is
    returned aware (UTC).
    """
    moment = exif_time(data)
    if moment is not None:
        return moment, "exif"
    moment = time_from_name(path.name)
    if moment is not None:
        return moment, "name"
    try:
        mtime = path.stat().st_mtime
    except OSError:
        return datetime.now(UTC), "mtime"
    return datetime.fromtimestamp(mtime, UTC), "mtime"


@dataclass
class Intake:
    """One inbox file after reading: the decoded photo, or why it is not an image."""

    file: InboxFile
    sha256: str
    captured_at: datetime  # naive UTC
    captured_from: str
    photo: imaging.Photo | None = None
    error: str | None = None
    data: bytes = field(default=b"", repr=False)  # the file's bytes (engines may ship them)


def read_inbox_file(file: InboxFile, tz: str | None) -> Intake | None:
    """Read, hash, date and decode one inbox file (``None`` if it vanished meanwhile).

    Raises:
        OSError: the file exists but cannot be read (permissions ...): it stays in the inbox.
    """
    try:
        data = file.path.read_bytes()
    except FileNotFoundError:
        return None
    moment, source = capture_time(file.path, data)
    intake = Intake(file, imaging.content_hash(data), local_to_utc(moment, tz), source, data=data)
    try:
        intake.photo = imaging.decode_photo(data, str(file.path))
    except PhotoError as exc:
        intake.error = str(exc)
    return intake


def archive_folder(home: Path, store: str, camera: str, day: date) -> Path:
    return home / "archive" / store / camera / day.isoformat()


def quarantine_folder(home: Path, store: str, camera: str) -> Path:
    return home / "quarantine" / store / camera


def failed_folder(home: Path, store: str, camera: str) -> Path:
    return home / "failed" / store / camera


def _same_bytes(path: Path, sha256: str) -> bool:
    try:
        return imaging.content_hash(path.read_bytes()) == sha256
    except OSError:
        return False


def move_into(src: Path, folder: Path, sha256: str) -> Path:
    """Move ``src`` into ``folder`` without overwriting anything; returns where it now is.

    If a file of the same name and the same bytes is already there, ``src`` is a duplicate and
    is removed; a different file of the same name gets ``-<hash>`` appended to the new name.
    """
    folder.mkdir(parents=True, exist_ok=True)
    dest = folder / src.name
    if dest.exists() and not _same_bytes(dest, sha256):
        dest = folder / f"{src.stem}-{sha256[:10]}{src.suffix}"
    if dest.exists() and _same_bytes(dest, sha256):
        if src.resolve() != dest.resolve():
            src.unlink(missing_ok=True)
        return dest
    shutil.move(str(src), str(dest))
    tighten(dest)  # a camera's 0644 drop becomes owner-only in the archive (pipeline.filemodes)
    return dest


def write_reason(quarantined: Path, reason: str) -> None:
    """``<name>.reason.txt`` next to a quarantined file, saying why it is there."""
    quarantined.with_name(quarantined.name + ".reason.txt").write_text(reason + "\n",
                                                                       encoding="utf-8")
