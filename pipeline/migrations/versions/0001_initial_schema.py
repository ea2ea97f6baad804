"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-23 14:14:33.528765
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "job_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job", sa.String(length=64), nullable=False),
        sa.Column("store_id", sa.String(length=64), nullable=True),
        sa.Column("trigger", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("duration_s", sa.Float(), nullable=True),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("pid", sa.Integer(), nullable=True),
        sa.Column("host", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_runs")),
    )
    with op.batch_alter_table("job_runs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_job_runs_job_started_at"), ["job", "started_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_job_runs_store_id_started_at"), ["store_id", "started_at"], unique=False
        )

    op.create_table(
        "leases",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("holder", sa.String(length=200), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("host", sa.String(length=200), nullable=False),
        sa.Column("purpose", sa.String(length=200), nullable=False),
        sa.Column("acquired_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_leases")),
    )
    op.create_table(
        "rule_set_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("yaml_text", sa.Text(), nullable=False),
        sa.Column("is_valid", sa.Boolean(), nullable=False),
        sa.Column("problems", sa.JSON(), nullable=True),
        sa.Column("author", sa.String(length=200), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rule_set_versions")),
        sa.UniqueConstraint(
            "name", "content_hash", name=op.f("uq_rule_set_versions_name_content_hash")
        ),
    )
    with op.batch_alter_table("rule_set_versions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_rule_set_versions_name_created_at"), ["name", "created_at"], unique=False
        )

    op.create_table(
        "stores",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("schedule", sa.String(length=200), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stores")),
    )
    op.create_table(
        "cameras",
        sa.Column("store_id", sa.String(length=64), nullable=False),
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("planogram_id", sa.String(length=100), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["store_id"], ["stores.id"], name=op.f("fk_cameras_store_id_stores"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("store_id", "id", name=op.f("pk_cameras")),
    )
    op.create_table(
        "reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.String(length=64), nullable=False),
        sa.Column("iso_week", sa.String(length=8), nullable=False),
        sa.Column("week_start", sa.Date(), nullable=False),
        sa.Column("inspections", sa.Integer(), nullable=False),
        sa.Column("compliance", sa.Float(), nullable=True),
        sa.Column("osa", sa.Float(), nullable=True),
        sa.Column("price_compliance", sa.Float(), nullable=True),
        sa.Column("promo_compliance", sa.Float(), nullable=True),
        sa.Column("kpis", sa.JSON(), nullable=False),
        sa.Column("files", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["store_id"], ["stores.id"], name=op.f("fk_reports_store_id_stores"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reports")),
        sa.UniqueConstraint("store_id", "iso_week", name=op.f("uq_reports_store_id_iso_week")),
    )
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reports_iso_week"), ["iso_week"], unique=False)

    op.create_table(
        "photos",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("store_id", sa.String(length=64), nullable=False),
        sa.Column("camera_id", sa.String(length=64), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("original_name", sa.String(length=500), nullable=False),
        sa.Column("captured_at", sa.DateTime(), nullable=False),
        sa.Column("captured_from", sa.String(length=16), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("width", sa.Integer(), nullable=True),
        sa.Column("height", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["store_id", "camera_id"],
            ["cameras.store_id", "cameras.id"],
            name=op.f("fk_photos_store_id_cameras"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_photos")),
        sa.UniqueConstraint("sha256", name=op.f("uq_photos_sha256")),
    )
    with op.batch_alter_table("photos", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_photos_state"), ["state"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_photos_store_id_camera_id_captured_at"),
            ["store_id", "camera_id", "captured_at"],
            unique=False,
        )

    op.create_table(
        "inspections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("photo_id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.String(length=64), nullable=False),
        sa.Column("camera_id", sa.String(length=64), nullable=False),
        sa.Column("captured_at", sa.DateTime(), nullable=False),
        sa.Column("captured_on", sa.Date(), nullable=False),
        sa.Column("iso_week", sa.String(length=8), nullable=False),
        sa.Column("planogram_id", sa.String(length=100), nullable=True),
        sa.Column("inspector", sa.String(length=32), nullable=False),
        sa.Column("models", sa.JSON(), nullable=False),
        sa.Column("rule_set_hash", sa.String(length=64), nullable=False),
        sa.Column("rule_versions", sa.JSON(), nullable=False),
        sa.Column("timings", sa.JSON(), nullable=False),
        sa.Column("duration_ms", sa.Float(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("compliance", sa.Float(), nullable=True),
        sa.Column("osa", sa.Float(), nullable=True),
        sa.Column("price_compliance", sa.Float(), nullable=True),
        sa.Column("promo_compliance", sa.Float(), nullable=True),
        sa.Column("share_of_shelf", sa.JSON(), nullable=False),
        sa.Column("facings", sa.JSON(), nullable=False),
        sa.Column("kpis", sa.JSON(), nullable=False),
        sa.Column("rule_results", sa.JSON(), nullable=False),
        sa.Column("rules_passed", sa.Integer(), nullable=False),
        sa.Column("rules_failed", sa.Integer(), nullable=False),
        sa.Column("violation_count", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["photo_id"],
            ["photos.id"],
            name=op.f("fk_inspections_photo_id_photos"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["store_id", "camera_id"],
            ["cameras.store_id", "cameras.id"],
            name=op.f("fk_inspections_store_id_cameras"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inspections")),
        sa.UniqueConstraint("photo_id", name=op.f("uq_inspections_photo_id")),
    )
    with op.batch_alter_table("inspections", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_inspections_captured_at"), ["captured_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_inspections_compliance"), ["compliance"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_inspections_store_id_camera_id_captured_at"),
            ["store_id", "camera_id", "captured_at"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_inspections_store_id_captured_on"),
            ["store_id", "captured_on"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_inspections_store_id_iso_week"), ["store_id", "iso_week"], unique=False
        )

    op.create_table(
        "detections",
        sa.Column("inspection_id", sa.Integer(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["inspection_id"],
            ["inspections.id"],
            name=op.f("fk_detections_inspection_id_inspections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("inspection_id", name=op.f("pk_detections")),
    )
    op.create_table(
        "violations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("inspection_id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.String(length=64), nullable=False),
        sa.Column("camera_id", sa.String(length=64), nullable=False),
        sa.Column("captured_at", sa.DateTime(), nullable=False),
        sa.Column("captured_on", sa.Date(), nullable=False),
        sa.Column("iso_week", sa.String(length=8), nullable=False),
        sa.Column("rule_id", sa.String(length=200), nullable=False),
        sa.Column("rule_type", sa.String(length=64), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["inspection_id"],
            ["inspections.id"],
            name=op.f("fk_violations_inspection_id_inspections"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["store_id", "camera_id"],
            ["cameras.store_id", "cameras.id"],
            name=op.f("fk_violations_store_id_cameras"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_violations")),
    )
    with op.batch_alter_table("violations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_violations_inspection_id"), ["inspection_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_violations_rule_id"), ["rule_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_violations_rule_type"), ["rule_type"], unique=False)
        batch_op.create_index(batch_op.f("ix_violations_severity"), ["severity"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_violations_store_id_camera_id_captured_at"),
            ["store_id", "camera_id", "captured_at"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_violations_store_id_iso_week"), ["store_id", "iso_week"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("violations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_violations_store_id_iso_week"))
        batch_op.drop_index(batch_op.f("ix_violations_store_id_camera_id_captured_at"))
        batch_op.drop_index(batch_op.f("ix_violations_severity"))
        batch_op.drop_index(batch_op.f("ix_violations_rule_type"))
        batch_op.drop_index(batch_op.f("ix_violations_rule_id"))
        batch_op.drop_index(batch_op.f("ix_violations_inspection_id"))

    op.drop_table("violations")
    op.drop_table("detections")
    with op.batch_alter_table("inspections", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inspections_store_id_iso_week"))
        batch_op.drop_index(batch_op.f("ix_inspections_store_id_captured_on"))
        batch_op.drop_index(batch_op.f("ix_inspections_store_id_camera_id_captured_at"))
        batch_op.drop_index(batch_op.f("ix_inspections_compliance"))
        batch_op.drop_index(batch_op.f("ix_inspections_captured_at"))

    op.drop_table("inspections")
    with op.batch_alter_table("photos", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_photos_store_id_camera_id_captured_at"))
        batch_op.drop_index(batch_op.f("ix_photos_state"))

    op.drop_table("photos")
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reports_iso_week"))

    op.drop_table("reports")
    op.drop_table("cameras")
    op.drop_table("stores")
    with op.batch_alter_table("rule_set_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rule_set_versions_name_created_at"))

    op.drop_table("rule_set_versions")
    op.drop_table("leases")
    with op.batch_alter_table("job_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_job_runs_store_id_started_at"))
        batch_op.drop_index(batch_op.f("ix_job_runs_job_started_at"))

    op.drop_table("job_runs")
