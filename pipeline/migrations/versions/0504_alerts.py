"""alerts: the record of pushed messages (alert_messages, alert_items)

Issue #19 item 4: morning digests and immediate alerts by e-mail and webhooks. One
``alert_messages`` row per message per channel (kind, status, tries, last error, text; never a
secret), and ``alert_items`` for the violations an alert carried — by id and by problem key,
so the same problem is not alerted twice.

Revision ID: 0504
Revises: 0501
Create Date: 2026-12-09 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0504"
down_revision = "0501"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "alert_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("store_id", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=64), nullable=False),
        sa.Column("channel_type", sa.String(length=16), nullable=False),
        sa.Column("target", sa.String(length=500), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("subject", sa.String(length=500), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("dedup_key", sa.String(length=200), nullable=True),
        sa.Column("job_run_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_messages")),
    )
    op.create_index(op.f("ix_alert_messages_store_id_channel_created_at"), "alert_messages",
                    ["store_id", "channel", "created_at"])
    op.create_index(op.f("ix_alert_messages_store_id_kind_dedup_key"), "alert_messages",
                    ["store_id", "kind", "dedup_key"])
    op.create_table(
        "alert_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("violation_id", sa.Integer(), nullable=True),
        sa.Column("store_id", sa.String(length=64), nullable=False),
        sa.Column("camera_id", sa.String(length=64), nullable=False),
        sa.Column("problem_key", sa.String(length=400), nullable=False),
        sa.ForeignKeyConstraint(["message_id"], ["alert_messages.id"],
                                name=op.f("fk_alert_items_message_id_alert_messages"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_items")),
    )
    op.create_index(op.f("ix_alert_items_message_id"), "alert_items", ["message_id"])
    op.create_index(op.f("ix_alert_items_violation_id"), "alert_items", ["violation_id"])
    op.create_index(op.f("ix_alert_items_store_id_problem_key"), "alert_items",
                    ["store_id", "problem_key"])


def downgrade() -> None:
    op.drop_table("alert_items")
    op.drop_table("alert_messages")
