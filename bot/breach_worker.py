"""A worker's breach clock (issue 18): every ``HUB_BREACH_CHECK_SECONDS`` (default 60) it looks
at the open personal-data breaches with the hub's clock; :func:`privacy.breaches.check_clock`
stores, exactly once each, the 48-hour reminder and the 72-hour overdue notice for supervisors
and admins, and this module shows them live on their consoles."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from aiohttp import web

from bot.console.core import NOTICES_TOPIC, notification_event
from bot.hub import HUB, Hub
from privacy import breach_clock, breaches

log = logging.getLogger(__name__)


async def check_once(hub: Hub) -> int:
    """One look at the clock: the notices stored and published (0 when none were due)."""
    async with hub.sm() as s, s.begin():
        notes = await breaches.check_clock(s, hub.clock.now())
        events = [notification_event(n) for n in notes]
    for event in events:
        await hub.bus.publish(NOTICES_TOPIC, event)
    if events:
        log.info("breach clock: %d notice(s)", len(events))
    return len(events)


async def _loop(hub: Hub, interval: float) -> None:
    while True:
        try:
            await check_once(hub)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("breach clock check failed; retrying")
        await asyncio.sleep(interval)


async def worker_ctx(app: web.Application) -> AsyncIterator[None]:
    hub = app[HUB]
    cfg = breach_clock.load(hub.settings.env, hub.settings.hotline_name)
    task = hub.spawn(_loop(hub, cfg.check_seconds))
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
