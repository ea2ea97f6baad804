"""Real model weights in one command: fetch a registry checkpoint, verified, nothing half-written.

:func:`pull` copies the files of one :class:`~pipeline.vision.weights_registry.Checkpoint`
into ``$SHELFAUDIT_HOME/models/<name>/`` (a detector's checkpoint file, or a model folder).

Integrity: every file has a sha256. It is pinned in the registry where the source publishes one
(Hugging Face shows the sha256 of every large, LFS-stored file: the weights); other files are
hashed at their first download and recorded in ``$SHELFAUDIT_HOME/models/pulled.json``, and
every later copy must match the record (trust on first use). ``--sha256`` pins a hash on the
command line and wins over both (that is also how a deliberate upstream change is accepted).
Files already here that match their expected hash are not copied again (unless ``force``).

Nothing half-written: each file streams into a staging folder beside the model folder and is
hashed as it streams; only when every file of the entry is verified do they move into place,
each by an atomic rename. A failure removes the staging folder and leaves the model as it was.

No network (connection refused, name not resolved, timeout): one line, ``cannot reach <host>:
...; copy the files with --from DIR`` (:class:`OfflineError`, exit code 2), no retry loop.
``source`` (``--from DIR|URL``) reads the same file names from a folder or a base URL (an
air-gapped mirror); hashes are checked the same way. Downloads use the standard library.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import secrets
import shutil
import socket
import tempfile
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import urlsplit

from pipeline import __version__
from pipeline.errors import ShelfAuditError
from pipeline.i18n import _
from pipeline.settings import get_settings
from pipeline.vision.weights_registry import Checkpoint, WeightFile

RECORD_FILE = "pulled.json"
TIMEOUT_S = 30.0
CHUNK = 1 << 20
Progress = Callable[[str, int, int | None], None]  # file name, bytes so far, total (if known)


class OfflineError(ShelfAuditError):
    """The source cannot be reached (no network, DNS failure, refused, timed out): exit 2."""


class DownloadError(ShelfAuditError):
    """The source answered but the file could not be had (HTTP 404, cut short ...): exit 1."""

    exit_code = 1


class ChecksumError(ShelfAuditError):
    """A file's sha256 is not the pinned or recorded one: nothing was changed (exit 1)."""

    exit_code = 1


# --- the pull record ($SHELFAUDIT_HOME/models/pulled.json) ---
def record_file() -> Path:
    return get_settings().home_dir / "models" / RECORD_FILE


def load_records() -> dict[str, Any]:
    """Pull records by registry name (``{}`` when nothing was pulled yet)."""
    path = record_file()
    if not path.is_file():
        return {}
    try:
        records = json.loads(path.read_text(encoding="utf-8")).get("models", {})
    except (ValueError, AttributeError, OSError) as exc:
        raise ShelfAuditError(_("{file}: not a pull record ({reason}); move it away to start a "
                                "new one").format(file=path, reason=exc)) from None
    return records if isinstance(records, dict) else {}


def save_record(name: str, record: dict[str, Any]) -> Path:
    """Write (replace) the record of ``name``, atomically."""
    path = record_file()
    records = load_records()
    records[name] = record
    text = json.dumps({"version": 1, "models": records}, indent=2, ensure_ascii=False) + "\n"
    write_atomically(path, text)
    return path


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to a temporary file beside ``path``, then rename it over ``path`` (the
    file keeps its permissions; a new one gets the usual ones)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        with tmp.open("x", encoding="utf-8") as out:
            out.write(text)
        if path.exists():
            shutil.copymode(path, tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# --- fetching ---
@dataclass
class PullOptions:
    """How to pull: ``source`` (--from DIR|URL), ``pins`` (file name -> sha256; ``""`` = the
    primary file), ``force`` (download even when the files here verify), ``on_progress``."""

    source: str | None = None
    pins: dict[str, str] = field(default_factory=dict)
    force: bool = False
    on_progress: Progress | None = None


@dataclass
class Fetched:
    """One verified file: where it came from and which hash vouched for it."""

    name: str
    sha256: str
    bytes: int
    origin: str
    pinned_by: str  # --sha256 | registry | record | first download
    reused: bool = False  # already here and verified: not copied again


@dataclass
class Pulled:
    """The result of :func:`pull`: the entry, its folder and its files."""

    entry: Checkpoint
    folder: Path
    files: list[Fetched]

    @property
    def model_path(self) -> Path:
        """What models.yaml points at: the checkpoint file (detector) or the folder."""
        return self.folder / self.entry.primary.name if self.entry.role == "detector" \
            else self.folder


def pull(entry: Checkpoint, options: PullOptions | None = None) -> Pulled:
    """Fetch and verify every file of ``entry`` into ``$SHELFAUDIT_HOME/models/<name>/`` and
    record their hashes.

    Raises:
        OfflineError: the source cannot be reached (exit 2). DownloadError: HTTP error or a
        cut-short file (exit 1). ChecksumError: a hash does not match (exit 1). In each case
        the model folder is left as it was.
    """
    options = options or PullOptions()
    models_dir = get_settings().subdir("models")
    folder = models_dir / entry.name
    unknown = set(options.pins) - {"", *(f.name for f in entry.files)}
    if unknown:
        raise ShelfAuditError(_("--sha256 {file}=...: {name} has no such file (it has {files})"
                                ).format(file=sorted(unknown)[0], name=entry.name,
                                         files=", ".join(f.name for f in entry.files)))
    before = load_records().get(entry.name, {})
    previous = before.get("files", {})
    staging = Path(tempfile.mkdtemp(prefix=f".{entry.name}.", suffix=".partial", dir=models_dir))
    try:
        fetched = [_fetch_one(entry, f, folder, staging, previous, options) for f in entry.files]
        folder.mkdir(exist_ok=True)
        for item in fetched:
            if not item.reused:
                os.replace(staging / item.name, folder / item.name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    result = Pulled(entry, folder, fetched)
    record = _record(result, options)
    if before.get("smoke") and all(f.reused for f in fetched):
        record["smoke"] = before["smoke"]  # the same files: their figures still hold
    save_record(entry.name, record)
    return result


def _record(result: Pulled, options: PullOptions) -> dict[str, Any]:
    entry = result.entry
    return {
        "role": entry.role, "title": entry.title, "licence": entry.licence,
        "source": entry.source, "from": options.source or entry.base_url,
        "path": str(result.model_path), "weights": entry.primary.name,
        "pulled_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "files": {f.name: {"sha256": f.sha256, "bytes": f.bytes, "pinned_by": f.pinned_by,
                           "from": f.origin} for f in result.files},
    }


def _fetch_one(entry: Checkpoint, file: WeightFile, folder: Path, staging: Path,
               previous: dict[str, Any], options: PullOptions) -> Fetched:
    expected, pinned_by = _expected(file, previous, options.pins)
    target = folder / file.name
    if not options.force and expected and target.is_file() and file_sha256(target) == expected:
        origin = (previous.get(file.name) or {}).get("from") or str(target)
        return Fetched(file.name, expected, target.stat().st_size, origin, pinned_by, True)
    origin = _origin(entry, file, options.source)
    actual, size = _stream(origin, staging / file.name, file.name, options.on_progress)
    if expected and actual != expected:
        raise ChecksumError(_mismatch(file, origin, actual, expected, pinned_by))
    return Fetched(file.name, actual, size, origin, pinned_by or "first download")


def _expected(file: WeightFile, previous: dict[str, Any], pins: dict[str, str]
              ) -> tuple[str | None, str]:
    option = pins.get(file.name) or (pins.get("") if file.primary else None)
    if option:
        return option, "--sha256"
    if file.sha256:
        return file.sha256, "registry"
    recorded = (previous.get(file.name) or {}).get("sha256")
    return (recorded, "record") if recorded else (None, "")


def _mismatch(file: WeightFile, origin: str, actual: str, expected: str, pinned_by: str) -> str:
    values = {"file": file.name, "origin": origin, "actual": actual, "expected": expected}
    if pinned_by == "--sha256":
        return _("{file} from {origin} has sha256 {actual}, not {expected} (given with "
                 "--sha256); nothing was changed").format(**values)
    if pinned_by == "registry":
        return _("{file} from {origin} has sha256 {actual}, not the registry's {expected}; "
                 "nothing was changed (a damaged download, or not the published file)"
                 ).format(**values)
    return _("{file} from {origin} has sha256 {actual}, not {expected} recorded at its first "
             "download ({record}); nothing was changed - if the publisher really changed it, "
             "pull again with --sha256 {file}={actual}").format(**values, record=record_file())


def _origin(entry: Checkpoint, file: WeightFile, source: str | None) -> str:
    """The URL or local path to read ``file`` from."""
    if source is None:
        return entry.url(file)
    if is_url(source):
        return f"{source.rstrip('/')}/{file.name}"
    folder = Path(source).expanduser()
    if not folder.is_dir():
        raise ShelfAuditError(_("--from {source}: no such folder (or use an http(s):// URL)"
                                ).format(source=source))
    for candidate in (folder / file.name, folder / file.path, folder / entry.name / file.name):
        if candidate.is_file():
            return str(candidate)
    raise ShelfAuditError(_("--from {source}: {file} is not there (copy it from {url})").format(
        source=folder, file=file.name, url=entry.url(file)))


def is_url(text: str) -> bool:
    return urlsplit(text).scheme in ("http", "https")


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _stream(origin: str, dest: Path, name: str, on_progress: Progress | None
            ) -> tuple[str, int]:
    """Copy ``origin`` (URL or path) into the new file ``dest``, hashing as it streams."""
    source, total = _open(origin)
    digest, done = hashlib.sha256(), 0
    with source, dest.open("xb") as out:
        while chunk := _read(source, origin):
            out.write(chunk)
            digest.update(chunk)
            done += len(chunk)
            if on_progress is not None:
                on_progress(name, done, total)
    if total is not None and done != total:
        raise DownloadError(_("{origin}: the transfer stopped after {done} of {total} bytes; "
                              "nothing was changed").format(origin=origin, done=done,
                                                            total=total))
    return digest.hexdigest(), done


def _open(origin: str) -> tuple[BinaryIO, int | None]:
    if not is_url(origin):
        return open(origin, "rb"), Path(origin).stat().st_size  # noqa: SIM115 - closed by caller
    request = urllib.request.Request(origin, headers={"User-Agent": f"shelfaudit/{__version__}"})
    try:
        response = urllib.request.urlopen(request, timeout=TIMEOUT_S)  # noqa: S310 - http(s) only
    except urllib.error.HTTPError as exc:
        raise DownloadError(f"{origin}: HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
        raise _offline(origin, exc) from None
    length = response.headers.get("Content-Length")
    return response, int(length) if length and length.isdigit() else None


def _read(source: BinaryIO, origin: str) -> bytes:
    try:
        return source.read(CHUNK)
    except (OSError, http.client.HTTPException) as exc:
        if not is_url(origin):
            raise
        raise _offline(origin, exc) from None


def _offline(url: str, exc: BaseException) -> OfflineError:
    reason = getattr(exc, "reason", None) or exc
    if isinstance(reason, socket.gaierror):
        why = _("name not resolved (no DNS)")
    elif isinstance(reason, ConnectionRefusedError):
        why = _("connection refused")
    elif isinstance(reason, TimeoutError | socket.timeout):
        why = _("timed out")
    else:
        why = str(reason).strip() or type(reason).__name__
    host = urlsplit(url).netloc or url
    return OfflineError(_("cannot reach {host}: {reason}; copy the files with --from DIR").format(
        host=host, reason=why))
