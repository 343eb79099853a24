"""campaigns: announcements to a channel's followers (issue 17)

``campaigns``: an announcement (promotion message or article broadcast), its audience, its
four-eyes approval and its state; ``campaign_recipients``: one row per identity it goes to,
claimed by workers with a token and an expiry, with its outcome (sent, skipped + reason,
failed); ``campaign_opt_outs``: identities that asked for no more announcements;
``contact_tags``: tags on contacts (an audience).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 22:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
When = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "campaigns",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("image_url", sa.String(1000)),
        sa.Column("link_url", sa.String(1000)),
        sa.Column("link_title", sa.String(200)),
        sa.Column("article", sa.JSON()),
        sa.Column("target", sa.JSON()),
        sa.Column("audience", sa.JSON(), nullable=False),
        sa.Column("scheduled_at", When),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("created_by_id", BigId, sa.ForeignKey("console_users.id")),
        sa.Column("submitted_by_id", BigId, sa.ForeignKey("console_users.id")),
        sa.Column("decided_by_id", BigId, sa.ForeignKey("console_users.id")),
        sa.Column("decided_at", When),
        sa.Column("reject_reason", sa.Text()),
        sa.Column("halt_reason", sa.String(40)),
        sa.Column("halt_message", sa.Text()),
        sa.Column("vendor_ref", sa.String(200)),
        sa.Column("started_at", When),
        sa.Column("finished_at", When),
        sa.Column("claimed_until", When),
        sa.Column("claim_token", sa.String(64)),
        sa.Column("created_at", When, nullable=False),
        sa.Column("updated_at", When, nullable=False),
    )
    op.create_index("ix_campaigns_status_scheduled", "campaigns", ["status", "scheduled_at"])
    op.create_table(
        "campaign_recipients",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("campaign_id", BigId, sa.ForeignKey("campaigns.id"), nullable=False),
        sa.Column("identity_id", BigId, sa.ForeignKey("channel_identities.id"), nullable=False),
        sa.Column("external_id", sa.String(320), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("reason", sa.String(40)),
        sa.Column("vendor_id", sa.String(200)),
        sa.Column("error", sa.Text()),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", When, nullable=False),
        sa.Column("claimed_until", When),
        sa.Column("claim_token", sa.String(64)),
        sa.Column("sent_at", When),
        sa.Column("created_at", When, nullable=False),
        sa.Column("updated_at", When, nullable=False),
        sa.UniqueConstraint("campaign_id", "identity_id", name="uq_campaign_recipient"),
    )
    op.create_index(
        "ix_campaign_recipients_due", "campaign_recipients", ["campaign_id", "status", "next_attempt_at"]
    )
    op.create_table(
        "campaign_opt_outs",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("identity_id", BigId, sa.ForeignKey("channel_identities.id"), nullable=False, unique=True),
        sa.Column("at", When, nullable=False),
    )
    op.create_table(
        "contact_tags",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("contact_id", BigId, sa.ForeignKey("contacts.id"), nullable=False),
        sa.Column("tag", sa.String(60), nullable=False),
        sa.Column("created_at", When, nullable=False),
        sa.UniqueConstraint("contact_id", "tag", name="uq_contact_tag"),
    )
    op.create_index("ix_contact_tags_tag", "contact_tags", ["tag"])


def downgrade() -> None:
    op.drop_index("ix_contact_tags_tag", table_name="contact_tags")
    op.drop_table("contact_tags")
    op.drop_table("campaign_opt_outs")
    op.drop_index("ix_campaign_recipients_due", table_name="campaign_recipients")
    op.drop_table("campaign_recipients")
    op.drop_index("ix_campaigns_status_scheduled", table_name="campaigns")
    op.drop_table("campaigns")
