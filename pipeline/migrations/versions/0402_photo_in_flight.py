"""store: photos.in_flight — attempts counted only against the photo that failed

A run used to raise ``attempts`` on every photo of a batch before inspecting it, so a run
killed mid-batch counted against all 16 photos and three crashes parked healthy photos in
``failed/``. ``in_flight`` records the size of the batch a photo was sent in until its result
is committed; the next run inspects the photos of an unfinished batch one by one and counts an
attempt only against a photo that was alone when the run died (see pipeline.inbox.runner).

Revision ID: 0402
Revises: 0401
Create Date: 2026-12-02 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0402"
down_revision = "0401"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("photos") as batch:
        batch.add_column(sa.Column("in_flight", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("photos") as batch:
        batch.drop_column("in_flight")
