"""Which conversation a citizen's message belongs to: its e-mail thread's (In-Reply-To /
References, else a ticket code in the subject), else the person's open one; after a close,
a new conversation linked to the closed one (:mod:`storage.record.conversations`)."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from connectors.base import InboundMessage
from storage.models import (
    ChannelIdentity,
    ChannelMessageRef,
    Conversation,
    ConversationState,
    Message,
    Ticket,
)
from storage.record.conversations import latest_in_chain, open_conversation

TICKET_IN_SUBJECT = re.compile(r"\[\s*([A-Za-z0-9]{2,10}-\d{4}-\d{6})\s*\]")


async def _conversation_by_thread(session: AsyncSession, event: InboundMessage) -> Conversation | None:
    """E-mail threading: In-Reply-To/References first, then a ticket code in the subject."""
    if event.reply_to_ids:
        row = (
            await session.execute(
                select(Conversation)
                .join(Message, Message.conversation_id == Conversation.id)
                .where(Message.channel == event.channel, Message.channel_message_id.in_(event.reply_to_ids))
                .order_by(Message.id.desc())
                .limit(1)
            )
        ).scalar_one_or_none()
        if row is None:
            row = (
                await session.execute(
                    select(Conversation)
                    .join(Message, Message.conversation_id == Conversation.id)
                    .join(ChannelMessageRef, ChannelMessageRef.message_id == Message.id)
                    .where(
                        ChannelMessageRef.channel == event.channel,
                        ChannelMessageRef.channel_message_id.in_(event.reply_to_ids),
                    )
                    .limit(1)
                )
            ).scalar_one_or_none()
        if row is not None:
            return row
    if event.subject and (m := TICKET_IN_SUBJECT.search(event.subject)):
        return (
            await session.execute(
                select(Conversation)
                .join(Ticket, Ticket.conversation_id == Conversation.id)
                .where(Ticket.code == m.group(1))
            )
        ).scalar_one_or_none()
    return None


async def find_or_open_conversation(
    session: AsyncSession,
    identity: ChannelIdentity,
    event: InboundMessage,
    now: datetime,
    *,
    threaded: bool = False,
) -> Conversation:
    """The conversation this message belongs to: on a ``threaded`` channel
    (``Capabilities.threaded``: e-mail) its thread's, else the identity's open one. After a
    close, a NEW conversation linked to the closed one."""
    if threaded:
        conv = await _conversation_by_thread(session, event)
        if conv is None:
            return await open_conversation(
                session, identity, event.channel, now, thread_key=event.channel_message_id
            )
        conv = await latest_in_chain(session, conv)
        if conv.state != ConversationState.CLOSED:
            return conv
        return await open_conversation(
            session, identity, event.channel, now, thread_key=conv.thread_key, previous=conv
        )
    return await current_conversation(session, identity, now)


async def latest_conversation(session: AsyncSession, identity: ChannelIdentity) -> Conversation | None:
    """The identity's newest conversation, whatever its state."""
    return (
        await session.execute(
            select(Conversation)
            .where(Conversation.identity_id == identity.id)
            .order_by(Conversation.id.desc())
            .limit(1)
        )
    ).scalar_one_or_none()


async def current_conversation(
    session: AsyncSession, identity: ChannelIdentity, now: datetime
) -> Conversation:
    """The identity's open conversation; a new one (linked to the last, closed one) when
    there is none. The caller holds the identity's lock (:func:`identity_for`)."""
    conv = (
        await session.execute(
            select(Conversation)
            .where(Conversation.identity_id == identity.id, Conversation.state != ConversationState.CLOSED)
            .order_by(Conversation.id.desc())
            .limit(1)
        )
    ).scalar_one_or_none()
    if conv is not None:
        return conv
    previous = await latest_conversation(session, identity)
    return await open_conversation(session, identity, identity.channel, now, previous=previous)
