"""Photos a supervisor uploads: decode safely, inspect now, judge, and save as an inspection.

Judging uses the rules of the chosen store and camera (the store's rule book: last good
versions stand in for broken files); an *ad-hoc* photo (no store) is judged by the rule sets
that apply everywhere. Saving writes the original bytes into the camera's archive folder and
records the very verdict the supervisor saw (no second inference); the same photo twice is
one inspection.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from pipeline import imaging
from pipeline.detections import PhotoDetections
from pipeline.errors import PhotoError, ShelfAuditError
from pipeline.queries.db import engine_for
from pipeline.queries.scope import Scope, ScopeError

MAX_MB = 20
ACCEPTED = ("jpg", "jpeg", "png", "webp")
ADHOC = "ad-hoc"


@dataclass
class Uploaded:
    """One uploaded file after inspection: the photo, what was found and the verdict."""

    name: str
    data: bytes = field(repr=False)
    photo: imaging.Photo | None = None
    detections: PhotoDetections | None = None
    verdict: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0
    error: str | None = None
    notes: tuple[str, ...] = ()  # what decoding changed (turned upright, CMYK -> RGB ...)

    @property
    def violations(self) -> list[dict[str, Any]]:
        return list(self.verdict.get("violations") or [])


def safe_name(name: str) -> str:
    """A file name without folders or odd characters (``../../x y.jpg`` -> ``x_y.jpg``)."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = re.sub(r"[^A-Za-z0-9._-]+", "_", base).strip("._") or "photo"
    return base[:120]


def decode(name: str, data: bytes) -> Uploaded:
    """Decode one upload by its content (never by its extension); errors are kept, not raised.

    The checks are :func:`pipeline.uploads.check_upload`'s (size, content allow-list, pixel
    limit, animation, tiny images); the name is cleaned with the content's own extension.
    """
    from pipeline import uploads as intake

    clean = intake.safe_name(name, intake.sniff(data) or "jpg")
    try:
        photo, notes = intake.check_upload(data, name, max_bytes=MAX_MB * 1024 * 1024)
    except PhotoError as exc:
        return Uploaded(clean, b"", error=str(exc))
    return Uploaded(clean, data, photo=photo, notes=notes)


def _sites() -> list:
    from pipeline.store.sites import load_sites

    return load_sites().stores


def store_spec(store: str):
    """The store's spec from ``stores.yaml`` (raises for an unknown store)."""
    for spec in _sites():
        if spec.id == store:
            return spec
    raise ShelfAuditError(f"store {store!r} is not in stores.yaml")


class _AdhocRules:
    """The rule sets that apply to every store, for a photo with no store."""

    hash, versions, problems = "", {}, []

    def __init__(self) -> None:
        from pipeline.rules.config import load_config

        self.config = load_config()

    def evaluate(self, detections: PhotoDetections, camera: str) -> dict[str, Any]:
        return self.config.evaluate(detections).to_dict()


def rules_for(store: str | None) -> Any:
    """The rules that judge uploads for ``store`` (``None`` = ad-hoc)."""
    if store is None:
        return _AdhocRules()
    from pipeline.store.compliance import load_store_rules

    return load_store_rules(store_spec(store))


def inspect_uploads(files: Sequence[Uploaded], store: str | None, camera: str | None,
                    inspector: Any, rules: Any,
                    progress: Callable[[int, int, str], None] | None = None) -> list[Uploaded]:
    """Inspect and judge each decoded upload; failures stay on their file."""
    from pipeline.store.inspectors import PhotoMeta

    planogram = None
    if store and camera:
        cam = store_spec(store).cameras.get(camera)
        planogram = cam.planogram if cam else None
    now = datetime.now(UTC).replace(tzinfo=None).isoformat(timespec="seconds") + "Z"
    todo = [f for f in files if f.photo is not None]
    for i, item in enumerate(todo):
        if progress:
            progress(i, len(todo), item.name)
        start = time.perf_counter()
        meta = PhotoMeta(store or ADHOC, camera or ADHOC, now, planogram)
        try:
            found = inspector.inspect([item.photo], [meta])[0]
            found.store, found.camera = store, camera
            item.detections = found
            item.verdict = rules.evaluate(found, camera or ADHOC)
        except Exception as exc:  # noqa: BLE001 - shown next to the photo; others go on
            item.error = f"{item.name}: {type(exc).__name__}: {exc}"
        item.seconds = round(time.perf_counter() - start, 2)
    if progress:
        progress(len(todo), len(todo), "")
    return list(files)


def save_upload(item: Uploaded, store: str, camera: str, scope: Scope, inspector: Any,
                rules: Any, engine: Engine | None = None) -> int:
    """Record an inspected upload as an inspection of ``store``/``camera``; its id.

    Raises:
        ScopeError: not the user's store, or a role that may not upload.
        ShelfAuditError: nothing to save (not inspected, ad-hoc, unknown camera).
    """
    from pipeline.access.audit import audit
    from pipeline.store import ingest, tables
    from pipeline.store.results import record_inspection
    from pipeline.store.sites import sync_sites
    from pipeline.uploads import write_atomic

    if not scope.can_edit():
        raise ScopeError("your role may not save uploads")
    scope.check(store)
    if item.photo is None or item.detections is None or item.error:
        raise ShelfAuditError(f"{item.name}: nothing to save (it was not inspected)")
    spec = store_spec(store)
    if camera not in spec.cameras:
        raise ShelfAuditError(f"camera {camera!r} is not a camera of store {store}")
    now = datetime.now(UTC).replace(tzinfo=None)
    day = spec.local_day(now)
    with Session(engine_for(engine)) as session:
        found = session.execute(select(tables.Inspection.id).join(tables.Photo).where(
            tables.Photo.sha256 == item.photo.sha256)).scalar_one_or_none()
        if found is not None:
            return int(found)
        sync_sites(session, _sites())
        folder = ingest.archive_folder(_home(), store, camera, day)
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"upload-{now:%Y%m%d-%H%M%S}-{item.name}"
        write_atomic(target, item.data)
        photo = tables.Photo(sha256=item.photo.sha256, store_id=store, camera_id=camera,
                             path=str(target), original_name=item.name, captured_at=now,
                             captured_from="upload", width=item.photo.width,
                             height=item.photo.height, attempts=1)
        session.add(photo)
        session.flush()
        row = record_inspection(session, photo, item.detections, item.verdict,
                                inspector=inspector, rules=rules, local_day=day,
                                duration_ms=item.seconds * 1000.0, final_path=target,
                                planogram_id=getattr(spec.cameras[camera].planogram, "id", None))
        audit(scope.user, "upload", item.name, store=store, session=session, camera=camera,
              inspection=row.id, sha256=item.photo.sha256, notes=list(item.notes))
        session.commit()
        return int(row.id)


def _home() -> Path:
    from pipeline.settings import get_settings

    return get_settings().home_dir
