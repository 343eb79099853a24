"""The outbox relay: sends queued replies through their connectors.

Rows are claimed with a lease (``claimed_until``) so several workers share the outbox and a
killed worker's claims expire; a conversation's messages go out in order (a row waits while
an older one of its conversation is pending). Failures back off exponentially with full
jitter, honour a channel's retry time, and end as ``failed`` with the reason after
``max_attempts``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import and_, exists, or_, select, update
from sqlalchemy.orm import aliased

from bot.clock import Clock, as_utc
from bot.db.models import ChannelIdentity, ChannelMessageRef, Conversation, Message, OutboxItem
from bot.db.session import SessionMaker
from bot.events import EventBus, conversation_topic
from bot.lifecycle import Stopper
from bot.metrics import Metrics
from bot.serialize import message_event
from bot.store.ingest import apply_early_receipts
from connectors.base import (
    Attachment,
    DeliveryStatus,
    OutboundMessage,
    PermanentSendError,
    RateLimited,
    SenderRole,
    SendError,
    SendResult,
)
from connectors.registry import ConnectorRegistry

log = logging.getLogger(__name__)

CLAIM_SECONDS = 120.0


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 8
    base_delay: float = 1.0
    max_delay: float = 300.0

    def delay(self, attempts: int, err: SendError | None, rng: random.Random) -> float:
        """Full jitter: uniform(0, min(cap, base·2^(n-1))), at least a channel's retry time."""
        ceiling = min(self.max_delay, self.base_delay * (2 ** max(attempts - 1, 0)))
        delay = rng.uniform(0, ceiling)
        if isinstance(err, RateLimited):
            delay = max(delay, err.retry_after)
        return delay


class Relay:
    def __init__(
        self,
        sm: SessionMaker,
        registry: ConnectorRegistry,
        bus: EventBus,
        clock: Clock,
        metrics: Metrics,
        policy: RetryPolicy | None = None,
        *,
        poll_interval: float = 2.0,
        batch: int = 20,
        rng: random.Random | None = None,
        on_sent: Callable[[Message], None] | None = None,
        claim_seconds: float = CLAIM_SECONDS,
    ) -> None:
        self.claim_seconds = claim_seconds
        self.sm, self.registry, self.bus, self.clock, self.metrics = sm, registry, bus, clock, metrics
        self.policy = policy or RetryPolicy()
        self.poll_interval = poll_interval
        self.batch = batch
        self.rng = rng or random.Random()
        self.on_sent = on_sent
        self.wake = asyncio.Event()
        self.last_beat = time.monotonic()
        self.stopper = Stopper()

    def notify(self) -> None:
        self.wake.set()

    def stop(self) -> None:
        self.stopper.stop()
        self.wake.set()

    async def run(self) -> None:
        while not self.stopper.stopping:
            self.last_beat = time.monotonic()
            try:
                sent = await self.run_once()
            except Exception:
                log.exception("outbox pass failed")
                sent = 0
            if sent:
                continue
            self.wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), self.poll_interval)

    async def run_once(self) -> int:
        items = await self.claim()
        if not items:
            return 0
        await asyncio.gather(*(self._deliver(item_id) for item_id in items))
        return len(items)

    # ------------------------------------------------------------------ claiming

    async def claim(self) -> list[int]:
        now = self.clock.now()
        token = secrets.token_hex(16)
        older = aliased(OutboxItem)
        free = or_(OutboxItem.claimed_until.is_(None), OutboxItem.claimed_until < now)
        due = (
            select(OutboxItem.id)
            .where(
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
            .order_by(OutboxItem.id)
            .limit(self.batch)
        )
        async with self.sm() as s, s.begin():
            ids = list((await s.execute(due)).scalars())
            if not ids:
                return []
            await s.execute(
                update(OutboxItem)
                .where(OutboxItem.id.in_(ids), OutboxItem.done.is_(False), free)
                .values(claimed_until=now + timedelta(seconds=self.claim_seconds), claim_token=token)
            )
        async with self.sm() as s:
            return list(
                (await s.execute(select(OutboxItem.id).where(OutboxItem.claim_token == token))).scalars()
            )

    # ------------------------------------------------------------------ sending

    async def _outbound(self, item_id: int) -> tuple[OutboxItem, OutboundMessage] | None:
        async with self.sm() as s:
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
            references = tuple(meta.get("references", ()))
            if last_in is not None and conv.channel == "email":
                # reply_to_ids is In-Reply-To then References newest first: RFC 5322 wants oldest first
                refs = tuple(reversed((last_in.meta or {}).get("reply_to_ids", ())))
                references = refs + ((last_in.channel_message_id,) if last_in.channel_message_id else ())
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
                quick_replies=tuple(meta.get("buttons", ())),
                meta=meta,
            )
            return item, out

    async def _deliver(self, item_id: int) -> None:
        loaded = await self._outbound(item_id)
        if loaded is None:
            return
        item, out = loaded
        try:
            connector = self.registry.get(out.channel)
        except KeyError:
            await self._failed(item, out, PermanentSendError(f"Kênh {out.channel} đang tắt"), final=True)
            return
        try:
            result = await connector.send(out)
        except SendError as err:
            self.metrics.send_failed(out.channel, type(err).__name__)
            await self._failed(item, out, err, final=not err.retryable)
            return
        except Exception as err:  # a connector bug must not stop the relay
            log.exception("connector %s raised an unexpected error", out.channel)
            self.metrics.send_failed(out.channel, "unexpected")
            await self._failed(item, out, SendError(f"Lỗi không xác định: {err!r}"), final=False)
            return
        await self._sent(item, out, result)

    async def _sent(self, item: OutboxItem, out: OutboundMessage, result: SendResult) -> None:
        now = self.clock.now()
        async with self.sm() as s, s.begin():
            await s.execute(
                update(OutboxItem).where(OutboxItem.id == item.id).values(done=True, claimed_until=None)
            )
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
                await apply_early_receipts(s, msg, out.channel, result.channel_message_ids)
        self.metrics.sent(out.channel)
        created = as_utc(msg.created_at)
        if created is not None:
            self.metrics.reply_latency.observe(max((now - created).total_seconds(), 0.0))
        await self.bus.publish(conversation_topic(msg.conversation_id), message_event(msg))
        if self.on_sent is not None:
            self.on_sent(msg)

    async def _failed(self, item: OutboxItem, out: OutboundMessage, err: SendError, *, final: bool) -> None:
        now = self.clock.now()
        attempts = item.attempts + 1
        final = final or attempts >= self.policy.max_attempts
        async with self.sm() as s, s.begin():
            values: dict[str, object] = {
                "attempts": attempts,
                "last_error": err.reason,
                "claimed_until": None,
            }
            if final:
                values["done"] = True
            else:
                values["next_attempt_at"] = now + timedelta(
                    seconds=self.policy.delay(attempts, err, self.rng)
                )
            await s.execute(update(OutboxItem).where(OutboxItem.id == item.id).values(**values))
            msg = await s.get(Message, out.message_id)
            assert msg is not None
            msg.status_reason = err.reason
            msg.updated_at = now
            if final:
                msg.status = DeliveryStatus.FAILED.value
        if final:
            log.warning("message %s to %s failed for good: %s", out.message_id, out.channel, err.reason)
            await self.bus.publish(conversation_topic(msg.conversation_id), message_event(msg))


def _thread_subject(last_in: object) -> str | None:
    meta = getattr(last_in, "meta", None) or {}
    subject = meta.get("subject") if isinstance(meta, dict) else None
    return str(subject) if subject else None
