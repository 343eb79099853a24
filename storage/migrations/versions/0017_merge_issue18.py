"""merge issue 18's three branches (data requests 0014, breaches 0015, retention 0016),
written in parallel from 0013, into one head

Revision ID: 0017
Revises: 0014, 0015, 0016
Create Date: 2026-12-03 23:45:00.000000
"""

from __future__ import annotations

revision = "0017"
down_revision = ("0014", "0015", "0016")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
