"""integration API (issue 17): API tokens, rate-limit windows, idempotency keys, sources

``api_tokens``: other apps' credentials (SHA-256 only, scopes, revocation).
``api_rate_windows``: requests per token per fixed window (when there is no Redis).
``api_idempotency_keys``: a token's ``Idempotency-Key`` with the request's fingerprint and
the stored response, until it expires. ``api_ticket_sources``: the app and its reference
of a ticket created through ``POST /api/v1/tickets``.

Revision ID: 0011
Revises: 0009
Create Date: 2026-12-03 22:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0009"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "api_tokens",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("prefix", sa.String(20), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("scopes", sa.JSON(), nullable=False),
        sa.Column("created_by_id", BigId, sa.ForeignKey("console_users.id")),
        sa.Column("created_by", sa.String(100)),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("last_used_at", TS),
        sa.Column("revoked_at", TS),
    )
    op.create_table(
        "api_rate_windows",
        sa.Column("token_id", BigId, sa.ForeignKey("api_tokens.id"), primary_key=True),
        sa.Column("window_start", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("count", sa.Integer(), nullable=False),
    )
    op.create_table(
        "api_idempotency_keys",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("token_id", BigId, sa.ForeignKey("api_tokens.id"), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("response", sa.JSON(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("expires_at", TS, nullable=False, index=True),
        sa.UniqueConstraint("token_id", "key", name="uq_api_idempotency_keys_token_key"),
    )
    op.create_table(
        "api_ticket_sources",
        sa.Column("ticket_id", BigId, sa.ForeignKey("tickets.id"), primary_key=True),
        sa.Column("token_id", BigId, sa.ForeignKey("api_tokens.id"), nullable=False),
        sa.Column("source_app", sa.String(100), nullable=False),
        sa.Column("external_ref", sa.String(200)),
        sa.Column("created_at", TS, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("api_ticket_sources")
    op.drop_table("api_idempotency_keys")
    op.drop_table("api_rate_windows")
    op.drop_table("api_tokens")
