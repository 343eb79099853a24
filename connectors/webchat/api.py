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

Everything the handlers need of the hub (sessions, the conversation record, the live
events) comes through the :class:`~connectors.webchat.backend.WebchatBackend` given.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import json
from pathlib import Path
from typing import Generic

from aiohttp import WSMsgType, web

from connectors.base import PayloadError
from connectors.http_json import INT32_MAX, INT64_MAX, bad_request, int_param
from connectors.webchat.backend import ConversationInfo, V, WebchatBackend

PAGE = 500  # messages per GET
# what the WebSocket pushes, announced in its hello
LIVE_EVENTS = ("message", "processed", "typing", "resync")


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


def _bearer(request: web.Request) -> str | None:
    auth = request.headers.get("Authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip() or None
    return None


def _conversation_dict(conv: ConversationInfo) -> dict[str, object]:
    return {
        "id": conv.id,
        "state": conv.state,
        "previous_id": conv.previous_id,
        "created_at": conv.created_at.isoformat() if conv.created_at else None,
    }


PAGE_NAME = "Tổng đài 1022"  # the hotline's name as written in index.html


class WebchatApi(Generic[V]):
    """The handlers, over ``backend``; the page and the widget are read from ``static``;
    ``hotline`` is the name the page shows (the deployment's hotline name)."""

    def __init__(self, backend: WebchatBackend[V], static: Path, hotline: str = PAGE_NAME) -> None:
        self.backend, self.static, self.hotline = backend, static, hotline

    def routes(self) -> list[web.AbstractRouteDef]:
        return [
            web.post("/webchat/api/session", self.create_session),
            web.post("/webchat/api/messages", self.post_message),
            web.get("/webchat/api/messages", self.list_messages),
            web.get("/webchat/ws", self.websocket),
            web.get("/webchat/", self.page),
            web.get("/webchat", self.redirect_to_page),
            web.get("/webchat/widget.js", self.widget),
            web.static("/webchat/static/", self.static, append_version=True),
        ]

    async def _visitor(self, token: str | None) -> V | None:
        return await self.backend.visitor_for(token) if token else None

    async def _require_visitor(self, request: web.Request) -> V:
        visitor = await self._visitor(_bearer(request))
        if visitor is None:
            raise web.HTTPUnauthorized(
                text=json.dumps({"error": "Phiên trò chuyện không hợp lệ hoặc đã hết hạn"}),
                content_type="application/json",
            )
        return visitor

    async def create_session(self, request: web.Request) -> web.Response:
        body = await self.backend.read_json(request)
        token = body.get("session_token")
        if token is not None and not isinstance(token, str):
            raise bad_request("session_token phải là chuỗi")
        visitor = await self._visitor(token)
        if visitor is None or token is None:
            token, visitor = await self.backend.new_session()
        conv = await self.backend.current(visitor)
        return web.json_response({"session_token": token, "conversation_id": conv.id, "state": conv.state})

    async def post_message(self, request: web.Request) -> web.Response:
        visitor = await self._require_visitor(request)
        body = await self.backend.read_json(request)
        raw = json.dumps(
            {"session": visitor.external_id, "client_id": body.get("client_id"), "text": body.get("text")}
        )
        try:
            events = self.backend.connector().parse(raw.encode())
        except PayloadError as err:
            return _error(400, str(err))
        # after a close, ingest opens a new conversation linked to the closed one
        result = await self.backend.store(events)
        return web.json_response(
            {
                "id": result.message_id,
                "seq": result.seq,
                "duplicate": result.duplicate,
                "conversation_id": result.conversation_id,
            }
        )

    async def list_messages(self, request: web.Request) -> web.Response:
        """The visitor's whole history (``after_id``: only messages with a larger id), or with
        ``after`` (a seq) the current conversation's messages only, as before."""
        visitor = await self._require_visitor(request)
        after = request.query.get("after")
        seq = int_param(after, "after", default=0, maximum=INT32_MAX)  # seq is int32
        after_id = int_param(request.query.get("after_id"), "after_id", default=0, maximum=INT64_MAX)
        history = await self.backend.history(
            visitor, after_seq=seq if after is not None else None, after_id=after_id, limit=PAGE + 1
        )
        current = history.conversations[-1] if history.conversations else None
        return web.json_response(
            {
                "conversation_id": current.id if current else None,
                "state": current.state if current else None,
                "conversations": [_conversation_dict(c) for c in history.conversations],
                "messages": history.messages[:PAGE],
                "more": len(history.messages) > PAGE,
            }
        )

    async def websocket(self, request: web.Request) -> web.StreamResponse:
        """Live events of the visitor's conversations (the newest ones: a ticket's answer may
        come to a closed one)."""
        visitor = await self._visitor(request.query.get("token"))
        if visitor is None:
            raise web.HTTPUnauthorized(text="Phiên trò chuyện không hợp lệ")
        conv = await self.backend.current(visitor)
        ids = await self.backend.live_conversations(visitor)
        ws = web.WebSocketResponse(heartbeat=25)
        await ws.prepare(request)
        sub = await self.backend.subscribe(ids)

        async def pump() -> None:
            async for event in sub:
                msg = event.get("message") or {}
                conv_id = event.get("conversation_id", conv.id)
                if event.get("type") == "message" and msg.get("direction") != "internal":
                    await ws.send_json({"type": "message", "conversation_id": conv_id, "message": msg})
                elif event.get("type") == "processed":  # the bot's turn on a citizen message is over
                    done = {k: event.get(k) for k in ("message_id", "seq", "replies")}
                    await ws.send_json({"type": "processed", "conversation_id": conv_id, **done})
                elif event.get("type") == "resync":  # the hub's bus was away: read what was missed
                    await ws.send_json({"type": "resync", "conversation_id": conv_id})
                elif event.get("type") == "typing":  # the officer holding it is writing
                    on = bool(event.get("on"))
                    await ws.send_json({"type": "typing", "conversation_id": conv_id, "on": on})

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

    async def redirect_to_page(self, request: web.Request) -> web.Response:
        raise web.HTTPFound("/webchat/")

    async def page(self, request: web.Request) -> web.Response:
        """The chat page, named after this deployment's hotline."""
        page = (self.static / "index.html").read_text(encoding="utf-8")
        return web.Response(
            text=page.replace(PAGE_NAME, html.escape(self.hotline)),
            content_type="text/html",
            headers={"Cache-Control": "no-cache"},
        )

    async def widget(self, request: web.Request) -> web.Response:
        """The embeddable widget; its default label names this deployment's hotline."""
        script = (self.static / "widget.js").read_text(encoding="utf-8")
        name = json.dumps(self.hotline, ensure_ascii=False)[1:-1].replace("</", "<\\/")
        return web.Response(
            text=script.replace(PAGE_NAME, name),
            headers={"Cache-Control": "no-cache", "Content-Type": "application/javascript; charset=utf-8"},
        )
