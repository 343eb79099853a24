"""What a hub process does (``python -m bot serve --role``), and how its parts find each other.

* ``web``: HTTP only (webhooks, web chat, WebSocket, console, public pages). It stores a
  delivery, commits, acknowledges, and wakes the workers through the event bus: it never
  answers or sends, so an acknowledgement never waits behind answering.
* ``worker``: no HTTP port. The pipeline, the outbox relay, the e-mail poller, the deadline
  checker and the scheduled reports. Workers hear the web processes' wake-ups on the bus
  (Redis, or PostgreSQL LISTEN/NOTIFY) and, whatever the bus does, sweep the database every
  ``HUB_WORKER_POLL_INTERVAL`` seconds: a lost wake-up delays an answer, it loses nothing.
* ``all`` (``make run``): both in one process.

Any number of each run on one PostgreSQL: the conversation and outbox leases in the
database decide who works on what. A worker keeps a heartbeat lease (``worker:…``) that the
web processes' ``/healthz`` counts.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from bot.events import Event, EventBus
from storage.clock import Clock
from storage.models import Lease
from storage.record.state import DbLeases
from storage.session import SessionMaker

log = logging.getLogger(__name__)

ROLES = ("all", "web", "worker")
WAKE_TOPIC = "work"
HEARTBEAT_PREFIX = "worker:"


def runs_http(role: str) -> bool:
    return role in ("all", "web")


def runs_workers(role: str) -> bool:
    return role in ("all", "worker")


def check_role(role: str, database_url: str, processes: int) -> str | None:
    """Why this combination cannot run (Vietnamese, for the command line), or None."""
    if role not in ROLES:
        return f"vai trò {role!r} không có: chọn {', '.join(ROLES)}"
    if processes < 1:
        return "số tiến trình (--workers) phải từ 1 trở lên"
    several = role != "all" or processes > 1
    if several and database_url.startswith("sqlite"):
        return (
            "SQLite chỉ phục vụ một tiến trình (--role all, --workers 1); nhiều tiến trình cần "
            "PostgreSQL (HUB_DATABASE_URL=postgresql+asyncpg://…), xem docs/deploy.md"
        )
    return None


def wake_event(conversation_id: int | None = None) -> Event:
    return {"conversation": conversation_id} if conversation_id is not None else {"outbox": True}


def profile_event(channel: str, external_id: str) -> Event:
    """A new sender whose name the channel can tell: a worker asks it (web processes never
    call a vendor's API)."""
    return {"profile": {"channel": channel, "user": external_id}}


async def publish_wake(bus: EventBus, event: Event) -> None:
    """Best effort: the workers' sweep finds the work anyway."""
    try:
        await bus.publish(WAKE_TOPIC, event)
    except Exception as err:
        log.warning("could not wake the workers (%s); their sweep will find the work", err)


async def hear_wakes(
    bus: EventBus,
    on_conversation: Callable[[int], None],
    on_outbox: Callable[[], None],
    on_profile: Callable[[str, str], None] = lambda channel, user: None,
    *,
    backoff: float = 1.0,
) -> None:
    """A worker's subscription to the web processes' wake-ups; subscribes again if the
    subscription fails or ends (until cancelled)."""
    while True:
        sub = None
        try:
            sub = await bus.subscribe(WAKE_TOPIC)
            async for event in sub:
                conv = event.get("conversation")
                if isinstance(conv, int):
                    on_conversation(conv)
                elif event.get("outbox"):
                    on_outbox()
                elif isinstance(profile := event.get("profile"), dict):
                    on_profile(str(profile.get("channel")), str(profile.get("user")))
        except asyncio.CancelledError:
            raise
        except Exception as err:
            log.warning("the wake-up subscription failed (%s); subscribing again", err)
        finally:
            if sub is not None:
                with contextlib.suppress(Exception):
                    await sub.close()
        await asyncio.sleep(backoff)


def heartbeat_name() -> str:
    return f"{HEARTBEAT_PREFIX}{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


async def heartbeat(sm: SessionMaker, clock: Clock, name: str, *, every: float = 5.0) -> None:
    """Keep this worker's heartbeat lease (expires after three missed beats) until cancelled."""
    leases = DbLeases(sm, clock)
    try:
        while True:
            try:
                await leases.acquire(name, name[-6:], 3 * every)
            except Exception as err:
                log.warning("worker heartbeat not written (%s)", err)
            await asyncio.sleep(every)
    finally:
        with contextlib.suppress(Exception):
            await asyncio.shield(leases.release(name, name[-6:]))


async def live_workers(sm: SessionMaker, now: datetime) -> int:
    async with sm() as s:
        count: Any = await s.scalar(
            select(func.count()).where(Lease.name.like(f"{HEARTBEAT_PREFIX}%"), Lease.expires_at > now)
        )
        return int(count or 0)
