"""Photos pushed by cameras and other systems (the HTTP API's ``POST /v1/photos``), queued for
the next inspection run.

A pushed photo takes the Upload page's intake (:func:`pipeline.actions.uploads.receive`: check
-> decode -> clean re-encode without metadata); :func:`queue_photo` then writes the clean copy
into the camera's inbox, ``$SHELFAUDIT_HOME/inbox/<store>/<camera>/``, where the scheduled run
(:mod:`pipeline.inbox.runner`) inspects it like any camera drop. The file is written to a
hidden temporary name and renamed when complete, so a run never sees half a photo. Its name,
``api-<store-local time>-<first 16 hex of its SHA-256>.<ext>``, carries the capture time (the
clean copy has no EXIF, and the runner reads a time from the name) and the content hash.

Idempotent by content hash: a photo already known to the store (in any state) or already
waiting in the inbox is not written again, and the answer says so. A camera's retry of bytes
this process took in before is recognised by the hash of the bytes as sent
(:func:`received_before`) and answered without decoding or re-encoding anything.
"""

from __future__ import annotations

import glob
import threading
from collections import OrderedDict
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, select

from pipeline import imaging
from pipeline import uploads as intake
from pipeline.access.roles import require
from pipeline.access.scope import ALL_STORES, Scope
from pipeline.actions.uploads import Uploaded
from pipeline.context import EdgeContext
from pipeline.db.read import engine_for, rows
from pipeline.db.tables import Inspection, Photo
from pipeline.errors import ShelfAuditError
from pipeline.i18n import _
from pipeline.sites import StoreSpec
from pipeline.weeks import utc_to_local

PHOTO_QUEUED = "photo_queued"  # audit action
QUEUED = "queued"  # waiting in the inbox, not yet seen by a run
NAME_PREFIX = "api-"
HASH_CHARS = 16
SITES_TTL_S = 30.0  # stores.yaml is read again after this, or at once when a file changed
# one check-then-write at a time per photo (the same photo pushed twice at once), by hash
_writing = [threading.Lock() for _ in range(64)]
RECEIVED_MAX = 10_000  # pushes remembered by the hash of their bytes as sent
_received: OrderedDict[str, str] = OrderedDict()  # original SHA-256 -> clean copy's
_remembering = threading.Lock()


@dataclass(frozen=True)
class PhotoStatus:
    """Where a pushed photo stands: ``queued`` (in the inbox), then the store's photo states
    (``received``, ``inspected``, ``failed``, ``quarantined``)."""

    sha256: str
    state: str
    store: str | None = None
    camera: str | None = None
    inspection: int | None = None
    captured_at: datetime | None = None  # naive UTC
    duplicate: bool = False  # known before this push: nothing was written


def site(store: str, context: EdgeContext) -> StoreSpec:
    """``store``'s spec from ``stores.yaml`` as the edge's ``context`` has it (the API keeps
    one between pushes, made again when a rules file changes, at the latest after
    :data:`SITES_TTL_S`: reading the file for every photo would cost more than the photo's
    whole intake).

    Raises:
        ShelfAuditError: the store is not in ``stores.yaml``.
    """
    found = context.sites.store(store)
    if found is None:
        raise ShelfAuditError(_("store {store} is not in stores.yaml").format(
            store=repr(store)))
    return found


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _inbox(context: EdgeContext) -> Path:
    return context.settings.home_dir / "inbox"


def queued_files(sha256: str, stores: frozenset[str] | None, camera: str | None = None, *,
                 inbox: Path) -> list[Path]:
    """Files in ``inbox`` pushed through the API with this content hash (in the given
    stores)."""
    pattern = f"{NAME_PREFIX}*-{glob.escape(sha256[:HASH_CHARS])}.*"
    cameras = glob.escape(camera) if camera else "*"
    found: list[Path] = []
    for store in sorted(stores) if stores is not None else ["*"]:
        folder = glob.escape(store) if store != "*" else store
        found += sorted(p for p in inbox.glob(f"{folder}/{cameras}/{pattern}") if p.is_file())
    return found


def _status_of(sha256: str, scope: Scope, engine: Engine | None) -> PhotoStatus | None:
    stmt = (select(Photo.store_id, Photo.camera_id, Photo.state, Photo.captured_at,
                   Inspection.id.label("inspection"))
            .outerjoin(Inspection, Inspection.photo_id == Photo.id)
            .where(Photo.sha256 == sha256, scope.where(Photo.store_id)))
    found = rows(engine_for(engine), stmt)
    if not found:
        return None
    row = found[0]
    return PhotoStatus(sha256, row.state, row.store_id, row.camera_id,
                       int(row.inspection) if row.inspection is not None else None,
                       row.captured_at)


def photo_status(sha256: str, scope: Scope, engine: Engine | None = None, *,
                 context: EdgeContext) -> PhotoStatus | None:
    """A photo by the SHA-256 of its clean copy: known to the store, waiting in the inbox (of
    the edge's ``context``), or ``None`` (unknown, or another store's)."""
    sha256 = str(sha256 or "").lower()
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        return None
    known = _status_of(sha256, scope, engine)
    if known is not None:
        return known
    waiting = queued_files(sha256, scope.stores, inbox=_inbox(context))
    if not waiting:
        return None
    path = waiting[0]
    return PhotoStatus(sha256, QUEUED, path.parent.parent.name, path.parent.name)


def _target(item: Uploaded, store: str, camera: str, when: datetime, tz: str,
            inbox: Path) -> Path:
    local = utc_to_local(when, tz)
    ext = item.name.rsplit(".", 1)[-1]
    name = f"{NAME_PREFIX}{local:%Y%m%dT%H%M%S}-{item.photo.sha256[:HASH_CHARS]}.{ext}"
    return inbox / store / camera / name


def _known(sha: str, store: str, camera: str, scope: Scope, engine: Engine | None,
           inbox: Path) -> PhotoStatus | None:
    """The photo's status if the store knows it (in any state) or it waits in this camera's
    inbox; ``None`` for a new photo."""
    status = _status_of(sha, ALL_STORES, engine)
    if status is not None and not scope.allows(status.store):
        return PhotoStatus(sha, "known")  # another store's photo: nothing to say
    if status is None and queued_files(sha, frozenset({store}), camera, inbox=inbox):
        return PhotoStatus(sha, QUEUED, store, camera)
    return status


def _remember(original_sha256: str, sha256: str) -> None:
    if not original_sha256:
        return
    with _remembering:
        _received[original_sha256] = sha256
        _received.move_to_end(original_sha256)
        while len(_received) > RECEIVED_MAX:
            _received.popitem(last=False)


def received_before(data: bytes, store: str, camera: str, scope: Scope,
                    engine: Engine | None = None, *, context: EdgeContext
                    ) -> PhotoStatus | None:
    """The status of a push whose very bytes this process took in before and whose photo the
    store still knows or still has waiting (a camera's retry): found without decoding or
    re-encoding anything. ``None``: take the whole intake (new bytes, or bytes whose photo
    is gone). Same bytes make the same clean copy, so the answer is the one
    :func:`queue_photo` would give.

    Raises:
        ScopeError: the role may not push photos, or ``store`` is not in the scope.
    """
    require(scope, "upload", store, refusal=_("this role may not push photos"))
    with _remembering:
        sha = _received.get(imaging.content_hash(data)) if data else None
    if sha is None:
        return None
    status = _known(sha, store, camera, scope, engine, _inbox(context))
    return None if status is None else replace(status, duplicate=True)


def queue_photo(item: Uploaded, store: str, camera: str, scope: Scope,
                captured_at: datetime | None = None, engine: Engine | None = None, *,
                context: EdgeContext) -> PhotoStatus:
    """Queue a received photo (its clean copy) for the next run of ``store``'s inspections.

    Args:
        item: from :func:`pipeline.actions.uploads.receive` (refused ones raise here).
        captured_at: naive UTC; default now.
        context: the edge's (the API's), whose sites and inbox are used.

    Raises:
        ScopeError: the role may not push photos, or ``store`` is not in the scope.
        ShelfAuditError: a refused photo, an unknown store or camera.
    """
    from pipeline.access.audit import audit

    require(scope, "upload", store, refusal=_("this role may not push photos"))
    if item is None or item.error or item.photo is None or not item.data:
        raise ShelfAuditError(getattr(item, "error", None) or _("nothing to queue"))
    spec = site(store, context)
    if camera not in spec.cameras:
        raise ShelfAuditError(_("camera {camera} is not a camera of store {store}").format(
            camera=repr(camera), store=store))
    sha = item.photo.sha256
    taken = captured_at or _now()
    with _writing[int(sha[:8], 16) % len(_writing)]:
        status = _known(sha, store, camera, scope, engine, _inbox(context))
        if status is None:
            target = _target(item, store, camera, taken, spec.timezone, _inbox(context))
            intake.write_atomic(target, item.data)
    _remember(item.original_sha256, sha)
    if status is not None:
        return replace(status, duplicate=True)
    audit(scope.user, PHOTO_QUEUED, item.name, store=store, camera=camera, sha256=sha,
          original=item.original_name, original_sha256=item.original_sha256,
          notes=list(item.notes), size=f"{item.photo.width}x{item.photo.height}",
          file=target.name, captured_at=taken.isoformat(timespec="seconds") + "Z")
    return PhotoStatus(sha, QUEUED, store, camera, captured_at=taken)


def drop_queued(sha256: str, store: str, camera: str, *, context: EdgeContext) -> None:
    """Remove a queued copy (in the inbox of the edge's ``context``) of a photo that was just
    inspected at once (no run will need it; a run that already took it finds it inspected
    and files it away)."""
    for path in queued_files(sha256, frozenset({store}), camera, inbox=_inbox(context)):
        path.unlink(missing_ok=True)
