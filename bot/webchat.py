"""The web chat's public HTTP API (the portal embeds it: keep it stable; see
``bot/static/openapi.json`` and README "Web chat API").

POST /webchat/api/session        {} | {"session_token"}  → {"session_token", "conversation_id"}
POST /webchat/api/messages       Bearer; {"client_id", "text"} → {"id", "seq", "duplicate"}
GET  /webchat/api/messages       Bearer; ?after=SEQ → {"conversation_id", "messages": [...]}
GET  /webchat/ws?token=T         WebSocket: {"type": "message", "message": {...}}
GET  /webchat/, /webchat/widget.js
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

from bot.app import HUB, Hub
from bot.clock import as_utc
from bot.db.models import ChannelIdentity, Contact, Conversation, ConversationState, Message, WebchatSession
from bot.events import conversation_topic
from bot.http_json import INT32_MAX, JsonLimits, bad_request, int_param, read_object
from bot.serialize import message_dict
from connectors.base import PayloadError
from connectors.webchat import MAX_TEXT

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


async def _current_conversation(hub: Hub, identity_id: int, *, create: bool) -> Conversation | None:
    async with hub.sm() as s, s.begin():
        conv = (
            await s.execute(
                select(Conversation)
                .where(Conversation.identity_id == identity_id)
                .order_by(Conversation.id.desc())
                .limit(1)
            )
        ).scalar_one_or_none()
        if conv is not None and (conv.state != ConversationState.CLOSED or not create):
            return conv
        if not create:
            return None
        identity = await s.get(ChannelIdentity, identity_id)
        assert identity is not None
        now = hub.clock.now()
        conv = Conversation(
            contact_id=identity.contact_id,
            identity_id=identity_id,
            channel="webchat",
            state=ConversationState.BOT.value,
            last_seq=0,
            created_at=now,
            updated_at=now,
        )
        s.add(conv)
        await s.flush()
        return conv


async def _session_identity(hub: Hub, token: str | None) -> ChannelIdentity | None:
    if not token:
        return None
    async with hub.sm() as s:
        sess = await s.get(WebchatSession, _hash(token))
        if sess is None:
            return None
        identity = await s.get(ChannelIdentity, sess.identity_id)
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
        contact = Contact(created_at=now, updated_at=now)
        s.add(contact)
        await s.flush()
        identity = ChannelIdentity(
            contact_id=contact.id, channel="webchat", external_id=f"web-{uuid.uuid4().hex}", created_at=now
        )
        s.add(identity)
        await s.flush()
        s.add(
            WebchatSession(token_hash=_hash(token), identity_id=identity.id, created_at=now, last_seen_at=now)
        )
    return token, identity


async def create_session(request: web.Request) -> web.Response:
    hub = request.app[HUB]
    body = await _json_body(request)
    token = body.get("session_token")
    if token is not None and not isinstance(token, str):
        raise bad_request("session_token phải là chuỗi")
    identity = await _session_identity(hub, token)
    if identity is None or token is None:
        token, identity = await _new_session(hub)
    conv = await _current_conversation(hub, identity.id, create=True)
    assert conv is not None
    return web.json_response({"session_token": token, "conversation_id": conv.id})


def _bearer(request: web.Request) -> str | None:
    auth = request.headers.get("Authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip() or None
    return None


async def _require_identity(request: web.Request) -> ChannelIdentity:
    identity = await _session_identity(request.app[HUB], _bearer(request))
    if identity is None:
        raise web.HTTPUnauthorized(
            text=json.dumps({"error": "Phiên trò chuyện không hợp lệ hoặc đã hết hạn"}),
            content_type="application/json",
        )
    return identity


async def post_message(request: web.Request) -> web.Response:
    from bot.ingest_service import store_events

    hub = request.app[HUB]
    identity = await _require_identity(request)
    body = await _json_body(request)
    raw = json.dumps(
        {"session": identity.external_id, "client_id": body.get("client_id"), "text": body.get("text")}
    )
    try:
        events = hub.registry.get("webchat").parse(raw.encode())
    except PayloadError as err:
        return _error(400, str(err))
    # make sure a closed conversation does not swallow the message: ingest opens a new one
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
    hub = request.app[HUB]
    identity = await _require_identity(request)
    after = int_param(request.query.get("after"), "after", default=0, maximum=INT32_MAX)  # seq is int32
    conv = await _current_conversation(hub, identity.id, create=False)
    if conv is None:
        return web.json_response({"conversation_id": None, "messages": []})
    async with hub.sm() as s:
        rows = (
            await s.execute(
                select(Message)
                .where(
                    Message.conversation_id == conv.id, Message.seq > after, Message.direction != "internal"
                )
                .order_by(Message.seq)
                .limit(500)
            )
        ).scalars()
        messages = [message_dict(m) for m in rows]
    return web.json_response({"conversation_id": conv.id, "messages": messages})


async def websocket(request: web.Request) -> web.StreamResponse:
    hub = request.app[HUB]
    identity = await _session_identity(hub, request.query.get("token"))
    if identity is None:
        raise web.HTTPUnauthorized(text="Phiên trò chuyện không hợp lệ")
    conv = await _current_conversation(hub, identity.id, create=True)
    assert conv is not None
    ws = web.WebSocketResponse(heartbeat=25)
    await ws.prepare(request)
    sub = await hub.bus.subscribe(conversation_topic(conv.id))

    async def pump() -> None:
        async for event in sub:
            msg = event.get("message") or {}
            if event.get("type") == "message" and msg.get("direction") != "internal":
                await ws.send_json({"type": "message", "conversation_id": conv.id, "message": msg})

    task = asyncio.create_task(pump())
    try:
        await ws.send_json({"type": "hello", "conversation_id": conv.id})
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
