"""fixes and uploads: fix_feedback, upload_exclusions, photos.uploaded_by

Today's fixes records what a person said about each violation (``done`` or ``not_a_problem``,
who and when) — the precision of each rule is counted from it. A saved upload can be taken
out of the figures: its inspection is kept in ``upload_exclusions`` (to count it again) while
the photo stays; ``photos.uploaded_by`` names who saved an upload.

Revision ID: 0501
Revises: 0402
Create Date: 2026-12-03 14:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0501"
down_revision = "0402"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "fix_feedback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("violation_id", sa.Integer(), nullable=False),
        sa.Column("inspection_id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.String(length=64), nullable=False),
        sa.Column("camera_id", sa.String(length=64), nullable=False),
        sa.Column("rule_id", sa.String(length=200), nullable=False),
        sa.Column("rule_type", sa.String(length=64), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("verdict", sa.String(length=16), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["violation_id"], ["violations.id"], ondelete="CASCADE",
                                name=op.f("fk_fix_feedback_violation_id_violations")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fix_feedback")),
        sa.UniqueConstraint("violation_id", name=op.f("uq_fix_feedback_violation_id")),
    )
    op.create_index(op.f("ix_fix_feedback_rule_id_verdict"), "fix_feedback",
                    ["rule_id", "verdict"], unique=False)
    op.create_index(op.f("ix_fix_feedback_store_id_at"), "fix_feedback", ["store_id", "at"],
                    unique=False)
    op.create_table(
        "upload_exclusions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("photo_id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.String(length=64), nullable=False),
        sa.Column("camera_id", sa.String(length=64), nullable=False),
        sa.Column("captured_at", sa.DateTime(), nullable=False),
        sa.Column("iso_week", sa.String(length=8), nullable=False),
        sa.Column("excluded_by", sa.String(length=200), nullable=False),
        sa.Column("excluded_at", sa.DateTime(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("inspection", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["photo_id"], ["photos.id"], ondelete="CASCADE",
                                name=op.f("fk_upload_exclusions_photo_id_photos")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_upload_exclusions")),
        sa.UniqueConstraint("photo_id", name=op.f("uq_upload_exclusions_photo_id")),
    )
    op.create_index(op.f("ix_upload_exclusions_store_id_excluded_at"), "upload_exclusions",
                    ["store_id", "excluded_at"], unique=False)
    with op.batch_alter_table("photos") as batch:
        batch.add_column(sa.Column("uploaded_by", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("photos") as batch:
        batch.drop_column("uploaded_by")
    op.drop_index(op.f("ix_upload_exclusions_store_id_excluded_at"),
                  table_name="upload_exclusions")
    op.drop_table("upload_exclusions")
    op.drop_index(op.f("ix_fix_feedback_store_id_at"), table_name="fix_feedback")
    op.drop_index(op.f("ix_fix_feedback_rule_id_verdict"), table_name="fix_feedback")
    op.drop_table("fix_feedback")
