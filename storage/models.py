"""The one conversation model of the hub (SQLAlchemy 2, typed ORM).

Contact ─< ChannelIdentity          a person and the ids they have on each channel
Contact ─< Conversation ─< Message  a thread on one channel, its messages in ``seq`` order
Conversation ─ previous ─> Conversation  a new one after a close, linked to the closed one
Message ─< Attachment
Conversation ─< Ticket              the record a human workflow hangs on (phiếu)
OutboxItem                          replies waiting for the relay to send them
ChannelState, Lease                 connector state and cross-worker leases
WebhookFailure                      deliveries we could not parse: kept, never lost
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from connectors.base import DeliveryStatus

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# SQLite only auto-increments INTEGER PRIMARY KEY; PostgreSQL gets BIGINT identities.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class ConversationState(enum.StrEnum):
    BOT = "bot"
    WAITING_HUMAN = "waiting_human"
    HUMAN = "human"
    CLOSED = "closed"


class Direction(enum.StrEnum):
    INBOUND = "in"
    OUTBOUND = "out"
    INTERNAL = "internal"  # operator notes, system records: never sent


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        dict[str, Any]: JSON,
        list[str]: JSON,
        datetime: DateTime(timezone=True),
    }


class Contact(Base):
    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    display_name: Mapped[str | None] = mapped_column(String(200))
    full_name: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(32))
    email: Mapped[str | None] = mapped_column(String(320))
    address: Mapped[str | None] = mapped_column(Text)
    organisation: Mapped[str | None] = mapped_column(String(300))
    # set when an operator merges this contact into another one; the survivor keeps the data
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"), index=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    identities: Mapped[list[ChannelIdentity]] = relationship(back_populates="contact")


class ChannelIdentity(Base):
    __tablename__ = "channel_identities"
    __table_args__ = (UniqueConstraint("channel", "external_id", name="uq_identity_channel_external"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"), index=True)
    channel: Mapped[str] = mapped_column(String(32))
    external_id: Mapped[str] = mapped_column(String(320))
    display_name: Mapped[str | None] = mapped_column(String(200))
    following: Mapped[bool | None] = mapped_column(Boolean)  # Zalo OA follower status
    profile: Mapped[dict[str, Any] | None]
    profile_fetched_at: Mapped[datetime | None]
    created_at: Mapped[datetime]

    contact: Mapped[Contact] = relationship(back_populates="identities")


class Conversation(Base):
    __tablename__ = "conversations"
    __table_args__ = (Index("ix_conversations_state_updated", "state", "updated_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"), index=True)
    identity_id: Mapped[int] = mapped_column(ForeignKey("channel_identities.id"), index=True)
    channel: Mapped[str] = mapped_column(String(32))
    thread_key: Mapped[str | None] = mapped_column(String(500))  # e.g. an e-mail thread root
    state: Mapped[str] = mapped_column(String(20), default=ConversationState.BOT.value)
    last_seq: Mapped[int] = mapped_column(Integer, default=0)
    last_inbound_at: Mapped[datetime | None]
    waiting_since: Mapped[datetime | None]
    handoff_reason: Mapped[str | None] = mapped_column(Text)
    assignee_id: Mapped[int | None] = mapped_column(Integer)  # operator holding it (console)
    processing_until: Mapped[datetime | None]  # pipeline lease: one worker at a time
    processing_by: Mapped[str | None] = mapped_column(String(64))  # the lease's holder token
    # the dialogue state between turns (actions.dialogue.DialogueState.to_json())
    dialogue: Mapped[dict[str, Any] | None]
    # the closed conversation this one follows (the citizen wrote again after a close)
    previous_id: Mapped[int | None] = mapped_column(ForeignKey("conversations.id"), index=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    identity: Mapped[ChannelIdentity] = relationship()
    contact: Mapped[Contact] = relationship()


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("conversation_id", "seq", name="uq_messages_conversation_seq"),
        # exactly-once ingest: one row per (channel, channel message id)
        Index(
            "uq_messages_channel_msgid",
            "channel",
            "channel_message_id",
            unique=True,
            sqlite_where=text("channel_message_id IS NOT NULL"),
            postgresql_where=text("channel_message_id IS NOT NULL"),
        ),
        Index("ix_messages_pending", "processed", "conversation_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"))
    seq: Mapped[int] = mapped_column(Integer)
    channel: Mapped[str] = mapped_column(String(32))
    direction: Mapped[str] = mapped_column(String(10))
    sender_role: Mapped[str] = mapped_column(String(20))
    sender_user_id: Mapped[int | None] = mapped_column(Integer)  # operator/agency account
    text: Mapped[str] = mapped_column(Text, default="")
    channel_message_id: Mapped[str | None] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(20), default=DeliveryStatus.QUEUED.value)
    status_reason: Mapped[str | None] = mapped_column(Text)
    # inbound citizen messages wait here until the pipeline has answered them
    processed: Mapped[bool] = mapped_column(Boolean, default=True)
    auto_generated: Mapped[bool] = mapped_column(Boolean, default=False)
    meta: Mapped[dict[str, Any] | None]
    sent_at: Mapped[datetime | None]  # the channel's timestamp (inbound) or our send time
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="message", order_by="Attachment.id", lazy="selectin"
    )


class Attachment(Base):
    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str | None] = mapped_column(String(500))
    size: Mapped[int | None] = mapped_column(BigInteger)
    mime_type: Mapped[str | None] = mapped_column(String(200))
    url: Mapped[str | None] = mapped_column(Text)
    stored_path: Mapped[str | None] = mapped_column(Text)
    meta: Mapped[dict[str, Any] | None]

    message: Mapped[Message] = relationship(back_populates="attachments")


class Ticket(Base):
    """Phiếu: the handoff workflow fills it out (status history, agency, deadline)."""

    __tablename__ = "tickets"
    __table_args__ = (UniqueConstraint("year", "number", name="uq_tickets_year_number"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    year: Mapped[int] = mapped_column(Integer)
    number: Mapped[int] = mapped_column(Integer)
    conversation_id: Mapped[int | None] = mapped_column(ForeignKey("conversations.id"), index=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"), index=True)
    channel: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(30), default="new")
    kind: Mapped[str] = mapped_column(String(30), default="request")  # request | incident | call
    content: Mapped[str] = mapped_column(Text, default="")
    contact_snapshot: Mapped[dict[str, Any] | None]
    domain: Mapped[str | None] = mapped_column(String(300))
    agency: Mapped[str | None] = mapped_column(String(300))
    due_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    # code, content, citizen's name and phone folded (storage.search) for the console's
    # accentless search; kept by handoff.tickets, the owner of a ticket's creation and content
    search_text: Mapped[str] = mapped_column(Text, default="", server_default="")


class TicketCounter(Base):
    """Sequential ticket numbers per year (row-locked while a number is taken)."""

    __tablename__ = "ticket_counters"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_number: Mapped[int] = mapped_column(Integer, default=0)


class OutboxItem(Base):
    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "done", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id"), unique=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"), index=True)
    channel: Mapped[str] = mapped_column(String(32))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    claimed_until: Mapped[datetime | None]
    claim_token: Mapped[str | None] = mapped_column(String(64), index=True)
    done: Mapped[bool] = mapped_column(Boolean, default=False)
    last_error: Mapped[str | None] = mapped_column(Text)
    # set before the channel is called, cleared when its outcome is recorded: still set at
    # the next attempt means the last one may have reached the citizen (possible duplicate)
    sending_started_at: Mapped[datetime | None]
    possible_duplicates: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime]


class ChannelState(Base):
    """Small keyed state: connectors' (:class:`storage.record.state.HubStateStore`), early
    receipts, the hub's own. A row whose ``expires_at`` has passed is no value: reads ignore
    it and :func:`storage.record.state.purge_expired` deletes it; None never expires."""

    __tablename__ = "channel_state"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime]
    expires_at: Mapped[datetime | None] = mapped_column(index=True)


class Lease(Base):
    """A named cross-worker lock with an expiry, for when Redis is not configured."""

    __tablename__ = "leases"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    holder: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime]


class WebhookFailure(Base):
    __tablename__ = "webhook_failures"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    channel: Mapped[str] = mapped_column(String(32))
    error: Mapped[str] = mapped_column(Text)
    headers: Mapped[dict[str, Any] | None]
    body: Mapped[bytes] = mapped_column(LargeBinary)
    received_at: Mapped[datetime]


class WebchatSession(Base):
    """A web-chat visitor: the bearer token (stored hashed) maps to a channel identity."""

    __tablename__ = "webchat_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    identity_id: Mapped[int] = mapped_column(ForeignKey("channel_identities.id"), index=True)
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]


class ChannelMessageRef(Base):
    """Every vendor id one of our outbound messages went out as (a long text may be split
    into several). Delivery receipts and echoes are matched against these."""

    __tablename__ = "channel_message_refs"
    __table_args__ = (UniqueConstraint("channel", "channel_message_id", name="uq_refs_channel_msgid"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    channel: Mapped[str] = mapped_column(String(32))
    channel_message_id: Mapped[str] = mapped_column(String(500))
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id"), index=True)
