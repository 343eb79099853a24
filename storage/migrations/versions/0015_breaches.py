"""breaches (issue 18): the personal-data breach register

``privacy_breaches``: one row per breach (what, when discovered, which data, how many people,
consequences, measures), the notification to the authority and the 72-hour clock's notices.

Revision ID: 0015
Revises: 0013
Create Date: 2026-12-03 23:20:00.000000
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0013"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _when(name: str, nullable: bool = True) -> sa.Column[Any]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "privacy_breaches",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        _when("discovered_at", nullable=False),
        _when("occurred_at"),
        sa.Column("data_categories", sa.Text(), nullable=False),
        sa.Column("affected_count", sa.Integer(), nullable=False),
        sa.Column("consequences", sa.Text(), nullable=False),
        sa.Column("measures", sa.Text(), nullable=False),
        sa.Column(
            "recorded_by_id",
            BigId,
            sa.ForeignKey("console_users.id", name="fk_privacy_breaches_recorded_by_id_console_users"),
        ),
        sa.Column("recorded_by", sa.String(100)),
        _when("created_at", nullable=False),
        _when("updated_at", nullable=False),
        _when("reminded_at"),
        _when("overdue_noticed_at"),
        _when("notified_at"),
        sa.Column("notified_ref", sa.String(200)),
        sa.Column("notified_by", sa.String(100)),
        _when("closed_at"),
        sa.Column("closed_by", sa.String(100)),
        sa.Column("close_note", sa.Text()),
    )
    op.create_index("ix_privacy_breaches_status_discovered", "privacy_breaches", ["status", "discovered_at"])


def downgrade() -> None:
    op.drop_index("ix_privacy_breaches_status_discovered", table_name="privacy_breaches")
    op.drop_table("privacy_breaches")
