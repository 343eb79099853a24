"""privacy requests (issue 18): data requests, restrictions, one-time codes

``data_requests``: a citizen's request about their data (kind, channel, verification,
status, the Decree 356 deadlines). ``contact_restrictions``: processing restricted or
objected to. ``data_request_codes``: hashed one-time codes of the public form.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 23:20:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
When = sa.DateTime(timezone=True)


def _fk(table: str, column: str, target: str) -> sa.ForeignKey:
    return sa.ForeignKey(f"{target}.id", name=f"fk_{table}_{column}_{target}")


def upgrade() -> None:
    op.create_table(
        "data_requests",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("reference", sa.String(32), nullable=False),
        sa.Column("contact_id", BigId, _fk("data_requests", "contact_id", "contacts"), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("conversation_id", BigId, _fk("data_requests", "conversation_id", "conversations")),
        sa.Column("text", sa.Text()),
        sa.Column("verification", sa.String(20), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("received_at", When, nullable=False),
        sa.Column("ack_due", When, nullable=False),
        sa.Column("due_at", When, nullable=False),
        sa.Column("acknowledged_at", When),
        sa.Column("extended_due", When),
        sa.Column("extension_reason", sa.Text()),
        sa.Column("answered_at", When),
        sa.Column("answer", sa.Text()),
        sa.Column("refusal_basis", sa.Text()),
        sa.Column("handled_by", sa.String(100)),
        sa.Column("email", sa.String(320)),
        sa.Column("answer_message_id", BigId, _fk("data_requests", "answer_message_id", "messages")),
        sa.Column("anonymised_at", When),
        sa.UniqueConstraint("reference", name="uq_data_requests_reference"),
    )
    op.create_index("ix_data_requests_contact_id", "data_requests", ["contact_id"])
    op.create_index("ix_data_requests_conversation_id", "data_requests", ["conversation_id"])
    op.create_index("ix_data_requests_status_due", "data_requests", ["status", "due_at"])
    op.create_table(
        "contact_restrictions",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("contact_id", BigId, _fk("contact_restrictions", "contact_id", "contacts"), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("request_id", BigId, _fk("contact_restrictions", "request_id", "data_requests")),
        sa.Column("since", When, nullable=False),
        sa.Column("lifted_at", When),
        sa.Column("lifted_by", sa.String(100)),
    )
    op.create_index("ix_contact_restrictions_contact_id", "contact_restrictions", ["contact_id"])
    op.create_table(
        "data_request_codes",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("token", sa.String(64), nullable=False),
        sa.Column("subject_id", BigId, _fk("data_request_codes", "subject_id", "contacts"), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("text", sa.Text()),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("expires_at", When, nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("used_at", When),
        sa.Column("created_at", When, nullable=False),
        sa.UniqueConstraint("token", name="uq_data_request_codes_token"),
    )
    op.create_index("ix_data_request_codes_subject_id", "data_request_codes", ["subject_id"])


def downgrade() -> None:
    op.drop_table("data_request_codes")
    op.drop_table("contact_restrictions")
    op.drop_table("data_requests")
