"""Photos a supervisor uploads — the Upload page's one intake path, in order:

check -> decode -> clean re-encode without metadata (:func:`receive`, on top of
:func:`pipeline.uploads.clean_copy`) -> inspect (:func:`inspect_uploads`) -> save
(:func:`save_upload`) -> audit.

A refused file (HTML named ``.jpg``, pixel bomb, 0-byte file ...) is recorded in the audit log
as ``upload_refused`` with its reason; a saved one as ``upload`` with the id of the inspection
it became. Judging uses the rules of the chosen store and camera (the store's rule book: last
good versions stand in for broken files); an *ad-hoc* photo (no store) is judged by the rule
sets that apply everywhere and is never saved. Saving writes the clean copy — the very bytes
that were inspected, never the uploaded ones — into the camera's archive folder and records
the verdict the supervisor saw (no second inference); the same photo twice is one inspection.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from pipeline import imaging
from pipeline import uploads as intake
from pipeline.access.roles import require
from pipeline.access.scope import Scope
from pipeline.context import EdgeContext
from pipeline.db.read import engine_for
from pipeline.detections import PhotoDetections
from pipeline.errors import PhotoError, ShelfAuditError
from pipeline.i18n import _

MAX_MB = intake.MAX_MB  # the one size limit (pipeline.uploads), shown by the page
ACCEPTED = ("jpg", "jpeg", "png", "webp")
ADHOC = "ad-hoc"


@dataclass
class Uploaded:
    """One uploaded file after intake (and inspection): the clean copy, what was found and
    the verdict, or why it was refused."""

    name: str  # cleaned file name, with the extension of its content
    data: bytes = field(repr=False)  # the clean re-encoded copy (empty when refused)
    photo: imaging.Photo | None = None  # decoded from ``data``
    detections: PhotoDetections | None = None
    verdict: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0
    error: str | None = None
    notes: tuple[str, ...] = ()  # what decoding changed (turned upright, CMYK -> RGB ...)
    original_name: str = ""  # as uploaded (for the audit log)
    original_sha256: str = ""  # of the bytes as uploaded

    @property
    def violations(self) -> list[dict[str, Any]]:
        return list(self.verdict.get("violations") or [])


def receive(name: str, data: bytes, scope: Scope, store: str | None) -> Uploaded:
    """Check one uploaded file and make its clean copy (nothing is written to disk).

    A refused file comes back with ``error`` set (one plain line) and is recorded in the audit
    log as ``upload_refused``. ``store=None`` is an ad-hoc photo: inspected, never saved.

    Raises:
        ScopeError: the role may not upload, or ``store`` is not the user's.
    """
    from pipeline.access.audit import UPLOAD_REFUSED, audit

    if store is None:
        require(scope, "inspect_adhoc", refusal=_("your role may not upload photos"))
    else:
        require(scope, "upload", store, refusal=_("your role may not upload photos"))
    data = bytes(data or b"")
    try:
        clean = intake.clean_copy(data, name)
    except PhotoError as exc:
        audit(scope.user, UPLOAD_REFUSED, name or "", store=store, ok=False, reason=str(exc),
              bytes=len(data), sha256=imaging.content_hash(data))
        shown = intake.safe_name(name, intake.sniff(data) or "jpg")
        return Uploaded(shown, b"", error=str(exc), original_name=str(name or ""),
                        original_sha256=imaging.content_hash(data))
    return Uploaded(clean.name, clean.data, photo=clean.photo, notes=clean.notes,
                    original_name=str(name or ""), original_sha256=clean.original_sha256)


def store_spec(store: str, context: EdgeContext):
    """The store's spec from ``stores.yaml`` as the edge's ``context`` has it (raises for an
    unknown store)."""
    for spec in context.sites.stores:
        if spec.id == store:
            return spec
    raise ShelfAuditError(_("store {store} is not in stores.yaml").format(store=repr(store)))


def rules_for(store: str | None, context: EdgeContext) -> Any:
    """The rules that judge uploads for ``store`` (``None`` = ad-hoc: the rule sets that
    apply everywhere) — the store's rule book, as its scheduled runs use it, from the rules
    folder, catalog and sites of the edge's ``context``."""
    from pipeline.rulebook.in_force import load_store_rules

    spec = store_spec(store, context) if store is not None else None
    return load_store_rules(spec, context.settings.rules_dir, catalog=context.catalog)


def inspect_uploads(files: Sequence[Uploaded], store: str | None, camera: str | None,
                    inspector: Any, rules: Any,
                    progress: Callable[[int, int, str], None] | None = None, *,
                    context: EdgeContext) -> list[Uploaded]:
    """Inspect and judge each decoded upload; failures stay on their file. ``context``: the
    edge's, whose sites give the camera's planogram."""
    from pipeline.inbox.inspectors import PhotoMeta

    planogram = None
    if store and camera:
        cam = store_spec(store, context).cameras.get(camera)
        planogram = cam.planogram if cam else None
    now = datetime.now(UTC).replace(tzinfo=None).isoformat(timespec="seconds") + "Z"
    todo = [f for f in files if f.photo is not None]
    for i, item in enumerate(todo):
        if progress:
            progress(i, len(todo), item.name)
        start = time.perf_counter()
        meta = PhotoMeta(store or ADHOC, camera or ADHOC, now, planogram)
        try:
            found = replace(inspector.inspect([item.photo], [meta])[0], store=store, camera=camera)
            item.detections = found
            item.verdict = rules.evaluate(found, camera or ADHOC)
        except Exception as exc:  # noqa: BLE001 - shown next to the photo; others go on
            item.error = f"{item.name}: {type(exc).__name__}: {exc}"
        item.seconds = round(time.perf_counter() - start, 2)
    if progress:
        progress(len(todo), len(todo), "")
    return list(files)


def save_upload(item: Uploaded, store: str, camera: str, scope: Scope, inspector: Any,
                rules: Any, engine: Engine | None = None,
                captured_at: datetime | None = None, *, context: EdgeContext) -> int:
    """Record an inspected upload as an inspection of ``store``/``camera``; its id.

    The clean copy is written to the camera's archive folder and the audit row names the
    inspection it became. ``captured_at`` (naive UTC, e.g. a camera's own time sent to the
    API) defaults to now. ``context``: the edge's, whose sites are used.

    Raises:
        ScopeError: not the user's store, or a role that may not upload.
        ShelfAuditError: nothing to save (not inspected, ad-hoc, unknown camera).
    """
    from pipeline.access.audit import UPLOAD, audit
    from pipeline.db import tables
    from pipeline.inbox import ingest
    from pipeline.sites import sync_sites

    require(scope, "upload", store, refusal=_("your role may not save uploads"))
    if item.photo is None or item.detections is None or item.error or not item.data:
        raise ShelfAuditError(_("{name}: nothing to save (it was not inspected)").format(
            name=item.name))
    spec = store_spec(store, context)
    if camera not in spec.cameras:
        raise ShelfAuditError(_("camera {camera} is not a camera of store {store}").format(
            camera=repr(camera), store=store))
    now = datetime.now(UTC).replace(tzinfo=None)
    taken = captured_at or now
    day = spec.local_day(taken)
    with Session(engine_for(engine)) as session:
        found = session.execute(select(tables.Inspection.id).join(tables.Photo).where(
            tables.Photo.sha256 == item.photo.sha256)).scalar_one_or_none()
        if found is None:
            sync_sites(session, context.sites.stores)
            target = ingest.archive_folder(context.settings.home_dir, store, camera, day) / \
                f"upload-{now:%Y%m%d-%H%M%S}-{item.name}"
            found = _record(session, item, store, camera, target, taken, day, spec, inspector,
                            rules)
            session.scalar(select(tables.Photo).where(  # who saved it (saved_uploads)
                tables.Photo.sha256 == item.photo.sha256)).uploaded_by = scope.user
        audit(scope.user, UPLOAD, item.name, store=store, session=session, camera=camera,
              inspection=int(found), original=item.original_name, sha256=item.photo.sha256,
              original_sha256=item.original_sha256, notes=list(item.notes),
              size=f"{item.photo.width}x{item.photo.height}")
        session.commit()
        return int(found)


def _record(session: Session, item: Uploaded, store: str, camera: str, target: Path,
            now: datetime, day: Any, spec: Any, inspector: Any, rules: Any) -> int:
    """Write the clean copy and add its photo and inspection rows; the inspection id."""
    from pipeline.db import tables
    from pipeline.inbox.results import record_inspection

    intake.write_atomic(target, item.data)
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
    session.flush()  # the inspection's id, for the audit row
    return int(row.id)

