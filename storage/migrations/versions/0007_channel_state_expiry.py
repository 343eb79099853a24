"""channel_state rows expire

``channel_state.expires_at``: every state-store write gives its value a time to live
(connectors' send progress, early receipts, tokens and cursors); reads ignore a row whose
time has passed and the outbox relay deletes such rows. NULL never expires (the hub's own
keys written without one).

Rows written before this revision had no expiry. The short-lived ones get the time to live
they would have been written with, counted from this upgrade: early receipts and
connectors' multi-part send progress a week, e-mail automatic-reply marks two days. The
others (token pairs, mailbox cursors, the hub's keys) keep none until written again.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 09:00:00.000000
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# key patterns of rows written before expiry existed -> their time to live from now
LEGACY_TTL = (
    ("receipt:%", timedelta(days=7)),  # storage.record.receipts.RECEIPT_TTL
    ("%:sent:%", timedelta(days=7)),  # connectors.base.SEND_PROGRESS_TTL
    ("%:email:auto-reply:%", timedelta(days=2)),  # connectors.email: two automatic-reply windows
)


def upgrade() -> None:
    op.add_column("channel_state", sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_channel_state_expires_at", "channel_state", ["expires_at"], unique=False)
    state = sa.table(
        "channel_state",
        sa.column("key", sa.String(200)),
        sa.column("expires_at", sa.DateTime(timezone=True)),
    )
    now = datetime.now(UTC)
    for pattern, ttl in LEGACY_TTL:
        op.execute(
            state.update()
            .where(state.c.key.like(pattern), state.c.expires_at.is_(None))
            .values(expires_at=now + ttl)
        )


def downgrade() -> None:
    op.drop_index("ix_channel_state_expires_at", table_name="channel_state")
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE channel_state DROP COLUMN expires_at")
    else:
        op.drop_column("channel_state", "expires_at")
