"""download links of a data request's copy (issue 18): ``data_copy_links``

A view/copy answer gives the citizen a link to download the export (JSON, .xlsx, PDF); only
the token's SHA-256 is stored, with its expiry and download count.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-04 04:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
When = sa.DateTime(timezone=True)


def _fk(column: str, target: str) -> sa.ForeignKey:
    return sa.ForeignKey(f"{target}.id", name=f"fk_data_copy_links_{column}_{target}")


def upgrade() -> None:
    op.create_table(
        "data_copy_links",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("request_id", BigId, _fk("request_id", "data_requests"), nullable=False),
        sa.Column("contact_id", BigId, _fk("contact_id", "contacts"), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("created_at", When, nullable=False),
        sa.Column("expires_at", When, nullable=False),
        sa.Column("downloads", sa.Integer(), nullable=False),
        sa.Column("last_download_at", When),
        sa.UniqueConstraint("token_hash", name="uq_data_copy_links_token_hash"),
    )
    op.create_index("ix_data_copy_links_request_id", "data_copy_links", ["request_id"])
    op.create_index("ix_data_copy_links_contact_id", "data_copy_links", ["contact_id"])


def downgrade() -> None:
    op.drop_table("data_copy_links")
