"""Exactly-once ingest: every channel event is stored (or recognised as a duplicate) in one
transaction, before the channel is acknowledged.

The guarantee rests on the unique index ``(channel, channel_message_id)`` of ``messages``:
two deliveries of one vendor message race to insert the same row, one wins, the other's
transaction is rolled back and it returns the winner's row with ``duplicate=True``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from connectors.base import (
    Capabilities,
    ContactProfile,
    DeliveryStatus,
    EventKind,
    InboundMessage,
    SenderRole,
)
from storage.clock import Clock
from storage.dialect import dialect_insert
from storage.models import (
    Attachment as AttachmentRow,
)
from storage.models import (
    ChannelIdentity,
    ChannelMessageRef,
    Contact,
    Conversation,
    Direction,
    Message,
)
from storage.record.conversations import GreetingSource, greet
from storage.record.receipts import STATUS_ORDER, apply_early_receipts, apply_receipt
from storage.record.sequence import next_seq
from storage.record.threads import current_conversation, find_or_open_conversation
from storage.session import SessionMaker

__all__ = ["STATUS_ORDER", "IngestResult", "apply_early_receipts", "ingest_one", "next_seq"]

log = logging.getLogger(__name__)

ECHO_MATCH_WINDOW = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class IngestResult:
    kind: EventKind
    message_id: int | None = None
    conversation_id: int | None = None
    seq: int | None = None
    duplicate: bool = False
    needs_processing: bool = False  # a citizen message the pipeline must answer
    new_identity: bool = False
    updated_message_ids: tuple[int, ...] = field(default=())  # receipts: messages whose status moved
    replies: tuple[int, ...] = field(default=())  # bot messages queued for sending (a follow's greeting)
    error: str | None = None  # not stored: why (Vietnamese); the event is kept in webhook_failures
    # the row just stored (loaded, detached after commit): the live views are told from it
    message: Message | None = field(default=None, compare=False, repr=False)


# --------------------------------------------------------------------------- identities


async def get_or_create_identity(
    session: AsyncSession, event: InboundMessage, now: datetime, channel: Capabilities
) -> tuple[ChannelIdentity, bool]:
    """The event's sender's identity row, locked for this transaction (so one conversation
    is opened). ``channel``: the event's channel's capabilities."""
    email = event.external_user_id if channel.sender_is_email_address else None
    return await identity_for(session, event.channel, event.external_user_id, now, event.profile, email=email)


async def identity_for(
    session: AsyncSession,
    channel: str,
    external_id: str,
    now: datetime,
    profile: ContactProfile | None = None,
    *,
    email: str | None = None,
) -> tuple[ChannelIdentity, bool]:
    """The identity row (channel, external id), created with its contact when new; locked
    for this transaction. True when it was created now."""
    stmt = (
        select(ChannelIdentity)
        .where(ChannelIdentity.channel == channel, ChannelIdentity.external_id == external_id)
        .with_for_update()
    )
    identity = (await session.execute(stmt)).scalar_one_or_none()
    if identity is not None:
        return identity, False
    contact = Contact(
        display_name=profile.display_name if profile else None,
        full_name=profile.full_name if profile else None,
        phone=profile.phone if profile else None,
        email=(profile.email if profile else None) or email,
        address=profile.address if profile else None,
        created_at=now,
        updated_at=now,
    )
    session.add(contact)
    await session.flush()
    inserted = await session.execute(
        dialect_insert(session, ChannelIdentity)
        .values(
            contact_id=contact.id,
            channel=channel,
            external_id=external_id,
            display_name=profile.display_name if profile else None,
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=["channel", "external_id"])
        .returning(ChannelIdentity.id)
    )
    if inserted.scalar_one_or_none() is None:
        # another worker created it between our select and insert: use theirs
        await session.delete(contact)
        return (await session.execute(stmt)).scalar_one(), False
    return (await session.execute(stmt)).scalar_one(), True


# --------------------------------------------------------------------------- conversations


# --------------------------------------------------------------------------- messages


EDITABLE_CONTACT_FIELDS = ("full_name", "phone", "email", "address")  # Điều 7.2


def update_contact(
    contact: Contact, values: Mapping[str, str | None], now: datetime
) -> dict[str, dict[str, str | None]]:
    """A person's edit of a contact's Điều 7.2 fields (already validated by the caller;
    ``None`` clears one). Returns the changed fields as ``{field: {"from", "to"}}``."""
    changed: dict[str, dict[str, str | None]] = {}
    for key, value in values.items():
        if key not in EDITABLE_CONTACT_FIELDS:
            raise ValueError(f"not an editable contact field: {key}")
        old = getattr(contact, key)
        if old != value:
            changed[key] = {"from": old, "to": value}
            setattr(contact, key, value)
    if changed:
        contact.updated_at = now
    return changed


def _attachment_rows(event: InboundMessage) -> list[AttachmentRow]:
    return [
        AttachmentRow(
            kind=a.kind,
            name=a.name,
            size=a.size if a.size is not None else (len(a.data) if a.data is not None else None),
            mime_type=a.mime_type,
            url=a.url,
            stored_path=a.meta.get("stored_path"),
            meta={k: v for k, v in a.meta.items() if k != "stored_path"} or None,
        )
        for a in event.attachments
    ]


async def _existing(session: AsyncSession, channel: str, channel_message_id: str) -> Message | None:
    return (
        await session.execute(
            select(Message).where(
                Message.channel == channel, Message.channel_message_id == channel_message_id
            )
        )
    ).scalar_one_or_none()


def _duplicate(event: InboundMessage, msg: Message) -> IngestResult:
    return IngestResult(event.kind, msg.id, msg.conversation_id, msg.seq, duplicate=True)


async def _store_message(
    session: AsyncSession,
    event: InboundMessage,
    clock: Clock,
    extra_meta: Mapping[str, object] | None,
    channel: Capabilities,
) -> IngestResult:
    now = clock.now()
    identity, new_identity = await get_or_create_identity(session, event, now, channel)
    # the identity lock serialises this person's deliveries: a copy (a retried delivery, or
    # one racing us) finds the first one's committed row here, before taking any other lock
    if event.channel_message_id and (
        existing := await _existing(session, event.channel, event.channel_message_id)
    ):
        return _duplicate(event, existing)
    conv = await find_or_open_conversation(session, identity, event, now, threaded=channel.threaded)
    seq = await next_seq(session, conv.id, now)
    citizen = event.kind in (EventKind.MESSAGE, EventKind.POSTBACK)
    text = event.text if event.kind != EventKind.POSTBACK else (event.text or event.postback_payload or "")
    msg = Message(
        conversation_id=conv.id,
        seq=seq,
        channel=event.channel,
        direction=Direction.INBOUND.value if citizen else Direction.OUTBOUND.value,
        sender_role=SenderRole.CITIZEN.value if citizen else SenderRole.OPERATOR.value,
        text=text,
        channel_message_id=event.channel_message_id,
        status=DeliveryStatus.DELIVERED.value if citizen else DeliveryStatus.SENT.value,
        processed=not citizen or event.auto_generated,
        auto_generated=event.auto_generated,
        meta=_meta(event, extra_meta),
        sent_at=event.sent_at or now,
        created_at=now,
        updated_at=now,
    )
    msg.attachments = _attachment_rows(event)
    session.add(msg)
    if citizen:
        conv.last_inbound_at = event.sent_at or now
    await session.flush()
    return IngestResult(
        event.kind,
        msg.id,
        conv.id,
        seq,
        needs_processing=not msg.processed,
        new_identity=new_identity,
        message=msg,
    )


def _meta(event: InboundMessage, extra: Mapping[str, object] | None) -> dict[str, object] | None:
    meta: dict[str, object] = {"raw_type": event.raw_type} if event.raw_type else {}
    meta.update(extra or {})
    if event.subject:
        meta["subject"] = event.subject
    if event.reply_to_ids:
        meta["reply_to_ids"] = list(event.reply_to_ids)
    if event.postback_payload:
        meta["postback_payload"] = event.postback_payload
    return meta or None


async def _is_our_echo(session: AsyncSession, event: InboundMessage, now: datetime) -> Message | None:
    """An echo of a send of ours: its id is one we recorded, or (if the echo overtook the
    send's response) an outbound message with the same text went to the same person
    moments ago."""
    if event.channel_message_id:
        ref = (
            await session.execute(
                select(ChannelMessageRef).where(
                    ChannelMessageRef.channel == event.channel,
                    ChannelMessageRef.channel_message_id == event.channel_message_id,
                )
            )
        ).scalar_one_or_none()
        if ref is not None:
            return await session.get(Message, ref.message_id)
    return (
        await session.execute(
            select(Message)
            .join(Conversation, Conversation.id == Message.conversation_id)
            .join(ChannelIdentity, ChannelIdentity.id == Conversation.identity_id)
            .where(
                ChannelIdentity.channel == event.channel,
                ChannelIdentity.external_id == event.external_user_id,
                Message.direction == Direction.OUTBOUND.value,
                Message.sender_role != SenderRole.OPERATOR.value,
                Message.text == event.text,
                Message.created_at >= now - ECHO_MATCH_WINDOW,
            )
            .order_by(Message.id.desc())
            .limit(1)
        )
    ).scalar_one_or_none()


async def _apply_follow(
    session: AsyncSession,
    event: InboundMessage,
    now: datetime,
    greeting: GreetingSource | None,
    channel: Capabilities,
) -> IngestResult:
    """(Un)follow. A new follow is greeted: the greeting goes into the person's open
    conversation (a new one if there is none), in this transaction; a repeated delivery
    of the follow finds them following already and greets no one."""
    identity, new = await get_or_create_identity(session, event, now, channel)
    follows = event.kind == EventKind.FOLLOW
    newly = follows and not identity.following
    identity.following = follows
    if not newly or greeting is None:
        return IngestResult(event.kind, new_identity=new)
    conv = await current_conversation(session, identity, now)
    msg = await greet(session, conv, now, await greeting(session))
    return IngestResult(event.kind, conversation_id=conv.id, new_identity=new, replies=(msg.id,))


async def ingest_one(
    session_maker: SessionMaker,
    event: InboundMessage,
    clock: Clock,
    *,
    extra_meta: Mapping[str, object] | None = None,
    greeting: GreetingSource | None = None,
    capabilities: Mapping[str, Capabilities] | None = None,
) -> IngestResult:
    """Store one event in its own transaction; idempotent per (channel, message id).

    The event must be storable already (:func:`storage.record.inbound.ingest` makes it so);
    ``extra_meta`` goes into a stored message's ``meta`` (e.g. what was truncated);
    ``greeting``: what a new follower is told (none without it); ``capabilities``: the
    channels' by name (bot/ passes its connectors'; a channel not named has the defaults:
    not threaded, no e-mail address for an id)."""
    now = clock.now()
    channel = (capabilities or {}).get(event.channel) or Capabilities()
    race: IntegrityError | None = None
    async with session_maker() as session:
        try:
            async with session.begin():
                if event.kind in (EventKind.DELIVERY, EventKind.READ):
                    moved = await apply_receipt(session, event, now)
                    return IngestResult(event.kind, updated_message_ids=moved)
                if event.kind in (EventKind.FOLLOW, EventKind.UNFOLLOW):
                    return await _apply_follow(session, event, now, greeting, channel)
                if event.kind == EventKind.UNKNOWN:
                    log.info("unhandled %s event %r acknowledged", event.channel, event.raw_type)
                    return IngestResult(event.kind)
                if event.kind in (EventKind.ECHO, EventKind.OPERATOR_MESSAGE):
                    if event.channel_message_id and (
                        existing := await _existing(session, event.channel, event.channel_message_id)
                    ):
                        return _duplicate(event, existing)
                    ours = await _is_our_echo(session, event, now)
                    if ours is not None:
                        return IngestResult(
                            event.kind, ours.id, ours.conversation_id, ours.seq, duplicate=True
                        )
                return await _store_message(session, event, clock, extra_meta, channel)  # a copy: found there
        except IntegrityError as err:
            if not event.channel_message_id:
                raise
            race = err
    # lost the race on the unique index: the other delivery's row is the message
    async with session_maker() as session:
        existing = await _existing(session, event.channel, event.channel_message_id)
        if existing is None:  # another constraint failed: not a race
            raise race or RuntimeError("unique violation without a row")
        return _duplicate(event, existing)
