"""public answers (Điều 12), lookup attempts, agency e-mail notices

``published_answers``: a ticket's question (personal data masked, reviewed) and answer as
published on ``/hoi-dap/``; ``ticket_tracks.no_publish``: the citizen's wish not to be
published. ``public_attempts``: failed tries of the public lookup, counted per client
address and per ticket code (the rate limit holds across hub processes).
``console_users.email`` / ``email_notices``: where an agency officer gets the notices of
new, approaching and overdue tickets, and whether they want them.
``ticket_tracks.approaching_notified_for``: the deadline an agency was warned about.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 15:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.add_column("console_users", sa.Column("email", sa.String(320), nullable=True))
    op.add_column(
        "console_users", sa.Column("email_notices", sa.Boolean(), nullable=False, server_default=sa.true())
    )
    op.add_column(
        "ticket_tracks", sa.Column("no_publish", sa.Boolean(), nullable=False, server_default=sa.false())
    )
    op.add_column("ticket_tracks", sa.Column("approaching_notified_for", sa.DateTime(timezone=True)))
    op.create_table(
        "published_answers",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("ticket_id", BigId, sa.ForeignKey("tickets.id"), nullable=False, unique=True),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("domain", sa.String(300)),
        sa.Column("agency", sa.String(300)),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True)),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_by_id", BigId, sa.ForeignKey("console_users.id")),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True)),
        sa.Column("search_text", sa.Text(), nullable=False, server_default=""),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "public_attempts",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("scope", sa.String(20), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_public_attempts_scope_key_at", "public_attempts", ["scope", "key", "at"])


def downgrade() -> None:
    op.drop_index("ix_public_attempts_scope_key_at", table_name="public_attempts")
    op.drop_table("public_attempts")
    op.drop_table("published_answers")
    op.drop_column("ticket_tracks", "approaching_notified_for")
    op.drop_column("ticket_tracks", "no_publish")
    op.drop_column("console_users", "email_notices")
    op.drop_column("console_users", "email")
