"""merge issue 17's three branches (campaigns 0010, API tokens 0011, webhooks 0012), written
in parallel from 0009, into one head

Revision ID: 0013
Revises: 0010, 0011, 0012
Create Date: 2026-12-03 23:00:00.000000
"""

from __future__ import annotations

revision = "0013"
down_revision = ("0010", "0011", "0012")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
