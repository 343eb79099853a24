"""lease holders and send attempts

The conversation lease gets its holder (``conversations.processing_by``) so only the
worker that holds it renews or releases it. An outbox row records that a send attempt
started (``sending_started_at``, cleared when its outcome is recorded) and how many
attempts may have reached the citizen twice (``possible_duplicates``).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("processing_by", sa.String(length=64), nullable=True))

    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sending_started_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("possible_duplicates", sa.Integer(), server_default="0", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("possible_duplicates")
        batch_op.drop_column("sending_started_at")

    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.drop_column("processing_by")
