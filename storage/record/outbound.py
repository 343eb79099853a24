"""Writing replies: a reply is stored with its outbox row in the caller's transaction, so
the state change that caused it and the reply commit together or not at all.

The relay's side of the outbox is here too: claiming due rows (one per conversation, the
oldest, within each channel's room), renewing and releasing claims, recording that a send
attempt started *before* the channel is called, and recording its outcome exactly once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, exists, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from connectors.base import (
    Attachment,
    DeliveryStatus,
    OutboundMessage,
    SenderRole,
    SendResult,
    stored_quick_replies,
)
from storage.clock import as_utc
from storage.models import ChannelIdentity, ChannelMessageRef, Conversation, Direction, Message, OutboxItem
from storage.record.receipts import apply_early_receipts
from storage.record.sequence import next_seq
from storage.session import SessionMaker


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


# --------------------------------------------------------------------------- the relay's side


@dataclass(frozen=True, slots=True)
class Claimed:
    item_id: int
    channel: str
    token: str


@dataclass(frozen=True, slots=True)
class Attempt:
    number: int  # attempts so far, this one included
    unfinished_before: bool  # an earlier attempt started and its outcome was never recorded


async def claim_due(
    sm: SessionMaker,
    now: datetime,
    *,
    token: str,
    ttl: float,
    limit: int,
    room: Mapping[str, int],
    per_channel: int,
) -> list[Claimed]:
    """Claim due rows: the oldest undone row of each conversation, at most ``room[channel]``
    (else ``per_channel``) per channel; a channel without room is not even looked at."""
    older = aliased(OutboxItem)
    free = or_(OutboxItem.claimed_until.is_(None), OutboxItem.claimed_until < now)
    full = [ch for ch, n in room.items() if n <= 0]
    due = select(OutboxItem.id, OutboxItem.channel).where(
        OutboxItem.done.is_(False),
        OutboxItem.next_attempt_at <= now,
        free,
        ~exists().where(
            and_(
                older.conversation_id == OutboxItem.conversation_id,
                older.done.is_(False),
                older.id < OutboxItem.id,
            )
        ),
    )
    if full:
        due = due.where(OutboxItem.channel.notin_(full))
    left = dict(room)
    async with sm() as s, s.begin():
        picked: list[int] = []
        for item_id, channel in (await s.execute(due.order_by(OutboxItem.id).limit(limit))).all():
            if left.setdefault(channel, per_channel) > 0:
                left[channel] -= 1
                picked.append(item_id)
        if not picked:
            return []
        await s.execute(
            update(OutboxItem)
            .where(OutboxItem.id.in_(picked), OutboxItem.done.is_(False), free)
            .values(claimed_until=now + timedelta(seconds=ttl), claim_token=token)
        )
        rows = await s.execute(
            select(OutboxItem.id, OutboxItem.channel).where(
                OutboxItem.id.in_(picked), OutboxItem.claim_token == token
            )
        )
        return [Claimed(item_id, channel, token) for item_id, channel in rows.all()]


async def settle_stored(
    sm: SessionMaker, channels: Sequence[str], now: datetime, limit: int
) -> list[Message]:
    """Rows of channels whose stored reply is already delivered (the page reads the hub's
    database): done and ``delivered`` in one transaction, no claim, no attempt. Each row is
    settled once, whichever worker gets it (the update says which rows were still undone)."""
    if not channels:
        return []
    due = (
        select(OutboxItem.id)
        .where(
            OutboxItem.done.is_(False), OutboxItem.channel.in_(channels), OutboxItem.next_attempt_at <= now
        )
        .order_by(OutboxItem.id)
        .limit(limit)
    )
    async with sm() as s, s.begin():
        settled = await s.execute(
            update(OutboxItem)
            .where(OutboxItem.id.in_(due.scalar_subquery()), OutboxItem.done.is_(False))
            .values(done=True, claimed_until=None, sending_started_at=None)
            .returning(OutboxItem.message_id)
        )
        ids = list(settled.scalars())
        if not ids:
            return []
        msgs = list(
            (await s.execute(select(Message).where(Message.id.in_(ids)).order_by(Message.id))).scalars()
        )
        for msg in msgs:
            msg.status = DeliveryStatus.DELIVERED.value
            msg.status_reason = None
            msg.sent_at = now
            msg.updated_at = now
        return msgs


async def renew_claims(sm: SessionMaker, now: datetime, ttl: float, token: str, ids: list[int]) -> int:
    """Extend our claims on ``ids``; returns how many are still ours."""
    async with sm() as s, s.begin():
        res = await s.execute(
            update(OutboxItem)
            .where(OutboxItem.id.in_(ids), OutboxItem.claim_token == token)
            .values(claimed_until=now + timedelta(seconds=ttl))
        )
        return int(res.rowcount)  # type: ignore[attr-defined]


async def release_claim(sm: SessionMaker, item_id: int, token: str) -> None:
    async with sm() as s, s.begin():
        await s.execute(
            update(OutboxItem)
            .where(OutboxItem.id == item_id, OutboxItem.claim_token == token, OutboxItem.done.is_(False))
            .values(claimed_until=None)
        )


async def begin_attempt(
    sm: SessionMaker, item_id: int, token: str, now: datetime, *, idempotent: bool
) -> Attempt | None:
    """Durably count the attempt and mark it started, before the channel is called. None
    when the row is done or no longer claimed by ``token``. An earlier attempt still marked
    started may have reached the citizen: unless the channel's sends are idempotent, the row
    counts a possible duplicate."""
    async with sm() as s, s.begin():
        item = (
            await s.execute(select(OutboxItem).where(OutboxItem.id == item_id).with_for_update())
        ).scalar_one_or_none()
        if item is None or item.done or item.claim_token != token:
            return None
        unfinished = item.sending_started_at is not None
        item.attempts += 1
        item.sending_started_at = now
        if unfinished and not idempotent:
            item.possible_duplicates += 1
        return Attempt(item.attempts, unfinished)


async def record_sent(
    sm: SessionMaker, item_id: int, out: OutboundMessage, result: SendResult, now: datetime
) -> Message | None:
    """The send succeeded: row done, message sent with its channel ids. None when the
    outcome was recorded already (a retried write whose first commit got through)."""
    async with sm() as s, s.begin():
        res = await s.execute(
            update(OutboxItem)
            .where(OutboxItem.id == item_id, OutboxItem.done.is_(False))
            .values(done=True, claimed_until=None, sending_started_at=None)
        )
        if not res.rowcount:  # type: ignore[attr-defined]
            return None
        msg = await s.get(Message, out.message_id)
        assert msg is not None
        msg.status = result.status.value
        msg.status_reason = None
        msg.sent_at = now
        msg.updated_at = now
        if result.channel_message_ids:
            msg.channel_message_id = result.channel_message_ids[0]
            for cmid in result.channel_message_ids:
                s.add(ChannelMessageRef(channel=out.channel, channel_message_id=cmid, message_id=msg.id))
            await apply_early_receipts(s, msg, out.channel, result.channel_message_ids, now)
        return msg


async def record_failed(
    sm: SessionMaker,
    item_id: int,
    message_id: int,
    reason: str,
    now: datetime,
    *,
    next_at: datetime | None,
    outcome_unknown: bool = False,
) -> Message | None:
    """The send failed: retry at ``next_at``, or ``failed`` for good when it is None. An
    attempt whose outcome is unknown (a timeout) stays marked started, so a retry counts
    as a possible duplicate."""
    values: dict[str, object] = {"last_error": reason, "claimed_until": None}
    if not outcome_unknown:
        values["sending_started_at"] = None
    if next_at is None:
        values["done"] = True
    else:
        values["next_attempt_at"] = next_at
    async with sm() as s, s.begin():
        res = await s.execute(
            update(OutboxItem).where(OutboxItem.id == item_id, OutboxItem.done.is_(False)).values(**values)
        )
        if not res.rowcount:  # type: ignore[attr-defined]
            return None
        msg = await s.get(Message, message_id)
        assert msg is not None
        msg.status_reason = reason
        msg.updated_at = now
        if next_at is None:
            msg.status = DeliveryStatus.FAILED.value
        return msg


async def load_outbound(sm: SessionMaker, item_id: int) -> tuple[OutboxItem, OutboundMessage] | None:
    """An undone outbox row and what to hand its channel; None when it is done."""
    async with sm() as s:
        item = await s.get(OutboxItem, item_id)
        if item is None or item.done:
            return None
        msg = await s.get(Message, item.message_id)
        conv = await s.get(Conversation, item.conversation_id)
        assert msg is not None and conv is not None
        identity = await s.get(ChannelIdentity, conv.identity_id)
        assert identity is not None
        last_in = (
            await s.execute(
                select(Message.channel_message_id, Message.meta)
                .where(Message.conversation_id == conv.id, Message.direction == "in")
                .order_by(Message.seq.desc())
                .limit(1)
            )
        ).first()
        meta = dict(msg.meta or {})
        references = _thread(last_in) if last_in is not None else tuple(meta.get("references", ()))
        out = OutboundMessage(
            channel=conv.channel,
            external_user_id=identity.external_id,
            text=msg.text,
            message_id=msg.id,
            conversation_id=conv.id,
            sender_role=SenderRole(msg.sender_role),
            attachments=tuple(
                Attachment(kind=a.kind, url=a.url, name=a.name, size=a.size, mime_type=a.mime_type)
                for a in msg.attachments
            ),
            subject=meta.get("subject") or _thread_subject(last_in),
            in_reply_to=last_in.channel_message_id if last_in is not None else None,
            references=references,
            last_inbound_at=as_utc(conv.last_inbound_at),
            quick_replies=stored_quick_replies(meta.get("buttons")),
            meta=meta,
        )
        return item, out


def _thread(last_in: object) -> tuple[str, ...]:
    """The thread this reply continues: what the citizen's last message answered, oldest
    first (its reply_to_ids are In-Reply-To then References newest first), then that message.
    Channels that thread replies (e-mail) use it; the others ignore it."""
    meta = getattr(last_in, "meta", None) or {}
    ids = meta.get("reply_to_ids", ()) if isinstance(meta, dict) else ()
    own = getattr(last_in, "channel_message_id", None)
    return tuple(str(i) for i in reversed(ids)) + ((own,) if own else ())


def _thread_subject(last_in: object) -> str | None:
    meta = getattr(last_in, "meta", None) or {}
    subject = meta.get("subject") if isinstance(meta, dict) else None
    return str(subject) if subject else None
