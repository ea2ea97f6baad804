"""``GET /v1/health`` (database, scheduler, models) and ``POST /v1/rules/check`` (what-if).

Health answers without a token (for load balancers and monitors) with plain facts only; with
a token, the scheduler's figures are those of the token's stores. The what-if check is
``shelfaudit check --detections`` over HTTP: the pure rules engine, no models, nothing saved.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from pipeline import __version__
from pipeline.access.roles import require
from pipeline.access.scope import ALL_STORES
from pipeline.access.tokens import RULES_CHECK, ApiCaller
from pipeline.api.problems import PROBLEM_RESPONSES, Problem
from pipeline.api.schemas import Health, RulesCheckIn, RulesCheckOut, utc
from pipeline.api.security import audited, needs, optional_caller
from pipeline.i18n import _, ngettext

router = APIRouter(prefix="/v1", tags=["system"], responses=PROBLEM_RESPONSES)


def _database() -> dict[str, Any]:
    from pipeline import db

    try:
        revision = db.current_revision()
        return {"ok": True, "backend": db.get_engine().dialect.name, "schema": revision,
                "schema_current": revision == db.head_revision()}
    except Exception as exc:  # noqa: BLE001 - reported, not raised: health must answer
        return {"ok": False, "error": type(exc).__name__}


def _scheduler(caller: ApiCaller | None) -> dict[str, Any]:
    from pipeline.queries.operations import scheduler_health

    try:
        found = scheduler_health(caller.scope if caller else ALL_STORES)
    except Exception as exc:  # noqa: BLE001 - reported, not raised
        return {"ok": False, "error": type(exc).__name__}
    out: dict[str, Any] = {"ok": found.healthy, "last_run": utc(found.last_finished),
                           "next_run": utc(found.next_run)}
    if caller is not None:
        out.update(last_job=found.last_job, last_status=found.last_status,
                   running=found.running, runs_7d=found.runs_7d,
                   failures_7d=found.failures_7d)
    return out


def _health(app: Any, caller: ApiCaller | None) -> Health:
    database = _database()
    scheduler = _scheduler(caller) if database["ok"] else {"ok": False}
    return Health(status="ok" if database["ok"] else "degraded", version=__version__,
                  database=database, scheduler=scheduler, models=app.state.models.describe())


@router.get("/health", response_model=Health,
            responses={503: {"model": Health, "description": "the database is unreachable"}},
            summary="Database, scheduler and models (no token needed)")
async def health(request: Request,
                 caller: ApiCaller | None = Depends(optional_caller)) -> JSONResponse:
    found = await run_in_threadpool(_health, request.app, caller)
    return JSONResponse(found.model_dump(mode="json"),
                        status_code=200 if found.status == "ok" else 503)


def _photos(body: RulesCheckIn) -> list[Any]:
    from pipeline.detections import loads

    try:
        return loads(json.dumps(body.detections))
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise Problem(422, "bad-detections", _("detections: not in the detections JSON "
                                               "format ({reason})").format(
            reason=f"{type(exc).__name__}: {exc}")) from None


def _check(caller: ApiCaller, body: RulesCheckIn) -> RulesCheckOut:
    from pipeline.rules.book import RuleText
    from pipeline.rules.config import errors_only, load_config
    from pipeline.rules.whatif import check_photos, rules_from_text

    photos = _photos(body)
    for photo in photos:
        if photo.store is not None:
            require(caller.scope, "view", photo.store)  # another store's photo: 403
    if body.rules is not None:
        _rules, problems = rules_from_text(body.rules, "rules")
        errors = errors_only(problems)
        if errors:
            raise Problem(422, "bad-rules", ngettext(
                "the rule file has {n} error: {first}",
                "the rule file has {n} errors; the first: {first}", len(errors)).format(
                n=len(errors), first=errors[0]), problems=[p.to_dict() for p in problems])
    book = load_config().book
    if body.rules is not None:  # the caller's own rule file for every photo
        book = book.only([RuleText("rules", body.rules)])
    results = check_photos(photos, book, None, body.trust_shelf)
    stores = sorted({p.store for p in photos if p.store})
    audited(caller, "api_rules_check", "/v1/rules/check", store=stores[0] if stores else None,
            photos=len(photos), own_rules=body.rules is not None)
    return RulesCheckOut(passed=all(r.passed for r in results),
                         results=[r.to_dict() for r in results])


@router.post("/rules/check", response_model=RulesCheckOut,
             summary="What-if: judge detections JSON with a rule file (no models, no saving)")
async def rules_check(body: RulesCheckIn,
                      caller: ApiCaller = Depends(needs(RULES_CHECK))) -> RulesCheckOut:
    return await run_in_threadpool(_check, caller, body)
