"""retention (issue 18): legal holds and the daily retention runs

``legal_holds``: a contact, ticket or conversation the retention job and anonymisation must
not touch until the hold is released. ``anonymised_objects``: what was anonymised, when,
why. ``retention_runs``: one row per local day the job ran
(its primary key is the day: a second worker cannot run the same day), with the counts.

Revision ID: 0016
Revises: 0013
Create Date: 2026-12-03 23:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0013"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "legal_holds",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("object_kind", sa.String(20), nullable=False),
        sa.Column("object_id", BigId, nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column(
            "set_by_id",
            BigId,
            sa.ForeignKey("console_users.id", name="fk_legal_holds_set_by_id_console_users"),
        ),
        sa.Column("set_by", sa.String(100)),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("released_at", sa.DateTime(timezone=True)),
        sa.Column("released_by", sa.String(100)),
    )
    op.create_index("ix_legal_holds_object", "legal_holds", ["object_kind", "object_id"])
    op.create_table(
        "retention_runs",
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.Column("counts", sa.JSON()),
    )
    op.create_table(
        "anonymised_objects",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("object_kind", sa.String(20), nullable=False),
        sa.Column("object_id", BigId, nullable=False),
        sa.Column("reason", sa.String(100), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("object_kind", "object_id", name="uq_anonymised_objects_kind_id"),
    )


def downgrade() -> None:
    op.drop_table("anonymised_objects")
    op.drop_table("retention_runs")
    op.drop_index("ix_legal_holds_object", table_name="legal_holds")
    op.drop_table("legal_holds")
