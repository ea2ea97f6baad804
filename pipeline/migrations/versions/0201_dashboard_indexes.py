"""dashboard: week-first covering indexes for the Overview, Trends and what-if queries

The dashboard asks "this week, every store in scope": the initial (store_id, iso_week)
indexes cannot answer that without a full scan. These put the week first and carry the
columns the aggregates read, so SQLite and PostgreSQL answer from the index alone.

Revision ID: 0201
Revises: 0101
Create Date: 2026-11-23 16:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0201"
down_revision = "0101"
branch_labels = None
depends_on = None

INDEXES = {
    "ix_inspections_week_kpis": ("inspections", [
        "iso_week", "store_id", "camera_id", "captured_at", "compliance", "osa",
        "price_compliance", "promo_compliance", "violation_count"]),
    "ix_violations_week_camera": ("violations", ["iso_week", "store_id", "camera_id",
                                                 "severity"]),
    "ix_violations_week_rule": ("violations", ["iso_week", "rule_id", "rule_type", "severity"]),
}


def upgrade() -> None:
    for name, (table, columns) in INDEXES.items():
        op.create_index(name, table, columns, unique=False, if_not_exists=True)


def downgrade() -> None:
    for name, (table, _) in INDEXES.items():
        op.drop_index(name, table_name=table, if_exists=True)
