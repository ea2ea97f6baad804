"""The inspection store: SQLAlchemy 2 typed ORM models (schema owned by Alembic migrations).

Portable across SQLite and PostgreSQL: plain ``String``/``Integer``/``Float``/``DateTime`` and
``sqlalchemy.JSON``. Every timestamp is naive **UTC** (SQLite keeps no zone). ``store_id`` and
``camera_id`` are the ids from ``rules/stores.yaml`` and are repeated on inspections and
violations so the dashboard's queries (by store, camera, ISO week, rule, severity) need no joins.

Photo states: ``received`` (in the inbox, known to the DB) -> ``inspected`` | ``failed``
(reason in ``last_error``, retried up to N times) | ``quarantined`` (not a readable image).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# Photo states
RECEIVED = "received"
INSPECTED = "inspected"
FAILED = "failed"
QUARANTINED = "quarantined"
EXCLUDED = "excluded"  # a saved upload taken out of the figures (pipeline.queries.saved_uploads)
PHOTO_STATES: tuple[str, ...] = (RECEIVED, INSPECTED, FAILED, QUARANTINED, EXCLUDED)

# Job-run statuses
RUNNING = "running"
OK = "ok"
PARTIAL = "partial"  # finished, but some photos failed or some rule files were broken
SKIPPED = "skipped"  # another run held the store's lease
ERROR = "error"
JOB_STATUSES: tuple[str, ...] = (RUNNING, OK, PARTIAL, SKIPPED, ERROR)

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """Naive UTC now (the store's time convention)."""
    return datetime.now(UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class Store(Base):
    __tablename__ = "stores"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    schedule: Mapped[str | None] = mapped_column(String(200))  # cron text from stores.yaml
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    cameras: Mapped[list[Camera]] = relationship(back_populates="store")


class Camera(Base):
    __tablename__ = "cameras"

    store_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("stores.id", ondelete="CASCADE"), primary_key=True
    )
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    planogram_id: Mapped[str | None] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    store: Mapped[Store] = relationship(back_populates="cameras")


def _camera_fk() -> ForeignKeyConstraint:
    return ForeignKeyConstraint(["store_id", "camera_id"], ["cameras.store_id", "cameras.id"])


class Photo(Base):
    """One photo file known to the store, identified by the SHA-256 of its bytes."""

    __tablename__ = "photos"
    __table_args__ = (
        _camera_fk(),
        Index(None, "state"),
        Index(None, "store_id", "camera_id", "captured_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    store_id: Mapped[str] = mapped_column(String(64))
    camera_id: Mapped[str] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(Text)  # where the file is now (inbox/archive/quarantine)
    original_name: Mapped[str] = mapped_column(String(500))
    captured_at: Mapped[datetime] = mapped_column(DateTime)
    captured_from: Mapped[str] = mapped_column(String(16), default="mtime")  # exif|name|mtime
    received_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    state: Mapped[str] = mapped_column(String(16), default=RECEIVED)
    attempts: Mapped[int] = mapped_column(Integer, default=0)  # failures counted against it
    # size of the batch it was sent in, until its result is committed (0: under suspicion,
    # waiting to be inspected alone); see pipeline.inbox.runner
    in_flight: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    uploaded_by: Mapped[str | None] = mapped_column(String(200))  # saved uploads: who

    inspection: Mapped[Inspection | None] = relationship(back_populates="photo")


class RuleSetVersion(Base):
    """One saved text of a rule file (``name`` = file name under rules/, e.g. ``beverages.yaml``).

    ``is_valid`` is False for a text that failed validation (kept for the record); a run whose
    file is broken uses the newest valid version of that name instead.
    """

    __tablename__ = "rule_set_versions"
    __table_args__ = (UniqueConstraint("name", "content_hash"), Index(None, "name", "created_at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    content_hash: Mapped[str] = mapped_column(String(64))
    yaml_text: Mapped[str] = mapped_column(Text)
    is_valid: Mapped[bool] = mapped_column(Boolean, default=True)
    problems: Mapped[list[Any] | None] = mapped_column(JSON)
    author: Mapped[str] = mapped_column(String(200), default="system")
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Inspection(Base):
    """The result of inspecting one photo (at most one per photo: idempotency in the schema)."""

    __tablename__ = "inspections"
    __table_args__ = (
        _camera_fk(),
        Index(None, "store_id", "iso_week"),
        Index(None, "store_id", "camera_id", "captured_at"),
        Index(None, "store_id", "captured_on"),
        Index(None, "captured_at"),
        Index(None, "compliance"),
        # dashboard (migration 0201): one week across stores, answered from the index alone
        Index("ix_inspections_week_kpis", "iso_week", "store_id", "camera_id", "captured_at",
              "compliance", "osa", "price_compliance", "promo_compliance", "violation_count"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    photo_id: Mapped[int] = mapped_column(ForeignKey("photos.id", ondelete="CASCADE"), unique=True)
    store_id: Mapped[str] = mapped_column(String(64))
    camera_id: Mapped[str] = mapped_column(String(64))
    captured_at: Mapped[datetime] = mapped_column(DateTime)
    captured_on: Mapped[date] = mapped_column(Date)  # local day, for portable daily grouping
    iso_week: Mapped[str] = mapped_column(String(8))  # "2026-W46"
    planogram_id: Mapped[str | None] = mapped_column(String(100))
    inspector: Mapped[str] = mapped_column(String(32), default="models")  # models | truth | fake
    models: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # stage -> model version
    rule_set_hash: Mapped[str] = mapped_column(String(64), default="")
    rule_versions: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # file -> version id
    timings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # stage -> ms
    duration_ms: Mapped[float] = mapped_column(Float, default=0.0)
    width: Mapped[int] = mapped_column(Integer, default=0)
    height: Mapped[int] = mapped_column(Integer, default=0)
    compliance: Mapped[float | None] = mapped_column(Float)  # % of rules passed
    osa: Mapped[float | None] = mapped_column(Float)  # on-shelf availability %
    price_compliance: Mapped[float | None] = mapped_column(Float)
    promo_compliance: Mapped[float | None] = mapped_column(Float)
    share_of_shelf: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # brand -> %
    facings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # sku -> count
    kpis: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # everything else
    rule_results: Mapped[list[Any]] = mapped_column(JSON, default=list)  # per-rule pass/fail
    rules_passed: Mapped[int] = mapped_column(Integer, default=0)
    rules_failed: Mapped[int] = mapped_column(Integer, default=0)
    violation_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    photo: Mapped[Photo] = relationship(back_populates="inspection")
    detections: Mapped[InspectionDetections | None] = relationship(
        back_populates="inspection", cascade="all, delete-orphan"
    )
    violations: Mapped[list[Violation]] = relationship(
        back_populates="inspection", cascade="all, delete-orphan"
    )


class InspectionDetections(Base):
    """The detections JSON of one inspected photo (DESIGN.md contract, one photo object)."""

    __tablename__ = "detections"

    inspection_id: Mapped[int] = mapped_column(
        ForeignKey("inspections.id", ondelete="CASCADE"), primary_key=True
    )
    count: Mapped[int] = mapped_column(Integer, default=0)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)

    inspection: Mapped[Inspection] = relationship(back_populates="detections")


class Violation(Base):
    __tablename__ = "violations"
    __table_args__ = (
        _camera_fk(),
        Index(None, "inspection_id"),
        Index(None, "store_id", "iso_week"),
        Index(None, "store_id", "camera_id", "captured_at"),
        Index(None, "rule_id"),
        Index(None, "severity"),
        Index(None, "rule_type"),
        # dashboard (migration 0201)
        Index("ix_violations_week_camera", "iso_week", "store_id", "camera_id", "severity"),
        Index("ix_violations_week_rule", "iso_week", "rule_id", "rule_type", "severity"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    inspection_id: Mapped[int] = mapped_column(ForeignKey("inspections.id", ondelete="CASCADE"))
    store_id: Mapped[str] = mapped_column(String(64))
    camera_id: Mapped[str] = mapped_column(String(64))
    captured_at: Mapped[datetime] = mapped_column(DateTime)
    captured_on: Mapped[date] = mapped_column(Date)
    iso_week: Mapped[str] = mapped_column(String(8))
    rule_id: Mapped[str] = mapped_column(String(200))
    rule_type: Mapped[str] = mapped_column(String(64))
    severity: Mapped[str] = mapped_column(String(16))  # low | medium | high
    message: Mapped[str] = mapped_column(Text, default="")
    # {"boxes": [[x1, y1, x2, y2], ...], "shelf": 2, "sku": "...", "brand": "..."} (pixels)
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    inspection: Mapped[Inspection] = relationship(back_populates="violations")


class JobRun(Base):
    """One run of a scheduled or manual job (inspection run, weekly report, demo)."""

    __tablename__ = "job_runs"
    __table_args__ = (Index(None, "job", "started_at"), Index(None, "store_id", "started_at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job: Mapped[str] = mapped_column(String(64))  # inspect | report | demo
    store_id: Mapped[str | None] = mapped_column(String(64))
    trigger: Mapped[str] = mapped_column(String(32), default="manual")  # manual | scheduled
    status: Mapped[str] = mapped_column(String(16), default=RUNNING)
    started_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    duration_s: Mapped[float | None] = mapped_column(Float)
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    message: Mapped[str] = mapped_column(Text, default="")
    error: Mapped[str | None] = mapped_column(Text)
    pid: Mapped[int | None] = mapped_column(Integer)
    host: Mapped[str | None] = mapped_column(String(200))


class Report(Base):
    """A store's weekly report: the KPIs document and the exported files."""

    __tablename__ = "reports"
    __table_args__ = (UniqueConstraint("store_id", "iso_week"), Index(None, "iso_week"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    store_id: Mapped[str] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    iso_week: Mapped[str] = mapped_column(String(8))
    week_start: Mapped[date] = mapped_column(Date)
    inspections: Mapped[int] = mapped_column(Integer, default=0)
    compliance: Mapped[float | None] = mapped_column(Float)
    osa: Mapped[float | None] = mapped_column(Float)
    price_compliance: Mapped[float | None] = mapped_column(Float)
    promo_compliance: Mapped[float | None] = mapped_column(Float)
    kpis: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # the full report document
    files: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # format -> path
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Lease(Base):
    """At most one run per store: a lease row with a heartbeat (see :mod:`pipeline.db.locks`)."""

    __tablename__ = "leases"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)  # e.g. "inspect:s001"
    holder: Mapped[str] = mapped_column(String(200))  # host:pid:token
    pid: Mapped[int] = mapped_column(Integer)
    host: Mapped[str] = mapped_column(String(200))
    purpose: Mapped[str] = mapped_column(String(200), default="")
    acquired_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime)


# What a person said about a violation on Today's fixes
DONE = "done"
NOT_A_PROBLEM = "not_a_problem"
FEEDBACK_VERDICTS: tuple[str, ...] = (DONE, NOT_A_PROBLEM)


class FixFeedback(Base):
    """Who marked one violation done or not a problem, and when (the latest word counts).

    Rule, type, severity, store and camera are copied from the violation so the precision of
    each rule (share of its feedback that was "done") needs no joins.
    """

    __tablename__ = "fix_feedback"
    __table_args__ = (Index(None, "rule_id", "verdict"), Index(None, "store_id", "at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    violation_id: Mapped[int] = mapped_column(
        ForeignKey("violations.id", ondelete="CASCADE"), unique=True)
    inspection_id: Mapped[int] = mapped_column(Integer)
    store_id: Mapped[str] = mapped_column(String(64))
    camera_id: Mapped[str] = mapped_column(String(64))
    rule_id: Mapped[str] = mapped_column(String(200))
    rule_type: Mapped[str] = mapped_column(String(64))
    severity: Mapped[str] = mapped_column(String(16))
    verdict: Mapped[str] = mapped_column(String(16))  # done | not_a_problem
    actor: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class UploadExclusion(Base):
    """A saved upload taken out of every figure: its inspection as it was (rows and
    detections), kept so that it can count again; the photo file stays in the archive."""

    __tablename__ = "upload_exclusions"
    __table_args__ = (Index(None, "store_id", "excluded_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    photo_id: Mapped[int] = mapped_column(ForeignKey("photos.id", ondelete="CASCADE"),
                                          unique=True)
    store_id: Mapped[str] = mapped_column(String(64))
    camera_id: Mapped[str] = mapped_column(String(64))
    captured_at: Mapped[datetime] = mapped_column(DateTime)
    iso_week: Mapped[str] = mapped_column(String(8))
    excluded_by: Mapped[str] = mapped_column(String(200))
    excluded_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    reason: Mapped[str] = mapped_column(Text, default="")
    inspection: Mapped[dict[str, Any]] = mapped_column(JSON)  # see pipeline.queries.saved_uploads
