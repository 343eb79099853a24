"""From a stored citizen message to stored replies.

store (webhook) → [this] lease the conversation → ask the dialogue engine (state ``bot``)
→ in ONE transaction: replies + outbox rows, state change, message marked processed →
publish live events → wake the outbox relay.

A message stays ``processed = false`` until its replies are committed, so a worker that
dies midway leaves it for the sweeper of any worker: answered once, never lost.

The lease is short (``lease_seconds``, 10 s) and renewed every third of it while the work
runs, so a long answer keeps it and a killed worker's lease frees within one lifetime. It
has a holder token: a worker whose lease ran out and was taken stops its work (and its
commit checks the holder), so a message is never worked on twice at once. Releasing it is
retried through a short database outage.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime

from sqlalchemy import or_, select, update

from bot.clock import Clock, as_utc
from bot.db.models import ChannelIdentity, Contact, Conversation, ConversationState, Message
from bot.db.session import SessionMaker
from bot.engine import DialogueEngine, EngineRequest, EngineResult, EngineUnavailable, engine_sender_id
from bot.events import QUEUE_TOPIC, EventBus, conversation_topic
from bot.lifecycle import Stopper, stop_gracefully
from bot.metrics import Metrics
from bot.serialize import message_event
from bot.store.outbound import add_reply
from bot.store.state import ConversationLeases, LeaseLost, keep_alive, retry_db

log = logging.getLogger(__name__)

LEASE_SECONDS = 10.0


class Pipeline:
    def __init__(
        self,
        sm: SessionMaker,
        engine: DialogueEngine,
        bus: EventBus,
        clock: Clock,
        metrics: Metrics,
        *,
        fallback: DialogueEngine | None = None,
        on_outbox: Callable[[], None] = lambda: None,
        workers: int = 4,
        poll_interval: float = 2.0,
        after_commit: Callable[[int], Awaitable[None]] | None = None,
        typing: Callable[[str, str], Awaitable[None]] | None = None,
        lease_seconds: float = LEASE_SECONDS,
        renew_every: float | None = None,
    ) -> None:
        self.typing = typing
        self.lease_seconds = lease_seconds
        self.renew_every = renew_every  # None: a third of the lease
        self.leases = ConversationLeases(sm, clock)
        self.sm, self.engine, self.bus, self.clock, self.metrics = sm, engine, bus, clock, metrics
        self.fallback = fallback
        self.on_outbox = on_outbox
        self.workers = workers
        self.poll_interval = poll_interval
        self.after_commit = after_commit
        self.queue: asyncio.Queue[int] = asyncio.Queue()
        self._queued: set[int] = set()
        self.holder = secrets.token_hex(8)
        self.last_beat = time.monotonic()
        self.stopper = Stopper()
        self._typing_tasks: set[asyncio.Task[None]] = set()

    # ------------------------------------------------------------------ scheduling

    def notify(self, conversation_id: int) -> None:
        if conversation_id not in self._queued:
            self._queued.add(conversation_id)
            self.queue.put_nowait(conversation_id)

    async def run(self) -> None:
        tasks = [asyncio.create_task(self._worker()) for _ in range(self.workers)]
        tasks.append(asyncio.create_task(self._sweeper()))
        try:
            await asyncio.gather(*tasks)
        finally:
            self.stopper.stop()
            await stop_gracefully(tasks)  # type: ignore[arg-type]

    def stop(self) -> None:
        self.stopper.stop()

    async def _sweeper(self) -> None:
        """Pick up messages no worker is answering (a crash, another worker's restart)."""
        while not self.stopper.stopping:
            self.last_beat = time.monotonic()
            try:
                for conv_id in await self.pending_conversations():
                    self.notify(conv_id)
            except Exception:
                log.exception("pipeline sweep failed")
            await self.stopper.sleep(self.poll_interval)

    async def pending_conversations(self, limit: int = 200) -> list[int]:
        now = self.clock.now()
        async with self.sm() as s:
            rows = await s.execute(
                select(Message.conversation_id)
                .join(Conversation, Conversation.id == Message.conversation_id)
                .where(
                    Message.processed.is_(False),
                    or_(Conversation.processing_until.is_(None), Conversation.processing_until < now),
                )
                .distinct()
                .limit(limit)
            )
            return [int(r) for r in rows.scalars()]

    async def _worker(self) -> None:
        while not self.stopper.stopping:
            conv_id = await self.stopper.race(self.queue.get())
            if conv_id is None:
                return
            self._queued.discard(conv_id)
            try:
                await self.process_conversation(conv_id)
            except Exception:
                log.exception("processing conversation %s failed; the sweeper will retry", conv_id)

    # ------------------------------------------------------------------ leases

    async def _lease(self, conv_id: int) -> str | None:
        """Take the conversation's lease: its holder token, or None when someone holds it."""
        token = f"{self.holder}:{secrets.token_hex(4)}"
        return token if await self.leases.acquire(conv_id, token, self.lease_seconds) else None

    async def _release(self, conv_id: int, token: str) -> None:
        """Free the lease at once, retrying through a short outage; if the database stays
        away, the lease runs out by itself within ``lease_seconds``."""
        try:
            await retry_db(
                lambda: self.leases.release(conv_id, token),
                within=self.lease_seconds,
                what=f"releasing the lease on conversation {conv_id}",
                on_retry=lambda: self.metrics.db_retry("lease_release"),
                give_up=lambda: self.stopper.stopping,  # shutting down: it runs out by itself
            )
        except Exception:
            log.warning(
                "could not release the lease on conversation %s; it runs out within %.0f s",
                conv_id,
                self.lease_seconds,
                exc_info=True,
            )

    async def _hold(self, conv_id: int, token: str, work: asyncio.Task[int]) -> int:
        """Keep the lease alive while ``work`` runs; cancel the work if the lease is lost."""
        every = self.renew_every or self.lease_seconds / 3

        async def renew() -> bool:
            return await self.leases.renew(conv_id, token, self.lease_seconds)

        keeper = asyncio.create_task(keep_alive(renew, ttl=self.lease_seconds, every=every, clock=self.clock))
        try:
            await asyncio.wait({work, keeper}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            keeper.cancel()
            await asyncio.gather(keeper, return_exceptions=True)
        if work.done():
            return work.result()
        work.cancel()
        await asyncio.gather(work, return_exceptions=True)
        raise LeaseLost(f"conversation {conv_id}")

    async def resume(self, conv_id: int) -> None:
        """An operator handed the conversation back: tell the engine (best effort; the
        citizen's next message reaches the bot either way)."""
        async with self.sm() as s:
            conv = await s.get(Conversation, conv_id)
        if conv is None:
            return
        try:
            await self.engine.resume(engine_sender_id(conv.id, as_utc(conv.created_at)))
        except Exception:
            log.warning("the dialogue engine could not resume conversation %s", conv_id, exc_info=True)

    # ------------------------------------------------------------------ processing

    async def process_conversation(self, conv_id: int) -> int:
        """Answer every pending message of one conversation, oldest first."""
        token = await self._lease(conv_id)
        if token is None:
            return 0
        work = asyncio.create_task(self._answer_all(conv_id, token))
        try:
            return await self._hold(conv_id, token, work)
        except LeaseLost:
            self.metrics.lease_lost("conversation")
            log.warning("lost the lease on conversation %s: its work was stopped", conv_id)
            return 0
        finally:
            if not work.done():
                work.cancel()
                await asyncio.gather(work, return_exceptions=True)
            await self._release(conv_id, token)

    async def _answer_all(self, conv_id: int, token: str) -> int:
        done = 0
        while await self._process_next(conv_id, token):
            done += 1
        return done

    async def _next_pending(self, conv_id: int) -> tuple[Message, Conversation, dict[str, object]] | None:
        async with self.sm() as s:
            msg = (
                await s.execute(
                    select(Message)
                    .where(Message.conversation_id == conv_id, Message.processed.is_(False))
                    .order_by(Message.seq)
                    .limit(1)
                )
            ).scalar_one_or_none()
            if msg is None:
                return None
            conv = await s.get(Conversation, conv_id)
            assert conv is not None
            contact = await s.get(Contact, conv.contact_id)
            identity = await s.get(ChannelIdentity, conv.identity_id)
            profile = _profile(contact, identity)
            last_bot = (
                await s.execute(
                    select(Message.meta)
                    .where(Message.conversation_id == conv_id, Message.sender_role == "bot")
                    .order_by(Message.seq.desc())
                    .limit(1)
                )
            ).scalar_one_or_none()
            profile["_last_bot_meta"] = last_bot or {}
            profile["_external_id"] = identity.external_id if identity is not None else ""
            return msg, conv, profile

    async def _process_next(self, conv_id: int, token: str) -> bool:
        pending = await self._next_pending(conv_id)
        if pending is None:
            return False
        msg, conv, profile = pending
        result: EngineResult | None = None
        asked_at = self.clock.now()
        if conv.state == ConversationState.BOT:
            result = await self._ask(msg, conv, profile)
        await self._commit(msg, conv_id, token, result, asked_at)
        return True

    async def _ask(self, msg: Message, conv: Conversation, profile: dict[str, object]) -> EngineResult:
        last_bot_meta = profile.pop("_last_bot_meta", None)
        external_id = str(profile.pop("_external_id", ""))
        if self.typing is not None and external_id:
            self._show_typing(conv.channel, external_id)
        req = EngineRequest(
            conversation_id=conv.id,
            sender_id=engine_sender_id(conv.id, as_utc(conv.created_at)),
            channel=conv.channel,
            text=msg.text,
            message_id=msg.id,
            profile=profile,
            attachments=len(msg.attachments),
            last_bot_meta=last_bot_meta if isinstance(last_bot_meta, dict) else {},
        )
        started = time.perf_counter()
        try:
            result = await self.engine.respond(req)
            self.metrics.engine_ok(self.engine.name)
        except EngineUnavailable as err:
            if self.fallback is None:
                raise
            log.warning(
                "engine %s unavailable (%s); answering with %s", self.engine.name, err, self.fallback.name
            )
            self.metrics.engine_down(self.engine.name)
            result = await self.fallback.respond(req)
            result = replace(result, engine=self.fallback.name)
        self.metrics.observe_engine(time.perf_counter() - started)
        return result

    def _show_typing(self, channel: str, external_id: str) -> None:
        """The channel's "typing…" while the engine works (best effort, never waited for)."""
        assert self.typing is not None
        task: asyncio.Task[None] = asyncio.ensure_future(self.typing(channel, external_id))
        self._typing_tasks.add(task)
        task.add_done_callback(self._typing_done)

    def _typing_done(self, task: asyncio.Task[None]) -> None:
        self._typing_tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.debug("typing indicator failed: %s", task.exception())

    async def _commit(
        self,
        msg: Message,
        conv_id: int,
        token: str,
        result: EngineResult | None,
        asked_at: datetime | None = None,
    ) -> None:
        now = self.clock.now()
        replies: list[Message] = []
        async with self.sm() as s, s.begin():
            # lock order everywhere: conversation first, then its messages (no deadlocks)
            conv = await s.get(Conversation, conv_id, with_for_update=True)
            assert conv is not None
            if conv.processing_by != token:  # our lease ran out and another worker took it
                raise LeaseLost(f"conversation {conv_id}")
            # re-check under the transaction: another worker may have answered it meanwhile
            claimed = await s.execute(
                update(Message)
                .where(Message.id == msg.id, Message.processed.is_(False))
                .values(processed=True, updated_at=now)
            )
            if not claimed.rowcount:  # type: ignore[attr-defined]
                return
            # an operator who took over meanwhile silences the bot; a handoff the engine's
            # own action made during this call (e.g. a ticket) does not
            by_engine = (
                conv.state == ConversationState.WAITING_HUMAN
                and asked_at is not None
                and (since := as_utc(conv.waiting_since)) is not None
                and since >= asked_at
            )
            if result is not None and (conv.state == ConversationState.BOT or by_engine):
                for n, answer in enumerate(result.replies, 1):
                    meta: dict[str, object] = {"buttons": list(answer.buttons)} if answer.buttons else {}
                    if n == len(result.replies):
                        meta.update(result.meta)
                    meta["engine"] = result.engine or self.engine.name
                    replies.append(await add_reply(s, conv, answer.text, now, meta=meta))
                if result.handoff and conv.state == ConversationState.BOT:
                    conv.state = ConversationState.WAITING_HUMAN.value
                    conv.waiting_since = now
                    conv.handoff_reason = result.handoff_reason
            conv.updated_at = now
            state = conv.state
            handed_off = result is not None and (result.handoff or by_engine)
        for reply in replies:
            await self._publish(reply)
        if handed_off:
            await self.bus.publish(QUEUE_TOPIC, {"type": "queue", "conversation_id": conv_id, "state": state})
        if replies:
            self.on_outbox()
        if self.after_commit is not None:
            await self.after_commit(conv_id)

    async def _publish(self, msg: Message) -> None:
        await self.bus.publish(conversation_topic(msg.conversation_id), message_event(msg))


def _profile(contact: Contact | None, identity: ChannelIdentity | None) -> dict[str, object]:
    out: dict[str, object] = {}
    if contact is not None:
        for key in ("full_name", "phone", "address", "email", "display_name"):
            if (value := getattr(contact, key)) is not None:
                out[key] = value
    if identity is not None and identity.display_name and "display_name" not in out:
        out["display_name"] = identity.display_name
    return out
