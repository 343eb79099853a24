"""Tables of issue 17's campaigns (Zalo OA announcements to followers).

Campaign ─< CampaignRecipient     an announcement on one channel and each identity it goes to
CampaignOptOut                    identities that asked to receive no more announcements
ContactTag                        free tags on a contact, one audience of a campaign

Each table is changed by one module of ``campaigns/``: ``campaigns.states`` (campaigns),
``campaigns.recipients`` (campaign_recipients), ``campaigns.opt_out`` (campaign_opt_outs),
``campaigns.tags`` (contact_tags).
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base, BigId


class CampaignStatus(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    SENDING = "sending"
    DONE = "done"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    HALTED = "halted"


class RecipientStatus(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    SKIPPED = "skipped"
    FAILED = "failed"


class Campaign(Base):
    __tablename__ = "campaigns"
    __table_args__ = (Index("ix_campaigns_status_scheduled", "status", "scheduled_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    channel: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(20))  # "promotion" | "article"
    title: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text, default="")
    image_url: Mapped[str | None] = mapped_column(String(1000))
    link_url: Mapped[str | None] = mapped_column(String(1000))
    link_title: Mapped[str | None] = mapped_column(String(200))
    article: Mapped[dict[str, Any] | None]  # title, description, body, cover_url, author
    target: Mapped[dict[str, Any] | None]  # article broadcast: city, age, gender, platform
    audience: Mapped[dict[str, Any]]  # {"kind": "all"|"tag"|"district"|"interaction", ...}
    scheduled_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(20))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("console_users.id"))
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("console_users.id"))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("console_users.id"))
    decided_at: Mapped[datetime | None]
    reject_reason: Mapped[str | None] = mapped_column(Text)
    halt_reason: Mapped[str | None] = mapped_column(String(40))
    halt_message: Mapped[str | None] = mapped_column(Text)
    vendor_ref: Mapped[str | None] = mapped_column(String(200))  # article token / id / broadcast id
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    claimed_until: Mapped[datetime | None]  # a worker expanding/finishing it
    claim_token: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class CampaignRecipient(Base):
    __tablename__ = "campaign_recipients"
    __table_args__ = (
        UniqueConstraint("campaign_id", "identity_id", name="uq_campaign_recipient"),
        Index("ix_campaign_recipients_due", "campaign_id", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    identity_id: Mapped[int] = mapped_column(ForeignKey("channel_identities.id"))
    external_id: Mapped[str] = mapped_column(String(320))
    status: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(String(40))
    vendor_id: Mapped[str | None] = mapped_column(String(200))
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    claimed_until: Mapped[datetime | None]
    claim_token: Mapped[str | None] = mapped_column(String(64))
    sent_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class CampaignOptOut(Base):
    __tablename__ = "campaign_opt_outs"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    identity_id: Mapped[int] = mapped_column(ForeignKey("channel_identities.id"), unique=True)
    at: Mapped[datetime]


class ContactTag(Base):
    __tablename__ = "contact_tags"
    __table_args__ = (
        UniqueConstraint("contact_id", "tag", name="uq_contact_tag"),
        Index("ix_contact_tags_tag", "tag"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"))
    tag: Mapped[str] = mapped_column(String(60))
    created_at: Mapped[datetime]
