"""From a stored citizen message to stored replies.

store (webhook) → [this] lease the conversation → ask the dialogue engine (state ``bot``,
or ``waiting_human`` for an engine that owns the dialogue: a form in progress, an open
ticket; an operator holding it or a close silences the bot) → in ONE transaction
(:mod:`bot.apply_result`): the engine's decision — replies + outbox rows, ticket or ticket
note, operator queue, dialogue state — and the message marked processed → publish live
events → wake the outbox relay.

The state changes are exactly the decision's, applied with the replies; an engine that
answered from a dialogue state an operator changed meanwhile is asked again.

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

from sqlalchemy import or_, select, update

from bot.apply_result import ResultApplier
from bot.data_request_reply import DataRequestReply
from bot.engine import DialogueEngine, EngineRequest, EngineResult, EngineUnavailable, engine_sender_id
from bot.events import QUEUE_TOPIC, EventBus, conversation_topic
from bot.lifecycle import Stopper, stop_gracefully
from bot.metrics import Metrics
from bot.opt_out_reply import OptOutReply
from bot.pending import Pending, has_pending, next_pending
from bot.serialize import publish_message
from bot.ticket_lookup import ChatLookup
from handoff.calendar import configured_calendar
from storage.clock import Clock, as_utc
from storage.models import Conversation, ConversationState, Message
from storage.record.state import ConversationLeases, LeaseLost, keep_alive, retry_db, take_lease
from storage.session import SessionMaker

log = logging.getLogger(__name__)

LEASE_SECONDS = 10.0
BOT = ConversationState.BOT.value
WAITING = ConversationState.WAITING_HUMAN.value
ANSWERING = (BOT, WAITING)  # states whose messages the bot answers (human, closed: silence)


def owns_dialogue(engine: DialogueEngine) -> bool:
    """An engine whose results carry decisions answers a waiting conversation too."""
    return bool(getattr(engine, "owns_dialogue", False))


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
        applier: ResultApplier | None = None,
        lookup: ChatLookup | None = None,
    ) -> None:
        self.applier = applier or ResultApplier(configured_calendar())
        self.typing = typing
        self.lookup = lookup  # a ticket code in the message: its status, before the engine
        self.opt_out = OptOutReply(sm)  # "hủy đăng ký" / "đăng ký nhận tin": before the engine too
        self.data_requests = DataRequestReply(sm, self.applier.calendar)  # issue 18; restricted: operator
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
        self._active: set[int] = set()  # conversations this process holds the lease of
        self._again: set[int] = set()  # ...and that got a message after their last check
        self._freed: set[str] = set()  # lease tokens a commit released (no release of their own)
        self.holder = secrets.token_hex(8)
        self.last_beat = time.monotonic()
        self.stopper = Stopper()
        self._typing_tasks: set[asyncio.Task[None]] = set()

    # ------------------------------------------------------------------ scheduling

    def notify(self, conversation_id: int) -> None:
        if conversation_id in self._active:  # looked at again once our lease is released
            self._again.add(conversation_id)
            return
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

    async def _lease(self, conv_id: int) -> tuple[str, Pending | None] | None:
        """Take the conversation's lease and, in the same transaction, read its oldest
        pending message: the holder token and that message, or None when someone holds it."""
        token = f"{self.holder}:{secrets.token_hex(4)}"
        async with self.sm() as s, s.begin():
            if not await take_lease(s, conv_id, token, self.clock.now(), self.lease_seconds):
                return None
            return token, await next_pending(s, conv_id)

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
            if token in self._freed:  # the last answer's commit released it: nothing to keep
                return True
            if await self.leases.renew(conv_id, token, self.lease_seconds):
                return True
            # the renewal waited on the row lock of this work's last commit, which released it
            return token in self._freed

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
        leased = await self._lease(conv_id)
        if leased is None:
            return 0
        token, first = leased
        self._active.add(conv_id)
        work = asyncio.create_task(self._answer_all(conv_id, token, first))
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
            if token in self._freed:
                self._freed.discard(token)
            else:
                await self._release(conv_id, token)
            self._active.discard(conv_id)
            if conv_id in self._again:  # a message came after the last look: look again
                self._again.discard(conv_id)
                self.notify(conv_id)

    async def _answer_all(self, conv_id: int, token: str, first: Pending | None) -> int:
        """Answer the conversation's pending messages, oldest first (``first``: read with the
        lease); how many were handled."""
        done, pending = 0, first
        while pending is not None:
            done += 1
            if not await self._answer(pending, token):
                break  # the commit saw nothing else waiting, and released the lease
            pending = await self._next_pending(conv_id)
        return done

    async def _next_pending(self, conv_id: int) -> Pending | None:
        async with self.sm() as s:
            return await next_pending(s, conv_id)

    async def _answer(self, pending: Pending, token: str) -> bool:
        """Answer one pending message; True when another one may be waiting."""
        result: EngineResult | None = None
        state = pending.conv.state
        if state == BOT or (state == WAITING and owns_dialogue(self.engine)):
            result = await self._looked_up(pending) or await self._ask(pending)
        return await self._commit(pending, token, result)

    async def _looked_up(self, pending: Pending) -> EngineResult | None:
        if opted := await self.opt_out.answer(pending, self.clock.now()):
            return opted
        if asked := await self.data_requests.answer(pending, self.clock.now()):
            return asked
        if self.lookup is None:
            return None
        return await self.lookup.answer(pending.conv, pending.external_id, pending.msg.text, self.clock.now())

    async def _ask(self, pending: Pending) -> EngineResult:
        msg, conv = pending.msg, pending.conv
        if self.typing is not None and pending.external_id:
            self._show_typing(conv.channel, pending.external_id)
        req = EngineRequest(
            conversation_id=conv.id,
            sender_id=engine_sender_id(conv.id, as_utc(conv.created_at)),
            channel=conv.channel,
            text=msg.text,
            message_id=msg.id,
            profile=pending.profile,
            attachments=len(msg.attachments),
            last_bot_meta=pending.last_bot_meta,
            dialogue=pending.dialogue,
            first_contact=pending.first_contact,
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

    async def _commit(self, pending: Pending, token: str, result: EngineResult | None) -> bool:
        """Apply the engine's result with the message marked answered; True when another
        message of the conversation may be waiting (read in the same transaction)."""
        msg, conv_id = pending.msg, pending.conv.id
        now = self.clock.now()
        try:
            async with self.sm() as s, s.begin():
                # lock order everywhere: conversation first, then its messages (no deadlocks)
                conv = await s.get(Conversation, conv_id, with_for_update=True)
                assert conv is not None
                if conv.processing_by != token:  # our lease ran out and another worker took it
                    raise LeaseLost(f"conversation {conv_id}")
                if (
                    result is not None
                    and result.decision is not None
                    and (conv.dialogue or {}) != pending.dialogue
                ):
                    return True  # an operator changed the dialogue meanwhile: ask again from the new state
                # re-check under the transaction: another worker may have answered it meanwhile
                claimed = await s.execute(
                    update(Message)
                    .where(Message.id == msg.id, Message.processed.is_(False))
                    .values(processed=True, updated_at=now)
                )
                if not claimed.rowcount:  # type: ignore[attr-defined]
                    return True
                replies: list[Message] = []
                queue_changed = False
                # an operator who took over (or closed it) meanwhile silences the bot
                if result is not None and conv.state in ANSWERING:
                    engine = result.engine or self.engine.name
                    applied = await self.applier.apply(s, conv, result, now, engine)
                    replies, queue_changed = applied.replies, applied.queue_changed
                conv.updated_at = now
                state = conv.state
                more = await has_pending(s, conv_id)
                if not more:  # the lease goes with this commit: no transaction of its own
                    conv.processing_until, conv.processing_by = None, None
                    # marked before the commit: a renewal blocked on this row's lock finds the
                    # lease gone once the commit is through, and must not call it lost
                    self._freed.add(token)
        except BaseException:
            self._freed.discard(token)  # the release was rolled back with the rest: still ours
            raise
        for reply in replies:
            await publish_message(self.bus, reply)
        await self.bus.publish(
            conversation_topic(conv_id),
            {
                "type": "processed",
                "conversation_id": conv_id,
                "message_id": msg.id,
                "seq": msg.seq,
                "replies": [r.id for r in replies],
            },
        )
        if queue_changed or (replies and state == WAITING):  # the queue shows the form's progress
            await self.bus.publish(QUEUE_TOPIC, {"type": "queue", "conversation_id": conv_id, "state": state})
        if replies:
            self.on_outbox()
        if self.after_commit is not None:
            await self.after_commit(conv_id)
        return more
