"""A worker's outbound webhook delivery (issue 17): the loop that runs
:class:`bot.webhook_delivery.WebhookSender` in every worker process. It sweeps due
deliveries every ``HUB_WEBHOOK_POLL_SECONDS`` and at once when woken on the bus topic
:data:`WAKE_TOPIC` (a redelivery from the console); a lost wake-up only delays."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from aiohttp import web

from bot.events import EventBus, Subscription
from bot.hub import HUB
from bot.lifecycle import Stopper, stop_gracefully
from bot.webhook_delivery import WebhookSender, WebhookSettings

log = logging.getLogger(__name__)

WAKE_TOPIC = "webhooks"


async def wake(bus: EventBus) -> None:
    """Ask the workers to sweep now (a hint: they also sweep on their own)."""
    await bus.publish(WAKE_TOPIC, {"type": "wake"})


async def _listen(sub: Subscription, woken: asyncio.Event) -> None:
    async for _ in sub:
        woken.set()


async def _pause(woken: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            await woken.wait()


async def run(sender: WebhookSender, stopper: Stopper, woken: asyncio.Event) -> None:
    """Sweep until told to stop; a full batch is followed by another sweep at once."""
    while not stopper.stopping:
        woken.clear()
        try:
            done = await sender.run_once()
        except Exception:
            log.exception("webhook delivery sweep failed")
            done = 0
        if done >= sender.settings.batch:
            continue
        await stopper.race(_pause(woken, sender.settings.poll_seconds))


async def worker_ctx(app: web.Application) -> AsyncIterator[None]:
    hub = app[HUB]
    sender = WebhookSender(hub.sm, hub.http, hub.clock, WebhookSettings.from_env(hub.settings.env))
    stopper, woken = Stopper(), asyncio.Event()
    sub = await hub.bus.subscribe(WAKE_TOPIC)
    listener = asyncio.create_task(_listen(sub, woken), name="webhooks-wake")
    loop = asyncio.create_task(run(sender, stopper, woken), name="webhooks")
    yield
    stopper.stop()
    await stop_gracefully([loop])
    listener.cancel()
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await listener
    with contextlib.suppress(Exception):
        await sub.close()
