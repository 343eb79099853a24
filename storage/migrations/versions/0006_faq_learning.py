"""FAQ learning from use

``faq_feedback`` records every resolved match of a citizen's message to an FAQ entry (a
tapped suggestion, an operator's answer from the console's FAQ search, a bot answer marked
wrong). ``faq_phrasing_reviews`` holds the agency officers' decisions on the phrasings
proposed from them (accepted into a new FAQ version, or rejected: never proposed again).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 14:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "faq_feedback",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("message_text", sa.Text(), nullable=False),
        sa.Column("text_key", sa.Text(), nullable=False),
        sa.Column("message_id", BIG_ID, nullable=True),
        sa.Column("conversation_id", BIG_ID, nullable=True),
        sa.Column("entry_id", sa.String(length=100), nullable=False),
        sa.Column("agency", sa.String(length=300), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("user_id", BIG_ID, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_faq_feedback")),
    )
    op.create_index("ix_faq_feedback_agency_entry", "faq_feedback", ["agency", "entry_id"], unique=False)
    op.create_index("ix_faq_feedback_message_id", "faq_feedback", ["message_id"], unique=False)
    op.create_table(
        "faq_phrasing_reviews",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("agency", sa.String(length=300), nullable=False),
        sa.Column("entry_id", sa.String(length=100), nullable=False),
        sa.Column("text_key", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("decision", sa.String(length=20), nullable=False),
        sa.Column("version_id", BIG_ID, nullable=True),
        sa.Column("user_id", BIG_ID, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["faq_versions.id"],
            name=op.f("fk_faq_phrasing_reviews_version_id_faq_versions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_faq_phrasing_reviews")),
        sa.UniqueConstraint("agency", "entry_id", "text_key", name="uq_faq_phrasing_reviews_key"),
    )


def downgrade() -> None:
    op.drop_table("faq_phrasing_reviews")
    op.drop_index("ix_faq_feedback_message_id", table_name="faq_feedback")
    op.drop_index("ix_faq_feedback_agency_entry", table_name="faq_feedback")
    op.drop_table("faq_feedback")
