"""The web chat's public HTTP API (the portal embeds it: keep it stable; see
``bot/static/openapi.json`` and README "Web chat API").

POST /webchat/api/session        {} | {"session_token"}  → {"session_token", "conversation_id", "state"}
POST /webchat/api/messages       Bearer; {"client_id", "text"} → {"id", "seq", "duplicate", "conversation_id"}
GET  /webchat/api/messages       Bearer; [?after_id=ID] → the visitor's whole history, every
                                 conversation (``conversations``; messages by id, each with its
                                 ``conversation_id``); ?after=SEQ → the current conversation only
GET  /webchat/ws?token=T         WebSocket: {"type": "message", "conversation_id", "message": {...}}
GET  /webchat/, /webchat/widget.js

A new visitor's conversation opens with the bot's greeting (stored as its first message).
After a close the visitor keeps the session and the history; the next message opens a new
conversation linked to the closed one.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import secrets
import uuid
from datetime import timedelta
from pathlib import Path

from aiohttp import WSMsgType, web
from sqlalchemy import select

from bot.events import conversation_topic
from bot.greeting import greeting_source
from bot.http_json import INT32_MAX, INT64_MAX, JsonLimits, bad_request, int_param, read_object
from bot.hub import Hub, hub_of
from bot.serialize import message_dict, publish_message
from connectors.base import PayloadError
from connectors.webchat import MAX_TEXT
from storage.clock import as_utc
from storage.models import ChannelIdentity, Conversation, Message, WebchatSession
from storage.record.conversations import greet, open_conversation
from storage.record.ingest import identity_for
from storage.record.threads import latest_conversation

STATIC = Path(__file__).resolve().parent / "static" / "webchat"
MAX_BODY = 64 * 1024
MAX_TOKEN = 200  # a session token is 43 characters; anything longer is malformed
LIMITS = JsonLimits(
    max_bytes=MAX_BODY,
    max_depth=32,
    max_items=100,
    max_string=MAX_TEXT,
    max_field={"session_token": MAX_TOKEN},
)
SEEN_RESOLUTION = timedelta(minutes=5)  # last_seen_at is written at most this often
CHANNEL = "webchat"
PAGE = 500  # messages per GET
MAX_CONVERSATIONS = 1000  # a visitor's conversations listed in the history
LIVE_CONVERSATIONS = 20  # the newest conversations whose events the WebSocket relays


def setup(app: web.Application) -> None:
    app.router.add_post("/webchat/api/session", create_session)
    app.router.add_post("/webchat/api/messages", post_message)
    app.router.add_get("/webchat/api/messages", list_messages)
    app.router.add_get("/webchat/ws", websocket)
    app.router.add_get("/webchat/", page)
    app.router.add_get("/webchat", redirect_to_page)
    app.router.add_get("/webchat/widget.js", widget)
    app.router.add_static("/webchat/static/", STATIC, append_version=True)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


async def _json_body(request: web.Request) -> dict[str, object]:
    """The body as a bounded JSON object: no string longer than a message may be."""
    return await read_object(request, LIMITS)


async def _current_conversation(hub: Hub, visitor: ChannelIdentity) -> Conversation:
    """The visitor's newest conversation, whatever its state (a closed one keeps showing
    until they write again). A visitor without one gets it now, opened with the greeting."""
    async with hub.sm() as s:
        conv = await latest_conversation(s, visitor)
    if conv is not None:
        return conv
    now = hub.clock.now()
    async with hub.sm() as s, s.begin():
        identity = await s.get(ChannelIdentity, visitor.id, with_for_update=True)
        assert identity is not None
        conv = await latest_conversation(s, identity)  # another request may have opened it meanwhile
        if conv is not None:
            return conv
        conv = await open_conversation(s, identity, identity.channel, now)
        greeting = await greet(s, conv, now, await greeting_source(hub.settings)(s))
    await _publish(hub, greeting)
    return conv


async def _publish(hub: Hub, msg: Message) -> None:
    """After commit: live views see the message, the relay marks it delivered."""
    await publish_message(hub.bus, msg)
    hub.relay.notify()


async def _session_identity(hub: Hub, token: str | None) -> ChannelIdentity | None:
    if not token:
        return None
    async with hub.sm() as s:
        row = (
            await s.execute(
                select(WebchatSession, ChannelIdentity)
                .join(ChannelIdentity, ChannelIdentity.id == WebchatSession.identity_id)
                .where(WebchatSession.token_hash == _hash(token))
            )
        ).first()
        if row is None:
            return None
        sess, identity = row
        now = hub.clock.now()
        seen = as_utc(sess.last_seen_at)
        if seen is None or now - seen > SEEN_RESOLUTION:
            sess.last_seen_at = now
            await s.commit()
        return identity


async def _new_session(hub: Hub) -> tuple[str, ChannelIdentity]:
    token = secrets.token_urlsafe(32)
    now = hub.clock.now()
    async with hub.sm() as s, s.begin():
        identity, _ = await identity_for(s, CHANNEL, f"web-{uuid.uuid4().hex}", now)
        s.add(
            WebchatSession(token_hash=_hash(token), identity_id=identity.id, created_at=now, last_seen_at=now)
        )
    return token, identity


async def create_session(request: web.Request) -> web.Response:
    hub = hub_of(request)
    body = await _json_body(request)
    token = body.get("session_token")
    if token is not None and not isinstance(token, str):
        raise bad_request("session_token phải là chuỗi")
    identity = await _session_identity(hub, token)
    if identity is None or token is None:
        token, identity = await _new_session(hub)
    conv = await _current_conversation(hub, identity)
    return web.json_response({"session_token": token, "conversation_id": conv.id, "state": conv.state})


def _bearer(request: web.Request) -> str | None:
    auth = request.headers.get("Authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip() or None
    return None


async def _require_identity(request: web.Request) -> ChannelIdentity:
    identity = await _session_identity(hub_of(request), _bearer(request))
    if identity is None:
        raise web.HTTPUnauthorized(
            text=json.dumps({"error": "Phiên trò chuyện không hợp lệ hoặc đã hết hạn"}),
            content_type="application/json",
        )
    return identity


async def post_message(request: web.Request) -> web.Response:
    from bot.ingest_service import store_events

    hub = hub_of(request)
    identity = await _require_identity(request)
    body = await _json_body(request)
    raw = json.dumps(
        {"session": identity.external_id, "client_id": body.get("client_id"), "text": body.get("text")}
    )
    try:
        events = hub.registry.get("webchat").parse(raw.encode())
    except PayloadError as err:
        return _error(400, str(err))
    # after a close, ingest opens a new conversation linked to the closed one
    (result,) = await store_events(hub, events)
    return web.json_response(
        {
            "id": result.message_id,
            "seq": result.seq,
            "duplicate": result.duplicate,
            "conversation_id": result.conversation_id,
        }
    )


async def list_messages(request: web.Request) -> web.Response:
    """The visitor's whole history (``after_id``: only messages with a larger id), or with
    ``after`` (a seq) the current conversation's messages only, as before."""
    hub = hub_of(request)
    identity = await _require_identity(request)
    after = request.query.get("after")
    seq = int_param(after, "after", default=0, maximum=INT32_MAX)  # seq is int32
    after_id = int_param(request.query.get("after_id"), "after_id", default=0, maximum=INT64_MAX)
    async with hub.sm() as s:
        convs = list(
            (
                await s.execute(
                    select(Conversation)
                    .where(Conversation.identity_id == identity.id)
                    .order_by(Conversation.id)
                    .limit(MAX_CONVERSATIONS)
                )
            ).scalars()
        )
        current = convs[-1] if convs else None
        shown = [c.id for c in convs]
        query = select(Message).where(Message.direction != "internal")
        if after is not None:
            shown = [current.id] if current else []
            query = query.where(Message.seq > seq).order_by(Message.seq)
        else:
            query = query.where(Message.id > after_id).order_by(Message.id)
        rows = list(
            (await s.execute(query.where(Message.conversation_id.in_(shown)).limit(PAGE + 1))).scalars()
        )
    return web.json_response(
        {
            "conversation_id": current.id if current else None,
            "state": current.state if current else None,
            "conversations": [_conversation_dict(c) for c in convs],
            "messages": [message_dict(m) for m in rows[:PAGE]],
            "more": len(rows) > PAGE,
        }
    )


def _conversation_dict(conv: Conversation) -> dict[str, object]:
    created = as_utc(conv.created_at)
    return {
        "id": conv.id,
        "state": conv.state,
        "previous_id": conv.previous_id,
        "created_at": created.isoformat() if created else None,
    }


LIVE_EVENTS = ("message", "processed")  # what the WebSocket pushes, announced in its hello


async def websocket(request: web.Request) -> web.StreamResponse:
    """Live events of the visitor's conversations (the newest ones: a ticket's answer may
    come to a closed one)."""
    hub = hub_of(request)
    identity = await _session_identity(hub, request.query.get("token"))
    if identity is None:
        raise web.HTTPUnauthorized(text="Phiên trò chuyện không hợp lệ")
    conv = await _current_conversation(hub, identity)
    async with hub.sm() as s:
        ids = (
            await s.execute(
                select(Conversation.id)
                .where(Conversation.identity_id == identity.id)
                .order_by(Conversation.id.desc())
                .limit(LIVE_CONVERSATIONS)
            )
        ).scalars()
        topics = [conversation_topic(i) for i in ids]
    ws = web.WebSocketResponse(heartbeat=25)
    await ws.prepare(request)
    sub = await hub.bus.subscribe(*topics)

    async def pump() -> None:
        async for event in sub:
            msg = event.get("message") or {}
            conv_id = event.get("conversation_id", conv.id)
            if event.get("type") == "message" and msg.get("direction") != "internal":
                await ws.send_json({"type": "message", "conversation_id": conv_id, "message": msg})
            elif event.get("type") == "processed":  # the bot's turn on a citizen message is over
                done = {k: event.get(k) for k in ("message_id", "seq", "replies")}
                await ws.send_json({"type": "processed", "conversation_id": conv_id, **done})

    task = asyncio.create_task(pump())
    try:
        await ws.send_json({"type": "hello", "conversation_id": conv.id, "events": list(LIVE_EVENTS)})
        async for frame in ws:
            if frame.type == WSMsgType.TEXT and frame.data == "ping":
                await ws.send_str("pong")
            elif frame.type == WSMsgType.ERROR:
                break
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await sub.close()
    return ws


async def redirect_to_page(request: web.Request) -> web.Response:
    raise web.HTTPFound("/webchat/")


async def page(request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})


async def widget(request: web.Request) -> web.FileResponse:
    return web.FileResponse(
        STATIC / "widget.js",
        headers={"Cache-Control": "no-cache", "Content-Type": "application/javascript; charset=utf-8"},
    )
