"""Photos in: ``POST /v1/photos`` (a camera or app pushes one photo) and
``GET /v1/photos/{sha256}`` (where it stands).

A push takes the Upload page's intake (:func:`pipeline.actions.uploads.receive`: size, type by
content, pixel limit, safe decode, clean re-encode without metadata; refusals audited) and is
then either queued for the next run (:func:`pipeline.actions.photo_intake.queue_photo`, the
default) or, with ``?inspect=now``, inspected at once by the Upload page's own functions
(``inspect_uploads`` -> ``save_upload``) and answered with the inspection. The same photo twice
is one inspection (content hash of the clean copy). The token is checked before the body is
read; nothing is written for a refused photo.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from pipeline import uploads as intake
from pipeline.access.roles import require
from pipeline.access.tokens import PHOTOS_WRITE, RESULTS_READ, ApiCaller
from pipeline.actions import photo_intake, uploads
from pipeline.actions.photo_intake import PhotoStatus
from pipeline.api.problems import PROBLEM_RESPONSES, Problem
from pipeline.api.results import inspection_out, one_inspection
from pipeline.api.schemas import InspectionOut, PhotoReceipt, utc
from pipeline.api.security import audited, needs
from pipeline.context import EdgeContext
from pipeline.errors import ShelfAuditError
from pipeline.i18n import _
from pipeline.weeks import local_to_utc

router = APIRouter(prefix="/v1", tags=["photos"], responses=PROBLEM_RESPONSES)
FIELD = "photo"
MULTIPART = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": [FIELD, "store", "camera"],
    "properties": {
        FIELD: {"type": "string", "format": "binary",
                "description": f"JPEG, PNG or WebP, at most {intake.MAX_MB} MB"},
        "store": {"type": "string", "example": "s001"},
        "camera": {"type": "string", "example": "c01"},
        "captured_at": {"type": "string", "format": "date-time",
                        "description": "when the photo was taken: ISO 8601 with Z or an "
                                       "offset; without one, the store's local time. Default: "
                                       "the photo's EXIF time, else now"}}}}}}}
ANSWERS: dict[int | str, dict[str, Any]] = {
    **PROBLEM_RESPONSES,
    200: {"model": PhotoReceipt, "description": "known before (duplicate); with inspect=now "
                                                "the inspection (InspectionOut)"},
    201: {"model": InspectionOut, "description": "inspect=now: inspected and saved"},
    202: {"model": PhotoReceipt, "description": "queued for the next inspection run"},
    409: PROBLEM_RESPONSES[422] | {"description": "inspect=now while a run holds the photo"},
    413: PROBLEM_RESPONSES[422] | {"description": "over the size limit"},
    415: PROBLEM_RESPONSES[422] | {"description": "not a JPEG, PNG or WebP by its content"},
}


def refusal_status(data: bytes) -> tuple[int, str]:
    """Status code and problem slug of a photo the intake refused."""
    if len(data) > intake.MAX_UPLOAD_BYTES:
        return 413, "photo-too-large"
    if data and intake.sniff(data) is None:
        return 415, "photo-type"
    return 422, "photo-refused"


def _text(form: Any, name: str, required: bool = True) -> str | None:
    value = form.get(name)
    if value is None or value == "":
        if required:
            raise Problem(422, "invalid-request", _("the multipart field {name} is missing"
                                                    ).format(name=repr(name)))
        return None
    if not isinstance(value, str) or len(value) > 64:
        raise Problem(422, "invalid-request", _("the field {name} must be a short text (at "
                                                "most 64 characters)").format(name=repr(name)))
    return value


def capture_time(text: str | None, tz: str) -> datetime | None:
    """``captured_at`` as naive UTC (no offset: the store's local time); checked for sense."""
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise Problem(422, "invalid-request", _("captured_at {text} is not an ISO 8601 time "
                                                "such as 2026-11-20T02:00:00Z").format(
            text=repr(text))) from None
    moment = local_to_utc(moment, tz) if moment.tzinfo is None else \
        moment.astimezone(UTC).replace(tzinfo=None)
    now = datetime.now(UTC).replace(tzinfo=None)
    if moment > now + timedelta(days=1) or moment.year < 2000:
        raise Problem(422, "invalid-request", _("captured_at {text} is not a plausible time "
                                                "for a photo (more than a day ahead, or "
                                                "before 2000)").format(text=repr(text)))
    return moment


def _exif_time(data: bytes, tz: str) -> datetime | None:
    from pipeline.inbox.ingest import exif_time

    found = exif_time(data)
    return None if found is None else local_to_utc(found, tz)


def receipt(status: PhotoStatus, notes: tuple[str, ...] = ()) -> PhotoReceipt:
    return PhotoReceipt(sha256=status.sha256, state=status.state, duplicate=status.duplicate,
                        store=status.store, camera=status.camera,
                        captured_at=utc(status.captured_at), inspection=status.inspection,
                        status_url=f"/v1/photos/{status.sha256}", notes=list(notes))


def _inspect_now(app: Any, caller: ApiCaller, item: uploads.Uploaded, store: str,
                 camera: str, when: datetime | None, context: EdgeContext) -> tuple[int, Any]:
    scope, sha = caller.scope, item.photo.sha256
    known = photo_intake.photo_status(sha, scope, context=context)
    if known is not None and known.state == "inspected" and known.inspection:
        return 200, inspection_out(one_inspection(caller, known.inspection))
    if known is not None and known.state != photo_intake.QUEUED:
        raise Problem(409, "photo-busy", _("a scheduled run holds this photo (state: "
                                           "{state}); follow it at /v1/photos/{sha}").format(
            state=known.state, sha=sha), state=known.state)
    inspector = app.state.models.inspector()
    rules = uploads.rules_for(store, context)
    uploads.inspect_uploads([item], store, camera, inspector, rules, context=context)
    if item.error:
        raise Problem(503, "inspection-failed", _("cannot inspect now: {reason}").format(
            reason=item.error))
    try:
        found = uploads.save_upload(item, store, camera, scope, inspector, rules,
                                    captured_at=when, context=context)
    except IntegrityError:
        raise Problem(409, "photo-busy", _("a scheduled run took this photo meanwhile; "
                                           "follow it at /v1/photos/{sha}").format(sha=sha)
                      ) from None
    photo_intake.drop_queued(sha, store, camera, context=context)
    return 201, inspection_out(one_inspection(caller, found))


def _accept(app: Any, caller: ApiCaller, fields: dict[str, Any], name: str, data: bytes,
            now: bool) -> tuple[int, Any]:
    store, camera = fields["store"], fields["camera"]
    require(caller.scope, "upload", store)  # 403 before anything else is looked at
    context = app.state.context()  # the API's settings, catalog and sites
    try:
        spec = photo_intake.site(store, context)
    except ShelfAuditError as exc:
        raise Problem(404, "unknown-store", str(exc)) from None
    if camera not in spec.cameras:
        raise Problem(404, "unknown-camera", _("camera {camera} is not a camera of store "
                                               "{store} (stores.yaml has {cameras})").format(
            camera=repr(camera), store=store, cameras=", ".join(spec.cameras) or _("none")))
    when = capture_time(fields.get("captured_at"), spec.timezone)
    if not now:  # a retry of bytes taken in before costs a hash, not a decode
        known = photo_intake.received_before(data, store, camera, caller.scope,
                                             context=context)
        if known is not None:
            return 200, receipt(known)
    item = uploads.receive(name, data, caller.scope, store)  # refusals audited there
    if item.error:
        status, slug = refusal_status(data)
        raise Problem(status, slug, item.error)
    when = when or _exif_time(data, spec.timezone)
    if now:
        return _inspect_now(app, caller, item, store, camera, when, context)
    status = photo_intake.queue_photo(item, store, camera, caller.scope, captured_at=when,
                                      context=context)
    return (200 if status.duplicate else 202), receipt(status, item.notes)


@router.post("/photos", status_code=202, response_model=None, responses=ANSWERS,
             openapi_extra=MULTIPART, summary="Push one shelf photo (multipart)")
async def push_photo(
    request: Request,
    inspect: Literal["queue", "now"] = Query(
        "queue", description="queue (default): inspected by the next scheduled run; now: "
                             "inspected at once, the inspection is the answer"),
    caller: ApiCaller = Depends(needs(PHOTOS_WRITE)),
) -> JSONResponse:
    async with request.form(max_files=1, max_fields=8) as form:
        fields = {k: _text(form, k, k != "captured_at") for k in ("store", "camera",
                                                                  "captured_at")}
        upload = form.get(FIELD)
        if not isinstance(upload, UploadFile):
            raise Problem(422, "invalid-request", _("the multipart file field {name} (the "
                                                    "photo) is missing").format(
                name=repr(FIELD)))
        data = await upload.read(intake.MAX_UPLOAD_BYTES + 1)
        name = upload.filename or "photo"
    code, body = await run_in_threadpool(_accept, request.app, caller, fields, name, data,
                                         inspect == "now")
    headers = {}
    if isinstance(body, InspectionOut):
        headers["Location"] = f"/v1/inspections/{body.id}"
    return JSONResponse(body.model_dump(mode="json"), status_code=code, headers=headers)


def _status(caller: ApiCaller, sha256: str, context: EdgeContext) -> PhotoReceipt:
    found = photo_intake.photo_status(sha256, caller.scope, context=context)
    if found is None:
        raise Problem(404, "not-found", _("no photo {sha}… in this token's stores").format(
            sha=sha256[:16]))
    audited(caller, "api_photo_status", f"/v1/photos/{sha256}", store=found.store)
    return receipt(found)


@router.get("/photos/{sha256}", response_model=PhotoReceipt,
            summary="Where a pushed photo stands (queued, inspected ...)")
async def photo_status(
    request: Request,
    sha256: str = Path(min_length=64, max_length=64, pattern="^[0-9a-f]{64}$"),
    caller: ApiCaller = Depends(needs(PHOTOS_WRITE, RESULTS_READ)),
) -> PhotoReceipt:
    return await run_in_threadpool(_status, caller, sha256, request.app.state.context())
