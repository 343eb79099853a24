"""Writing replies: a reply is stored with its outbox row in the caller's transaction, so
the state change that caused it and the reply commit together or not at all."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Conversation, Direction, Message, OutboxItem
from bot.store.ingest import next_seq
from connectors.base import DeliveryStatus, SenderRole


async def _append(
    session: AsyncSession,
    conv: Conversation,
    text: str,
    now: datetime,
    *,
    direction: Direction,
    status: DeliveryStatus,
    role: SenderRole,
    user_id: int | None,
    meta: Mapping[str, Any] | None,
) -> Message:
    msg = Message(
        conversation_id=conv.id,
        seq=await next_seq(session, conv.id, now),
        channel=conv.channel,
        direction=direction.value,
        sender_role=role.value,
        sender_user_id=user_id,
        text=text,
        status=status.value,
        processed=True,
        meta=dict(meta) if meta else None,
        created_at=now,
        updated_at=now,
    )
    msg.attachments = []
    session.add(msg)
    await session.flush()
    return msg


async def add_reply(
    session: AsyncSession,
    conv: Conversation,
    text: str,
    now: datetime,
    *,
    role: SenderRole = SenderRole.BOT,
    user_id: int | None = None,
    meta: Mapping[str, Any] | None = None,
) -> Message:
    """A message to the citizen, queued in the outbox of the conversation's channel."""
    msg = await _append(
        session,
        conv,
        text,
        now,
        direction=Direction.OUTBOUND,
        status=DeliveryStatus.QUEUED,
        role=role,
        user_id=user_id,
        meta=meta,
    )
    session.add(
        OutboxItem(
            message_id=msg.id,
            conversation_id=conv.id,
            channel=conv.channel,
            attempts=0,
            next_attempt_at=now,
            done=False,
            created_at=now,
        )
    )
    return msg


async def add_note(
    session: AsyncSession,
    conv: Conversation,
    text: str,
    now: datetime,
    *,
    role: SenderRole = SenderRole.SYSTEM,
    user_id: int | None = None,
    meta: Mapping[str, Any] | None = None,
) -> Message:
    """An internal note or system record in the conversation: never sent."""
    return await _append(
        session,
        conv,
        text,
        now,
        direction=Direction.INTERNAL,
        status=DeliveryStatus.SENT,
        role=role,
        user_id=user_id,
        meta=meta,
    )
