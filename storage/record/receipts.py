"""Delivery and read receipts: the status of our outbound messages moves forward only
(queued < failed < sent < delivered < read). A receipt may overtake the send's own response;
it is kept in ``channel_state`` until the relay records that message id, for
:data:`RECEIPT_TTL` at most (one for a message that is not ours is never matched)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import String, select
from sqlalchemy.ext.asyncio import AsyncSession

from connectors.base import DeliveryStatus, EventKind, InboundMessage
from storage.models import ChannelIdentity, ChannelMessageRef, ChannelState, Conversation, Direction, Message
from storage.record.state import is_live

log = logging.getLogger(__name__)

STATUS_ORDER = {s: i for i, s in enumerate(["queued", "failed", "sent", "delivered", "read"])}
MAX_KEY = cast(String, ChannelState.__table__.c.key.type).length or 200
# a receipt overtakes its send's response by seconds; one never matched (a message sent from
# the vendor's own console) is dropped after a week
RECEIPT_TTL = timedelta(days=7)


async def apply_receipt(session: AsyncSession, event: InboundMessage, now: datetime) -> tuple[int, ...]:
    """Move our messages' status for a delivery/read receipt; the ids of those that moved."""
    new_status = DeliveryStatus.READ if event.kind == EventKind.READ else DeliveryStatus.DELIVERED
    ids: list[int] = []
    if event.refers_to:
        refs = (
            await session.execute(
                select(ChannelMessageRef.channel_message_id, ChannelMessageRef.message_id).where(
                    ChannelMessageRef.channel == event.channel,
                    ChannelMessageRef.channel_message_id.in_(event.refers_to),
                )
            )
        ).all()
        ids = [r.message_id for r in refs]
        await _keep_unmatched_receipts(session, event, {r.channel_message_id for r in refs}, new_status, now)
    if event.watermark is not None:
        ids += list(
            (
                await session.execute(
                    select(Message.id)
                    .join(Conversation, Conversation.id == Message.conversation_id)
                    .join(ChannelIdentity, ChannelIdentity.id == Conversation.identity_id)
                    .where(
                        ChannelIdentity.channel == event.channel,
                        ChannelIdentity.external_id == event.external_user_id,
                        Message.direction == Direction.OUTBOUND.value,
                        Message.status.in_(["sent", "delivered"]),
                        Message.sent_at <= event.watermark,
                    )
                )
            ).scalars()
        )
    moved: list[int] = []
    for msg in (await session.execute(select(Message).where(Message.id.in_(set(ids))))).scalars():
        if STATUS_ORDER.get(new_status.value, 0) > STATUS_ORDER.get(msg.status, 0):
            msg.status = new_status.value
            msg.updated_at = now
            moved.append(msg.id)
    return tuple(moved)


def _receipt_key(channel: str, channel_message_id: str) -> str:
    return f"receipt:{channel}:{channel_message_id}"


async def _keep_unmatched_receipts(
    session: AsyncSession, event: InboundMessage, known: set[str], status: DeliveryStatus, now: datetime
) -> None:
    """A receipt can overtake the send's own response (the vendor answers the webhook
    before our HTTP call returns): keep it until the relay records that message id."""
    for cmid in set(event.refers_to) - known:
        key = _receipt_key(event.channel, cmid)
        if len(key) > MAX_KEY:  # longer than any id we ever send out: it cannot be ours
            log.info(
                "%s receipt for an over-long message id (%d characters) ignored", event.channel, len(cmid)
            )
            continue
        row = await session.get(ChannelState, key)
        if row is None:
            session.add(
                ChannelState(key=key, value=status.value, updated_at=now, expires_at=now + RECEIPT_TTL)
            )
        elif not is_live(row, now) or STATUS_ORDER.get(status.value, 0) > STATUS_ORDER.get(row.value, 0):
            # a further status, or the first since the old one's time ran out
            row.value, row.updated_at, row.expires_at = status.value, now, now + RECEIPT_TTL


async def apply_early_receipts(
    session: AsyncSession, msg: Message, channel: str, channel_message_ids: Sequence[str], now: datetime
) -> None:
    """Called by the relay when it records a send: apply receipts that came first (and have
    not expired at ``now``)."""
    keys = [_receipt_key(channel, c) for c in channel_message_ids]
    rows = list((await session.execute(select(ChannelState).where(ChannelState.key.in_(keys)))).scalars())
    for row in rows:
        if is_live(row, now) and STATUS_ORDER.get(row.value, 0) > STATUS_ORDER.get(msg.status, 0):
            msg.status = row.value
        await session.delete(row)
