"""A worker's campaign sender (issue 17): sends approved campaigns' due recipients.

Every ``HUB_CAMPAIGN_POLL_INTERVAL`` seconds one :meth:`campaigns.sender.Sender.tick`: the
channels that can broadcast are the registry's connectors with a broadcaster (capabilities,
never a channel's name); state changes are audit-logged; a halted campaign's notice goes to
the consoles live."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from bot.auth import audit
from bot.console.core import NOTICES_TOPIC, notification_event
from bot.hub import HUB, Hub
from campaigns import districts, settings
from campaigns.sender import Sender
from connectors.broadcast import Broadcaster, broadcaster_of

log = logging.getLogger(__name__)


def broadcasters(hub: Hub) -> dict[str, Broadcaster]:
    """The channels that can broadcast, by name, with their broadcaster."""
    found: dict[str, Broadcaster] = {}
    for connector in hub.registry:
        if (b := broadcaster_of(connector)) is not None:
            found[connector.name] = b
    return found


def audit_change(
    s: AsyncSession, action: str, campaign_id: int, detail: dict[str, Any] | None, now: datetime
) -> None:
    """A state change the sender made (no user, no client address)."""
    audit.record(
        s,
        user=None,
        action=action,
        object_type="campaign",
        object_id=campaign_id,
        now=now,
        ip=None,
        detail=detail,
    )


def make_sender(hub: Hub) -> Sender:
    cfg = settings.load(hub.settings.env)
    return Sender(hub.sm, hub.clock, cfg, broadcasters(hub), districts.load(cfg.districts_file), audit_change)


async def run_once(hub: Hub, sender: Sender) -> int:
    sender.broadcasters = broadcasters(hub)
    done = await sender.tick()
    notices, sender.notices = sender.notices, []
    for n in notices:
        try:
            await hub.bus.publish(NOTICES_TOPIC, notification_event(n))
        except Exception:  # a live hint; the notice is stored
            log.exception("publishing a campaign notice failed")
    return done


async def _loop(hub: Hub, sender: Sender) -> None:
    while True:
        try:
            await run_once(hub, sender)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("campaign sending failed; retrying")
        await asyncio.sleep(sender.cfg.poll_interval)


async def worker_ctx(app: web.Application) -> AsyncIterator[None]:
    hub = app[HUB]
    task = hub.spawn(_loop(hub, make_sender(hub)))
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
