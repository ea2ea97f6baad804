"""Excluding, including and deleting a saved upload (see :mod:`pipeline.queries.saved_uploads`)."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Date, DateTime, Engine, delete, select
from sqlalchemy.orm import Session

from pipeline.access.roles import ANY_STORE, require
from pipeline.access.scope import Scope, ScopeError
from pipeline.db import tables
from pipeline.db.read import engine_for
from pipeline.db.tables import (
    FixFeedback,
    Inspection,
    InspectionDetections,
    Photo,
    Report,
    UploadExclusion,
    Violation,
)
from pipeline.i18n import _
from pipeline.queries.pickers import UPLOADED

EXCLUDE, INCLUDE, DELETE = "upload_exclude", "upload_include", "upload_delete"  # audit actions


def _columns(model: type) -> list[Any]:
    return [c for c in model.__mapper__.column_attrs if c.key not in ("id", "photo_id",
                                                                      "inspection_id")]


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date | datetime) else value


def _typed(model: type, values: dict[str, Any]) -> dict[str, Any]:
    """JSON values back to the model's column types (dates and times from ISO text); columns
    that did not exist when the snapshot was taken keep their defaults."""
    out = {}
    for column in _columns(model):
        if column.key not in values:
            continue
        value, kind = values[column.key], column.columns[0].type
        if isinstance(value, str) and isinstance(kind, DateTime):
            value = datetime.fromisoformat(value)
        elif isinstance(value, str) and isinstance(kind, Date):
            value = date.fromisoformat(value)
        out[column.key] = value
    return out



def _upload(session: Session, photo_id: int, scope: Scope) -> Photo:
    """A saved upload the asker may change."""
    require(scope, "upload", ANY_STORE, refusal=_("your role may not change saved uploads"))
    photo = session.scalar(select(Photo).where(Photo.id == int(photo_id),
                                               Photo.captured_from == UPLOADED,
                                               scope.where(Photo.store_id)))
    if photo is None:
        raise ScopeError(_("upload #{id} is not one of your saved uploads or no longer exists")
                         .format(id=photo_id))
    return photo


def _drop_inspection(session: Session, insp: Inspection) -> None:
    """Remove an inspection with its violations, their marks and its detections."""
    ids = select(Violation.id).where(Violation.inspection_id == insp.id)
    session.execute(delete(FixFeedback).where(FixFeedback.violation_id.in_(ids)))
    session.delete(insp)  # the ORM cascades to detections and violations
    session.flush()


def _snapshot(session: Session, insp: Inspection) -> dict[str, Any]:
    """An inspection, its detections and its violations as plain JSON (see :func:`_restored`)."""
    det = insp.detections
    return {
        "inspection": {c.key: _plain(getattr(insp, c.key)) for c in _columns(Inspection)},
        "detections": None if det is None else {"count": det.count, "payload": det.payload},
        "violations": [{c.key: _plain(getattr(v, c.key)) for c in _columns(Violation)}
                       for v in insp.violations],
    }


def _restored(snapshot: dict[str, Any], photo_id: int) -> Inspection:
    insp = Inspection(photo_id=photo_id, **_typed(Inspection, snapshot["inspection"]))
    if snapshot.get("detections") is not None:
        insp.detections = InspectionDetections(**snapshot["detections"])
    insp.violations = [Violation(**_typed(Violation, v)) for v in snapshot["violations"]]
    return insp


def _rebuild_report(store: str, week: str, engine: Engine | None) -> str | None:
    """Build the week's report again when one was built already (its figures changed)."""
    with Session(engine_for(engine)) as session:
        built = session.scalar(select(Report.id).where(Report.store_id == store,
                                                       Report.iso_week == week))
    if built is None:
        return None
    from pipeline.reports.build import make_report

    try:
        make_report(store, week, url=None if engine is None else
                    engine.url.render_as_string(hide_password=False))
    except Exception as exc:  # noqa: BLE001 - the change stands; say the report is stale
        return _("The weekly report of {store} for {week} could not be built again ({reason}); "
                 "it still shows the figures from before.").format(
            store=store, week=week, reason=f"{type(exc).__name__}: {exc}")
    return None


def exclude_upload(photo_id: int, scope: Scope, reason: str = "",
                   engine: Engine | None = None) -> str | None:
    """Take a saved upload out of every figure (kept, and can count again); audited.

    Returns a note when the week's weekly report could not be built again, else ``None``.

    Raises:
        ScopeError: not the asker's upload to change (role or store), or no such upload.
    """
    from pipeline.access.audit import audit

    with Session(engine_for(engine)) as session:
        photo = _upload(session, photo_id, scope)
        insp = session.scalar(select(Inspection).where(Inspection.photo_id == photo.id))
        if insp is None:  # excluded already
            return None
        week = insp.iso_week
        session.add(UploadExclusion(
            photo_id=photo.id, store_id=photo.store_id, camera_id=photo.camera_id,
            captured_at=insp.captured_at, iso_week=week, excluded_by=scope.user,
            reason=str(reason or "")[:2000], inspection=_snapshot(session, insp)))
        _drop_inspection(session, insp)
        photo.state = tables.EXCLUDED
        audit(scope.user, EXCLUDE, f"upload #{photo.id}", store=photo.store_id, session=session,
              inspection=insp.id, week=week, reason=str(reason or "")[:500],
              file=photo.original_name)
        session.commit()
        store = photo.store_id
    return _rebuild_report(store, week, engine)


def include_upload(photo_id: int, scope: Scope, engine: Engine | None = None
                   ) -> tuple[int | None, str | None]:
    """Count an excluded upload again; ``(its new inspection id, note)`` (``None`` id: it was
    not excluded). Audited.

    Raises:
        ScopeError: not the asker's upload to change (role or store), or no such upload.
    """
    from pipeline.access.audit import audit

    with Session(engine_for(engine)) as session:
        photo = _upload(session, photo_id, scope)
        kept = session.scalar(select(UploadExclusion).where(UploadExclusion.photo_id == photo.id))
        if kept is None:
            return None, None
        insp = _restored(kept.inspection, photo.id)
        session.add(insp)
        session.delete(kept)
        photo.state = tables.INSPECTED
        session.flush()
        audit(scope.user, INCLUDE, f"upload #{photo.id}", store=photo.store_id, session=session,
              inspection=insp.id, week=insp.iso_week, excluded_by=kept.excluded_by)
        session.commit()
        found, store, week = int(insp.id), photo.store_id, insp.iso_week
    return found, _rebuild_report(store, week, engine)


def delete_upload(photo_id: int, scope: Scope, engine: Engine | None = None) -> str | None:
    """Delete a saved upload: its photo row, inspection (or kept exclusion) and file; audited.
    Returns a note when the week's weekly report could not be built again.

    Raises:
        ScopeError: not the asker's upload to change (role or store), or no such upload.
    """
    from pipeline.access.audit import audit

    with Session(engine_for(engine)) as session:
        photo = _upload(session, photo_id, scope)
        insp = session.scalar(select(Inspection).where(Inspection.photo_id == photo.id))
        kept = session.scalar(select(UploadExclusion).where(UploadExclusion.photo_id == photo.id))
        week = insp.iso_week if insp is not None else (kept.iso_week if kept else None)
        if insp is not None:
            _drop_inspection(session, insp)
        if kept is not None:
            session.delete(kept)
        path, store = photo.path, photo.store_id
        audit(scope.user, DELETE, f"upload #{photo.id}", store=store, session=session,
              inspection=insp.id if insp is not None else None, week=week,
              file=photo.original_name, sha256=photo.sha256, path=path,
              was_excluded=kept is not None)
        session.delete(photo)
        session.commit()
    Path(path).unlink(missing_ok=True)
    return _rebuild_report(store, week, engine) if week else None
