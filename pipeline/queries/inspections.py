"""The Inspections page: a filterable list and one inspection in detail.

Days are the store's own: the list filters on each photo's store-local capture day
(``captured_on``, the day its ISO week is counted in), so a week here lists exactly the
inspections Overview counts for it, and each row carries its time on the store's clock
(``captured_local``) beside the stored UTC moment (``captured_at``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import pandas as pd
from sqlalchemy import Engine, and_, exists, func, select

from pipeline.access.scope import Scope
from pipeline.db.read import engine_for, frame, rows
from pipeline.db.tables import Camera, Inspection, InspectionDetections, Photo, Store, Violation
from pipeline.weeks import utc_to_local

LIST_LIMIT = 500
LIST_COLUMNS = ["id", "store", "camera", "captured_local", "timezone", "compliance", "osa",
                "price_compliance", "promo_compliance", "violations", "captured_at"]


@dataclass(frozen=True)
class InspectionFilter:
    """What the list shows; every field optional (plain values, so it caches well)."""

    store: str | None = None
    camera: str | None = None
    start: date | None = None  # store-local capture day
    end: date | None = None  # inclusive, store-local
    rule: str | None = None
    severity: str | None = None
    limit: int = LIST_LIMIT
    offset: int = 0  # rows to skip (paging, e.g. the HTTP API)


def _filtered(scope: Scope, flt: InspectionFilter):
    stmt = (select(Inspection.id, Inspection.store_id.label("store"),
                   Inspection.camera_id.label("camera"), Inspection.captured_at,
                   Inspection.compliance, Inspection.osa, Inspection.price_compliance,
                   Inspection.promo_compliance, Inspection.violation_count.label("violations"),
                   Store.timezone)
            .outerjoin(Store, Store.id == Inspection.store_id)
            .where(scope.where(Inspection.store_id)))
    if flt.store:
        stmt = stmt.where(Inspection.store_id == flt.store)
    if flt.camera:
        stmt = stmt.where(Inspection.camera_id == flt.camera)
    if flt.start:
        stmt = stmt.where(Inspection.captured_on >= flt.start)
    if flt.end:
        stmt = stmt.where(Inspection.captured_on <= flt.end)
    if flt.rule or flt.severity:
        cond = [Violation.inspection_id == Inspection.id]
        if flt.rule:
            cond.append(Violation.rule_id == flt.rule)
        if flt.severity:
            cond.append(Violation.severity == flt.severity)
        stmt = stmt.where(exists().where(*cond))
    return stmt


def list_inspections(scope: Scope, flt: InspectionFilter = InspectionFilter(),
                     engine: Engine | None = None) -> pd.DataFrame:
    """Inspections matching ``flt`` (newest first, at most ``flt.limit``)."""
    stmt = (_filtered(scope, flt).order_by(Inspection.captured_at.desc(), Inspection.id.desc())
            .limit(flt.limit).offset(max(flt.offset, 0)))
    df = frame(engine_for(engine), stmt)
    if df.empty:
        return pd.DataFrame(columns=LIST_COLUMNS)
    for col in ("compliance", "osa", "price_compliance", "promo_compliance"):
        df[col] = pd.to_numeric(df[col], errors="coerce").round(1)
    df["timezone"] = df["timezone"].fillna("UTC")
    df["captured_local"] = pd.to_datetime(
        [utc_to_local(at, tz) for at, tz in
         zip(pd.to_datetime(df["captured_at"]), df["timezone"], strict=True)])
    return df[LIST_COLUMNS]


def count_inspections(scope: Scope, flt: InspectionFilter = InspectionFilter(),
                      engine: Engine | None = None) -> int:
    """How many inspections match ``flt`` (its limit and offset aside)."""
    stmt = select(func.count()).select_from(_filtered(scope, flt).subquery())
    return int(rows(engine_for(engine), stmt)[0][0])


@dataclass
class InspectionDetail:
    """One inspection with its photo, detections and violations, and its camera neighbours."""

    id: int
    store: str
    camera: str
    captured_at: datetime  # naive UTC
    iso_week: str  # in the store's time zone
    photo_path: str | None
    width: int
    height: int
    kpis: dict[str, Any]
    models: dict[str, Any]
    detections: dict[str, Any]  # one photo object of the detections JSON contract
    violations: pd.DataFrame
    share_of_shelf: dict[str, Any] = field(default_factory=dict)
    facings: dict[str, Any] = field(default_factory=dict)
    previous_id: int | None = None
    next_id: int | None = None
    timezone: str = "UTC"  # the store's
    camera_name: str = ""

    @property
    def captured_local(self) -> datetime:
        """When the photo was taken on the store's clock (naive)."""
        return utc_to_local(self.captured_at, self.timezone)

    @property
    def out_of_domain(self) -> bool:
        """The photo was unlike the models' training photos (its products were not named)."""
        return bool(self.detections.get("out_of_domain"))

    @property
    def domain_reason(self) -> str:
        """Why (in the current language)."""
        from pipeline.vision.domain_reasons import domain_reason_text

        return domain_reason_text(self.detections)


def _neighbour(engine: Engine, insp: Any, later: bool) -> int | None:
    order = Inspection.captured_at.asc() if later else Inspection.captured_at.desc()
    cmp = (Inspection.captured_at > insp.captured_at if later
           else Inspection.captured_at < insp.captured_at)
    stmt = (select(Inspection.id)
            .where(Inspection.store_id == insp.store_id, Inspection.camera_id == insp.camera_id,
                   cmp).order_by(order).limit(1))
    found = rows(engine, stmt)
    return int(found[0][0]) if found else None


def violations_of(inspection_id: int, scope: Scope, engine: Engine | None = None
                  ) -> pd.DataFrame:
    """The violations of one inspection (most severe first)."""
    stmt = (select(Violation.id, Violation.rule_id.label("rule"), Violation.rule_type.label("type"),
                   Violation.severity, Violation.message, Violation.evidence)
            .where(Violation.inspection_id == inspection_id, scope.where(Violation.store_id)))
    df = frame(engine_for(engine), stmt)
    if df.empty:
        return pd.DataFrame(columns=["id", "rule", "type", "severity", "message", "evidence"])
    order = {"high": 0, "medium": 1, "low": 2}
    df["_o"] = df["severity"].map(order).fillna(3)
    return df.sort_values(["_o", "rule", "id"]).drop(columns="_o").reset_index(drop=True)


def inspection_detail(inspection_id: int, scope: Scope, engine: Engine | None = None
                      ) -> InspectionDetail | None:
    """One inspection in scope, or ``None`` (missing or another store's)."""
    eng = engine_for(engine)
    stmt = (select(Inspection, Photo.path, InspectionDetections.payload, Store.timezone,
                   Camera.name)
            .join(Photo, Photo.id == Inspection.photo_id)
            .outerjoin(Store, Store.id == Inspection.store_id)
            .outerjoin(Camera, and_(Camera.store_id == Inspection.store_id,
                                    Camera.id == Inspection.camera_id))
            .outerjoin(InspectionDetections,
                       InspectionDetections.inspection_id == Inspection.id)
            .where(Inspection.id == inspection_id, scope.where(Inspection.store_id)))
    with eng.connect() as conn:
        from sqlalchemy.orm import Session

        with Session(bind=conn) as session:
            found = session.execute(stmt).first()
            if found is None:
                return None
            insp, path, payload, tz, camera_name = found
    kpis = {"compliance": insp.compliance, "osa": insp.osa,
            "price_compliance": insp.price_compliance,
            "promo_compliance": insp.promo_compliance}
    return InspectionDetail(
        id=insp.id, store=insp.store_id, camera=insp.camera_id, captured_at=insp.captured_at,
        iso_week=insp.iso_week, photo_path=path, width=insp.width, height=insp.height,
        kpis=kpis, models=dict(insp.models or {}), detections=dict(payload or {}),
        violations=violations_of(insp.id, scope, eng),
        share_of_shelf=dict(insp.share_of_shelf or {}), facings=dict(insp.facings or {}),
        previous_id=_neighbour(eng, insp, later=False), next_id=_neighbour(eng, insp, later=True),
        timezone=tz or "UTC", camera_name=camera_name or insp.camera_id,
    )


def detections_table(payload: dict[str, Any]) -> pd.DataFrame:
    """The detections of one photo object as a table (one row per box)."""
    cols = ["kind", "sku", "brand", "score", "sku_score", "named_by", "pack_text", "orientation",
            "text", "price", "shelf", "box"]
    rows_ = payload.get("detections") or []
    if not rows_:
        return pd.DataFrame(columns=cols)
    df = pd.DataFrame(rows_)
    for col in cols:
        if col not in df.columns:
            df[col] = None
    return df[cols]


def evidence_boxes(evidence: Any) -> list[list[float]]:
    """Boxes of a violation's evidence (``{"boxes": [...]}`` or a bare list of boxes)."""
    boxes = evidence.get("boxes") if isinstance(evidence, dict) else evidence
    out = []
    for box in boxes or []:
        if isinstance(box, (list, tuple)) and len(box) == 4:
            out.append([float(v) for v in box])
    return out
