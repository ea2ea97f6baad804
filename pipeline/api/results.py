"""Results out: inspections (list, one, its annotated photo) and a store's weekly report.

Everything is read through :mod:`pipeline.queries` with the token's scope, the same functions
the pages use, so an API answer and a page can never disagree, and another store's rows are
never read: an inspection of a store outside the scope is "not found", a store outside the
scope is refused (403).
"""

from __future__ import annotations

import io
import math
from datetime import date
from pathlib import PurePath
from typing import Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from pipeline.access.roles import require
from pipeline.access.tokens import RESULTS_READ, ApiCaller
from pipeline.api.problems import PROBLEM_RESPONSES, Problem
from pipeline.api.schemas import InspectionOut, InspectionPage, InspectionRow, Page, utc
from pipeline.api.security import audited, needs
from pipeline.errors import ShelfAuditError
from pipeline.i18n import _
from pipeline.queries import inspections as q
from pipeline.reports.model import WeeklyReport

router = APIRouter(prefix="/v1", tags=["results"], responses=PROBLEM_RESPONSES)
MAX_PAGE = 500
JPEG = {200: {"content": {"image/jpeg": {}}, "description": "with ?annotated=true"}}


def _number(value: Any) -> float | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return float(value)


def _row(record: dict[str, Any]) -> InspectionRow:
    return InspectionRow(
        id=int(record["id"]), store=record["store"], camera=record["camera"],
        captured_at=utc(record["captured_at"].to_pydatetime()
                        if hasattr(record["captured_at"], "to_pydatetime")
                        else record["captured_at"]) or "",
        **{k: _number(record[k]) for k in ("compliance", "osa", "price_compliance",
                                           "promo_compliance")},
        violations=int(record["violations"] or 0), url=f"/v1/inspections/{int(record['id'])}")


def _next(request: Request, flt: q.InspectionFilter, total: int) -> str | None:
    if flt.offset + flt.limit >= total:
        return None
    return str(request.url.include_query_params(offset=flt.offset + flt.limit, limit=flt.limit))


def _list(caller: ApiCaller, flt: q.InspectionFilter) -> tuple[list[InspectionRow], int]:
    scope = caller.scope.narrow(flt.store)  # a store outside the token's scope: 403
    frame = q.list_inspections(scope, flt)
    audited(caller, "api_inspections", "/v1/inspections", store=flt.store,
            camera=flt.camera, severity=flt.severity, offset=flt.offset)
    return [_row(r) for r in frame.to_dict("records")], q.count_inspections(scope, flt)


@router.get("/inspections", response_model=InspectionPage,
            summary="Inspections of the token's stores, newest first, paged")
async def list_inspections(
    request: Request,
    store: str | None = Query(None, max_length=64, description="one store"),
    camera: str | None = Query(None, max_length=64, description="one camera"),
    start: date | None = Query(None, alias="from",
                               description="first capture day, inclusive (as the page filters)"),
    end: date | None = Query(None, alias="to", description="last capture day, inclusive"),
    severity: Literal["high", "medium", "low"] | None = Query(
        None, description="only inspections with a violation of this severity"),
    limit: int = Query(50, ge=1, le=MAX_PAGE),
    offset: int = Query(0, ge=0),
    caller: ApiCaller = Depends(needs(RESULTS_READ)),
) -> InspectionPage:
    flt = q.InspectionFilter(store=store, camera=camera, start=start, end=end,
                             severity=severity, limit=limit, offset=offset)
    items, total = await run_in_threadpool(_list, caller, flt)
    return InspectionPage(items=items, page=Page(limit=limit, offset=offset, total=total,
                                                 next=_next(request, flt, total)))


def inspection_out(detail: q.InspectionDetail) -> InspectionOut:
    """The API's view of one inspection (also the answer of ``POST /v1/photos?inspect=now``)."""
    violations = [{"rule": v["rule"], "type": v["type"], "severity": v["severity"],
                   "message": v["message"], "evidence": dict(v["evidence"] or {})}
                  for v in detail.violations.to_dict("records")]
    photo = dict(detail.detections)
    if photo.get("path"):
        photo["path"] = PurePath(str(photo["path"])).name  # no server folders
    count = len(violations)
    return InspectionOut(
        id=detail.id, store=detail.store, camera=detail.camera,
        captured_at=utc(detail.captured_at) or "", iso_week=detail.iso_week,
        width=detail.width, height=detail.height,
        kpis={k: _number(v) for k, v in detail.kpis.items()},
        share_of_shelf=detail.share_of_shelf, facings=detail.facings, models=detail.models,
        out_of_domain=detail.out_of_domain, domain_reason=detail.domain_reason,
        violations=violations, detections=photo,
        annotated_url=f"/v1/inspections/{detail.id}?annotated=true",
        verdict="ok" if not count else f"{count} violation{'s' if count != 1 else ''}")


def one_inspection(caller: ApiCaller, inspection_id: int) -> q.InspectionDetail:
    """An inspection in the token's scope (else the 404 problem)."""
    detail = q.inspection_detail(inspection_id, caller.scope)
    if detail is None:
        raise Problem(404, "not-found", _("no inspection {id} in this token's stores").format(
            id=inspection_id))
    return detail


def _annotated(detail: q.InspectionDetail, max_side: int) -> bytes:
    """The photo with its boxes, shelf rows and the violations' evidence in red, as a JPEG (an
    inspection stored before shelf rows were kept has them found again)."""
    from PIL import Image

    from pipeline.detections import PhotoDetections
    from pipeline.errors import PhotoError
    from pipeline.imaging import load_photo
    from pipeline.rules.structure import structure_of
    from pipeline.vision.annotate import annotate

    try:
        image = load_photo(detail.photo_path or "").image
    except PhotoError:
        raise Problem(404, "photo-gone", _("the photo of inspection {id} is no longer on "
                                           "disk; its results are still at "
                                           "/v1/inspections/{id}").format(id=detail.id)
                      ) from None
    photo = structure_of(PhotoDetections.from_dict(detail.detections or {"detections": []})).photo
    marks = [{"type": v["type"], "boxes": q.evidence_boxes(v["evidence"])}
             for v in detail.violations.to_dict("records")]
    out = annotate(image, photo, violations=marks)
    out.thumbnail((max_side, max_side), Image.Resampling.BILINEAR)
    buf = io.BytesIO()
    out.convert("RGB").save(buf, "JPEG", quality=88)
    return buf.getvalue()


def _detail(caller: ApiCaller, inspection_id: int, annotated: bool, max_side: int
            ) -> InspectionOut | bytes:
    detail = one_inspection(caller, inspection_id)
    audited(caller, "api_inspection", f"/v1/inspections/{inspection_id}", store=detail.store,
            annotated=annotated)
    return _annotated(detail, max_side) if annotated else inspection_out(detail)


@router.get("/inspections/{inspection_id}", response_model=InspectionOut, responses=JPEG,
            summary="One inspection: KPIs, violations, detections; or its annotated photo")
async def get_inspection(
    inspection_id: int = Path(ge=1),
    annotated: bool = Query(False, description="the annotated JPEG instead of JSON"),
    max_side: int = Query(1600, ge=64, le=4096, description="longest side of the JPEG (px)"),
    caller: ApiCaller = Depends(needs(RESULTS_READ)),
) -> Any:
    found = await run_in_threadpool(_detail, caller, inspection_id, annotated, max_side)
    if isinstance(found, bytes):
        return Response(found, media_type="image/jpeg")
    return found


def _week(caller: ApiCaller, store: str, week: str) -> WeeklyReport:
    from pipeline.queries.weekly import weekly_report
    from pipeline.weeks import week_start

    try:
        week_start(week)
    except ShelfAuditError as exc:
        raise Problem(422, "bad-week", str(exc)) from None
    require(caller.scope, "view", store)  # outside the token's stores: 403
    try:
        report = weekly_report(store, week, caller.scope)
    except ShelfAuditError as exc:
        raise Problem(404, "not-found", str(exc)) from None
    audited(caller, "api_week", f"/v1/stores/{store}/weeks/{week}", store=store)
    return report


@router.get("/stores/{store}/weeks/{iso_week}", response_model=WeeklyReport,
            summary="A store's weekly report (the object the page and the exports render)")
async def get_week(
    store: str = Path(max_length=64), iso_week: str = Path(max_length=8, examples=["2026-W46"]),
    caller: ApiCaller = Depends(needs(RESULTS_READ)),
) -> WeeklyReport:
    return await run_in_threadpool(_week, caller, store, iso_week)
