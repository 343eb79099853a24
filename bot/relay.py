"""The outbox relay: sends queued replies through their connectors.

Every send runs on its own: the relay claims due rows and starts their sends without
waiting for them, so a hanging channel holds up only its own sends. A channel has at most
``per_channel`` sends in flight and a conversation one (its rows go out in order: a row
waits while an older one of its conversation is pending). Claims are short
(``claim_seconds``) and renewed while a send is in flight, so a killed worker's claims free
within one lifetime.

An attempt is counted and marked started *before* the channel is called, and its outcome
is written with retries through a short database outage, so a failed write never quietly
sends again: a row whose last attempt is still marked started (a crash, a write that never
got through, a timeout) may have reached the citizen, and its retry is logged and counted
(``hub_outbox_possible_duplicates_total`` and ``outbox.possible_duplicates``) unless the
connector declares ``idempotent_send = True``. Failures back off exponentially with full
jitter, honour a channel's retry time, and end as ``failed`` with the reason after
``max_attempts``.

Every ``purge_every`` seconds the running relay also deletes the ``channel_state`` rows
whose time ran out (early receipts, connectors' state: :func:`storage.record.state.purge_expired`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import secrets
import time
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import timedelta

from bot.events import EventBus
from bot.lifecycle import Stopper, stop_gracefully
from bot.metrics import Metrics
from bot.serialize import publish_message
from connectors.base import Connector, OutboundMessage, PermanentSendError, RateLimited, SendError, SendResult
from connectors.registry import ConnectorRegistry
from storage.clock import Clock, as_utc
from storage.models import Message
from storage.record.outbound import (
    Attempt,
    Claimed,
    begin_attempt,
    claim_due,
    load_outbound,
    record_failed,
    record_sent,
    release_claim,
    renew_claims,
    settle_stored,
)
from storage.record.state import purge_dead_leases, purge_expired, retry_db
from storage.session import SessionMaker, uncut

log = logging.getLogger(__name__)

CLAIM_SECONDS = 12.0
PER_CHANNEL = 8  # sends in flight per channel
RECORD_WITHIN = 60.0  # seconds to keep trying to record a send's outcome
PURGE_EVERY = 600.0  # seconds between deletions of expired channel_state rows


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
        per_channel: int = PER_CHANNEL,
        record_within: float = RECORD_WITHIN,
        purge_every: float = PURGE_EVERY,
    ) -> None:
        self.claim_seconds, self.per_channel, self.record_within = claim_seconds, per_channel, record_within
        self.purge_every = purge_every
        self.next_purge = time.monotonic()  # the first pass purges
        self.sm, self.registry, self.bus, self.clock, self.metrics = sm, registry, bus, clock, metrics
        self.policy = policy or RetryPolicy()
        self.poll_interval = poll_interval
        self.batch = batch
        self.rng = rng or random.Random()
        self.on_sent = on_sent
        self.wake = asyncio.Event()
        self.last_beat = time.monotonic()
        self.stopper = Stopper()
        self.holder = secrets.token_hex(8)
        self.inflight: dict[int, Claimed] = {}  # outbox row id -> our claim, while its send runs
        self._sends: set[asyncio.Task[None]] = set()

    def notify(self) -> None:
        self.wake.set()

    def stop(self) -> None:
        self.stopper.stop()
        self.wake.set()

    async def run(self) -> None:
        async with self._renewing():
            while not self.stopper.stopping:
                self.last_beat = time.monotonic()
                self.wake.clear()  # before claiming: a send ending meanwhile wakes the next pass
                if self.last_beat >= self.next_purge:
                    self.next_purge = self.last_beat + self.purge_every
                    await self.purge_expired_state()
                try:
                    started = await self.dispatch()
                except Exception:
                    log.exception("outbox pass failed")
                    started = 0
                if started:
                    continue
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.wake.wait(), self.poll_interval)
            await stop_gracefully(list(self._sends))

    async def dispatch(self) -> int:
        """Claim what is due and start sending it, without waiting for the sends."""
        settled = await self.settle_stored()
        claimed = await self.claim()
        for claim in claimed:
            task = asyncio.create_task(self._send(claim), name=f"outbox-{claim.item_id}")
            self._sends.add(task)
            task.add_done_callback(self._sends.discard)
        return settled + len(claimed)

    async def purge_expired_state(self) -> int:
        """Delete the state rows whose time ran out and the leases dead for an hour (how
        many); a failure is logged, the next purge tries again."""
        try:
            now = self.clock.now()
            return await purge_expired(self.sm, now) + await purge_dead_leases(self.sm, now)
        except Exception:
            log.exception("deleting expired channel_state rows failed")
            return 0

    async def run_once(self) -> int:
        """Claim what is due and wait for those sends (tests and tools)."""
        async with self._renewing():
            settled = await self.settle_stored()
            claimed = await self.claim()
            await asyncio.gather(*(self._send(claim) for claim in claimed))
        return settled + len(claimed)

    async def settle_stored(self) -> int:
        """Record as delivered, in one transaction, the replies of channels the citizen
        reads from the hub's database (``Capabilities.delivered_when_stored``): nothing to
        send, so no claim and no attempt, four transactions a reply fewer."""
        msgs = await settle_stored(self.sm, self._stored_channels(), self.clock.now(), self.batch)
        for msg in msgs:
            await self._delivered(msg, msg.channel)
        return len(msgs)

    def _stored_channels(self) -> list[str]:
        return [c.name for c in self.registry if c.capabilities.delivered_when_stored]

    async def _delivered(self, msg: Message, channel: str) -> None:
        """Counted, its latency observed, the live views told of its new status."""
        self.metrics.sent(channel)
        created, sent = as_utc(msg.created_at), as_utc(msg.sent_at)
        if created is not None and sent is not None:
            self.metrics.reply_latency.observe(max((sent - created).total_seconds(), 0.0))
        await publish_message(self.bus, msg)
        if self.on_sent is not None:
            self.on_sent(msg)

    # ------------------------------------------------------------------ claims

    async def claim(self) -> list[Claimed]:
        busy = Counter(c.channel for c in self.inflight.values())
        for name in self._stored_channels():  # settled, never sent (settle_stored)
            busy[name] = self.per_channel
        claimed = await claim_due(
            self.sm,
            self.clock.now(),
            token=f"{self.holder}:{secrets.token_hex(6)}",
            ttl=self.claim_seconds,
            limit=self.batch,
            room={channel: self.per_channel - n for channel, n in busy.items()},
            per_channel=self.per_channel,
        )
        for claim in claimed:
            self.inflight[claim.item_id] = claim
        return claimed

    @contextlib.asynccontextmanager
    async def _renewing(self) -> AsyncIterator[None]:
        task = asyncio.create_task(self._renew_loop(), name="outbox-claims")
        try:
            yield
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def _renew_loop(self) -> None:
        while True:
            await asyncio.sleep(self.claim_seconds / 3)
            try:
                await self.renew_claims()
            except Exception as err:
                log.warning("renewing outbox claims failed (%s); retrying", type(err).__name__)

    async def renew_claims(self) -> None:
        """Extend the claims of every send in flight."""
        by_token: defaultdict[str, list[int]] = defaultdict(list)
        for claim in list(self.inflight.values()):
            by_token[claim.token].append(claim.item_id)
        now = self.clock.now()
        for token, ids in by_token.items():
            kept = await uncut(renew_claims(self.sm, now, self.claim_seconds, token, ids), 5.0)
            if kept < len(ids):
                self.metrics.lease_lost("outbox")
                log.warning("%s outbox claim(s) ran out and were taken by another worker", len(ids) - kept)

    async def _release(self, claim: Claimed) -> None:
        try:
            await retry_db(
                lambda: release_claim(self.sm, claim.item_id, claim.token),
                within=self.claim_seconds,
                what=f"releasing outbox item {claim.item_id}",
                on_retry=lambda: self.metrics.db_retry("outbox_release"),
                give_up=lambda: self.stopper.stopping,  # shutting down: it runs out by itself
            )
        except Exception:
            log.warning("outbox item %s: claim not released; it runs out by itself", claim.item_id)

    # ------------------------------------------------------------------ sending

    async def _send(self, claim: Claimed) -> None:
        try:
            await self._deliver(claim)
        except Exception:
            log.exception("outbox item %s: sending failed; it will be tried again", claim.item_id)
            await self._release(claim)
        finally:
            self.inflight.pop(claim.item_id, None)
            self.wake.set()

    async def _deliver(self, claim: Claimed) -> None:
        loaded = await load_outbound(self.sm, claim.item_id)
        if loaded is None:
            return
        item, out = loaded
        if out.channel not in self.registry:
            err = PermanentSendError(f"Kênh {out.channel} đang tắt")
            await self._failed(claim, item.attempts, out, err, final=True)
            return
        if item.attempts >= self.policy.max_attempts:  # earlier attempts never recorded an outcome
            err = PermanentSendError(f"Đã thử gửi {item.attempts} lần mà không ghi nhận được kết quả")
            await self._failed(claim, item.attempts, out, err, final=True)
            return
        connector = self.registry.get(out.channel)
        idempotent = bool(getattr(connector, "idempotent_send", False))
        attempt = await begin_attempt(
            self.sm, claim.item_id, claim.token, self.clock.now(), idempotent=idempotent
        )
        if attempt is None:  # done meanwhile, or our claim ran out and was taken
            return
        if attempt.unfinished_before:
            self._repeat(out, attempt, idempotent)
        await self._attempt(claim, connector, out, attempt)

    async def _attempt(
        self, claim: Claimed, connector: Connector, out: OutboundMessage, attempt: Attempt
    ) -> None:
        try:
            result = await connector.send(out)
        except SendError as err:
            self.metrics.send_failed(out.channel, type(err).__name__)
            unknown = _outcome_unknown(err)
            await self._failed(claim, attempt.number, out, err, final=not err.retryable, unknown=unknown)
            return
        except Exception as err:  # a connector bug must not stop the relay
            log.exception("connector %s raised an unexpected error", out.channel)
            self.metrics.send_failed(out.channel, "unexpected")
            err2 = SendError(f"Lỗi không xác định: {err!r}")
            await self._failed(claim, attempt.number, out, err2, final=False, unknown=True)
            return
        await self._sent(claim, out, result)

    def _repeat(self, out: OutboundMessage, attempt: Attempt, idempotent: bool) -> None:
        if idempotent:
            log.info(
                "message %s: repeating an unfinished attempt (the channel is idempotent)", out.message_id
            )
            return
        self.metrics.possible_duplicate(out.channel)
        log.warning(
            "message %s to %s: attempt %s repeats one whose outcome was never recorded; "
            "the citizen may get it twice",
            out.message_id,
            out.channel,
            attempt.number,
        )

    async def _sent(self, claim: Claimed, out: OutboundMessage, result: SendResult) -> None:
        now = self.clock.now()
        try:
            msg = await retry_db(
                lambda: record_sent(self.sm, claim.item_id, out, result, now),
                within=self.record_within,
                what=f"recording the send of message {out.message_id}",
                on_retry=lambda: self.metrics.db_retry("outbox_result"),
            )
        except Exception:
            log.error(
                "message %s went out to %s but could not be recorded; a retry will be counted "
                "as a possible duplicate",
                out.message_id,
                out.channel,
            )
            raise
        if msg is None:
            return
        await self._delivered(msg, out.channel)

    async def _failed(
        self,
        claim: Claimed,
        attempts: int,
        out: OutboundMessage,
        err: SendError,
        *,
        final: bool,
        unknown: bool = False,
    ) -> None:
        now = self.clock.now()
        final = final or attempts >= self.policy.max_attempts
        next_at = None if final else now + timedelta(seconds=self.policy.delay(attempts, err, self.rng))
        msg = await retry_db(
            lambda: record_failed(
                self.sm,
                claim.item_id,
                out.message_id,
                err.reason,
                now,
                next_at=next_at,
                outcome_unknown=unknown,
            ),
            within=self.record_within,
            what=f"recording the failed send of message {out.message_id}",
            on_retry=lambda: self.metrics.db_retry("outbox_result"),
        )
        if msg is not None and final:
            log.warning("message %s to %s failed for good: %s", out.message_id, out.channel, err.reason)
            await publish_message(self.bus, msg)


def _outcome_unknown(err: BaseException) -> bool:
    """A timeout: the channel may have delivered the message before we stopped waiting."""
    seen: BaseException | None = err
    for _ in range(8):
        if seen is None:
            return False
        if isinstance(seen, TimeoutError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False
