"""Live updates to operators' browsers (WebSocket fed by the event bus — Redis pub/sub
across hub workers) and the periodic deadline check over stored tickets."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from datetime import timedelta
from typing import Any

from aiohttp import WSMsgType, web
from sqlalchemy import delete

from bot.console.agency_mail import send_agency_notices
from bot.console.core import (
    CONSOLE,
    NOTICES_TOPIC,
    STAFF,
    TICKETS_TOPIC,
    ConsoleState,
    current_user,
    notification_event,
)
from bot.events import QUEUE_TOPIC, RESYNC_TYPE, Subscription, conversation_topic
from bot.hub import Hub, hub_of
from handoff.workflow import check_deadlines
from privacy import copy_links
from storage.models_console import LoginAttempt, Role, User, UserSession

log = logging.getLogger(__name__)


def _visible(user: User, event: dict[str, Any]) -> bool:
    """Agency officers get only their agency's ticket events and notices; nothing else."""
    kind = event.get("type")
    if kind == RESYNC_TYPE:  # the bus was away: every view reads what it missed
        return True
    if user.role == Role.COMMUNICATIONS:  # campaigns only: no ticket events, no notices
        return False
    if user.role != Role.AGENCY:
        if kind == "notification":
            wanted = (
                Role.SUPERVISOR.value
                if user.role in (Role.SUPERVISOR.value, Role.ADMIN.value)
                else "operator"
            )
            return event.get("role") == wanted
        return True
    if kind == "ticket":
        return event.get("agency_id") == user.agency_id
    if kind == "notification":
        return event.get("role") == Role.AGENCY.value and event.get("agency_id") == user.agency_id
    return False


def _for_staff(event: dict[str, Any]) -> dict[str, Any]:
    """A message event with a citizen's copy link hidden (:func:`privacy.copy_links.for_staff`)."""
    message = event.get("message")
    if event.get("type") != "message" or not isinstance(message, dict):
        return event
    return event | {"message": copy_links.for_staff(message)}


async def websocket(request: web.Request) -> web.StreamResponse:
    user = current_user(request)
    hub = hub_of(request)
    ws = web.WebSocketResponse(heartbeat=25)
    await ws.prepare(request)
    subs: dict[str, Subscription] = {}
    tasks: dict[str, asyncio.Task[None]] = {}

    async def pump(sub: Subscription) -> None:
        async for event in sub:
            if _visible(user, event) and not ws.closed:
                await ws.send_json(_for_staff(event))

    async def watch(topic: str) -> None:
        if topic in subs:
            return
        subs[topic] = sub = await hub.bus.subscribe(topic)
        tasks[topic] = asyncio.create_task(pump(sub))

    async def unwatch(topic: str) -> None:
        if (sub := subs.pop(topic, None)) is not None:
            await sub.close()
            tasks.pop(topic).cancel()

    await watch(TICKETS_TOPIC)
    await watch(NOTICES_TOPIC)
    if user.role in {r.value for r in STAFF}:
        await watch(QUEUE_TOPIC)
    try:
        await ws.send_json({"type": "hello", "user_id": user.id})
        async for frame in ws:
            if frame.type == WSMsgType.ERROR:
                break
            if frame.type != WSMsgType.TEXT:
                continue
            if frame.data == "ping":
                await ws.send_str("pong")
                continue
            try:
                cmd = json.loads(frame.data)
                conv_id = int(cmd.get("conversation_id"))
            except (ValueError, TypeError, AttributeError):
                continue
            if user.role not in {r.value for r in STAFF}:
                continue  # agency officers do not read conversations
            topic = conversation_topic(conv_id)
            if cmd.get("type") == "watch":
                for other in [t for t in subs if t.startswith("conversation:") and t != topic]:
                    await unwatch(other)
                await watch(topic)
            elif cmd.get("type") == "unwatch":
                await unwatch(topic)
    finally:
        for topic in list(subs):
            await unwatch(topic)
        for task in tasks.values():
            with contextlib.suppress(asyncio.CancelledError):
                await task
    return ws


async def run_deadline_check(hub: Hub, app: web.Application) -> int:
    """One pass (:func:`check_deadlines_once`) with the console's state on the hub's application."""
    return await check_deadlines_once(hub, app[CONSOLE])


async def check_deadlines_once(hub: Hub, state: ConsoleState) -> int:
    """One pass: overdue → supervisor notified once per deadline; breaches flagged."""
    cal = state.calendar
    async with hub.sm() as s, s.begin():
        notes = await check_deadlines(s, hub.clock.now(), cal)
        payload = [notification_event(n) for n in notes]
    for event in payload:
        await hub.bus.publish(NOTICES_TOPIC, event)
        await hub.bus.publish(
            TICKETS_TOPIC,
            {
                "type": "ticket",
                "ticket_id": event["ticket_id"],
                "agency_id": event["agency_id"],
                "status": None,
            },
        )
    return len(payload)


async def purge_expired(hub: Hub) -> int:
    """Drop expired sessions and login attempts older than a day (lock-out needs 15 min)."""
    now = hub.clock.now()
    async with hub.sm() as s, s.begin():
        gone = await s.execute(delete(UserSession).where(UserSession.expires_at < now))
        await s.execute(delete(LoginAttempt).where(LoginAttempt.at < now - timedelta(days=1)))
    return int(gone.rowcount or 0)  # type: ignore[attr-defined]


async def deadline_worker(hub: Hub, state: ConsoleState) -> None:
    interval = state.deadline_interval
    while True:
        try:
            await check_deadlines_once(hub, state)
            await send_agency_notices(hub)  # the agencies' mail: new, urgent, approaching, overdue
            await purge_expired(hub)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("deadline check failed; retrying")
        await asyncio.sleep(interval)
