"""The API's JSON shapes (pydantic), for validation and the OpenAPI page at ``/docs``.

The weekly report is not here: ``GET /v1/stores/{id}/weeks/{iso_week}`` returns
:class:`pipeline.reports.model.WeeklyReport` itself, the object the page and the exports
render. Times are UTC, ISO 8601 with ``Z``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class PhotoReceipt(BaseModel):
    """What became of a pushed photo."""

    sha256: str = Field(description="SHA-256 of the clean copy (the photo's id in ShelfAudit)")
    state: str = Field(description="queued (waiting in the inbox), received, inspected, failed, "
                                   "quarantined, or known (sent before for a store this token "
                                   "cannot see)")
    duplicate: bool = Field(description="the same photo was known before; nothing was written")
    store: str | None = None
    camera: str | None = None
    captured_at: str | None = None
    inspection: int | None = Field(None, description="the inspection's id once inspected")
    status_url: str
    notes: list[str] = Field(default_factory=list, description="what the clean copy changed")


class InspectionRow(BaseModel):
    id: int
    store: str
    camera: str
    captured_at: str
    compliance: float | None
    osa: float | None
    price_compliance: float | None
    promo_compliance: float | None
    violations: int
    url: str


class Page(BaseModel):
    limit: int
    offset: int
    total: int
    next: str | None = Field(None, description="the next page's URL, if there is one")


class InspectionPage(BaseModel):
    items: list[InspectionRow]
    page: Page


class ViolationOut(BaseModel):
    rule: str
    type: str
    severity: str
    message: str
    evidence: dict[str, Any]


class InspectionOut(BaseModel):
    """One inspection: KPIs, violations and the photo's detections (the detections JSON
    contract's photo object; ``path`` is the file name only)."""

    id: int
    store: str
    camera: str
    captured_at: str
    iso_week: str
    width: int
    height: int
    kpis: dict[str, float | None]
    share_of_shelf: dict[str, Any]
    facings: dict[str, Any]
    models: dict[str, Any]
    out_of_domain: bool
    domain_reason: str
    violations: list[ViolationOut]
    detections: dict[str, Any]
    annotated_url: str
    verdict: str = Field(description="ok, or the number of violations in words")


class RulesCheckIn(BaseModel):
    """A what-if check: detections judged by a rule file, no models run."""

    detections: dict[str, Any] | list[Any] = Field(
        description="the detections JSON ({\"photos\": [...]}, as `shelfaudit inspect --json` "
                    "prints), one photo object, or a list of them")
    rules: str | None = Field(
        None, max_length=1_000_000,
        description="a rule set file's YAML text, applied to every photo; omitted: the rules "
                    "folder, by each photo's store and camera")
    trust_shelf: bool = Field(False, description="use shelf indices given in the detections")


class RulesCheckOut(BaseModel):
    passed: bool
    results: list[dict[str, Any]]


class Health(BaseModel):
    status: str = Field(description="ok, or degraded when the database cannot be reached")
    version: str
    database: dict[str, Any]
    scheduler: dict[str, Any]
    models: dict[str, Any]


def utc(moment: datetime | None) -> str | None:
    """Naive UTC as ISO 8601 with ``Z``."""
    return None if moment is None else moment.isoformat(timespec="seconds") + "Z"
