"""A worker's retention job (issue 18): once a local day, at ``HUB_RETENTION_HOUR`` in the
hotline's time zone (the working calendar's), :func:`privacy.retention.run_for_day` applies
the retention policy. Several worker processes: a database lease lets one of them look at a
time, and the day's ``retention_runs`` row makes a second run that day do nothing."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator

from aiohttp import web

from bot.hub import HUB, Hub
from handoff.calendar import configured_calendar
from privacy import retention
from storage.record.state import DbLeases

log = logging.getLogger(__name__)

LEASE = "retention"
LEASE_TTL = 3600.0  # seconds: a run longer than this lets another worker try
POLL_INTERVAL = 300.0  # seconds between looks at the clock


async def run_once(hub: Hub, cfg: retention.RetentionSettings, holder: str) -> dict[str, int] | None:
    """The day's run if it is due and this process gets the lease; its counts."""
    if not cfg.enabled:
        return None
    leases = DbLeases(hub.sm, hub.clock)
    if not await leases.acquire(LEASE, holder, LEASE_TTL):
        return None
    try:
        async with hub.sm() as s, s.begin():
            counts = await retention.run_for_day(s, hub.clock.now(), cfg, hub.settings.media_dir)
    finally:
        await leases.release(LEASE, holder)
    if counts is not None:
        log.info("retention run: %s", counts)
    return counts


async def _loop(hub: Hub, cfg: retention.RetentionSettings) -> None:
    holder = uuid.uuid4().hex
    while True:
        try:
            await run_once(hub, cfg, holder)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("retention run failed; retrying")
        await asyncio.sleep(POLL_INTERVAL)


async def worker_ctx(app: web.Application) -> AsyncIterator[None]:
    hub = app[HUB]
    cfg = retention.load(hub.settings.env, configured_calendar(hub.settings.env).timezone)
    task = hub.spawn(_loop(hub, cfg)) if cfg.enabled else None
    yield
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
