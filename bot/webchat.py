"""The web chat's backend: :class:`connectors.webchat.backend.WebchatBackend` over the
hub's database, the conversation record and the event bus. The HTTP API itself (URLs,
validation, JSON shapes, the WebSocket) lives in the channel's folder,
:mod:`connectors.webchat.api`; :func:`setup` mounts it with this backend.

A session is a random token whose SHA-256 is stored (``webchat_sessions``) with the
visitor's channel identity; ``last_seen_at`` is written at most every five minutes."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

from aiohttp import web
from sqlalchemy import select

from bot.events import conversation_topic
from bot.greeting import greeting_source
from bot.hub import HUB, Hub
from bot.serialize import message_dict, publish_message
from connectors.base import Connector, InboundMessage
from connectors.http_json import JsonLimits, read_object
from connectors.webchat import MAX_TEXT
from connectors.webchat.api import WebchatApi
from connectors.webchat.backend import ConversationInfo, Feed, History, Stored
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
MAX_CONVERSATIONS = 1000  # a visitor's conversations listed in the history
LIVE_CONVERSATIONS = 20  # the newest conversations whose events the WebSocket relays


def setup(app: web.Application) -> None:
    hub = app[HUB]
    app.router.add_routes(WebchatApi(HubWebchat(hub), STATIC, hub.settings.hotline_name).routes())


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _info(conv: Conversation) -> ConversationInfo:
    return ConversationInfo(
        id=conv.id, state=conv.state, previous_id=conv.previous_id, created_at=as_utc(conv.created_at)
    )


class HubWebchat:
    """The web chat's backend on one hub; a visitor is their channel identity."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub

    async def read_json(self, request: web.Request) -> dict[str, Any]:
        """The body as a bounded JSON object: no string longer than a message may be."""
        return await read_object(request, LIMITS)

    async def visitor_for(self, token: str) -> ChannelIdentity | None:
        hub = self.hub
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

    async def new_session(self) -> tuple[str, ChannelIdentity]:
        token = secrets.token_urlsafe(32)
        now = self.hub.clock.now()
        async with self.hub.sm() as s, s.begin():
            identity, _ = await identity_for(s, CHANNEL, f"web-{uuid.uuid4().hex}", now)
            s.add(
                WebchatSession(
                    token_hash=_hash(token), identity_id=identity.id, created_at=now, last_seen_at=now
                )
            )
        return token, identity

    async def current(self, visitor: ChannelIdentity) -> ConversationInfo:
        hub = self.hub
        async with hub.sm() as s:
            conv = await latest_conversation(s, visitor)
        if conv is not None:
            return _info(conv)
        now = hub.clock.now()
        async with hub.sm() as s, s.begin():
            identity = await s.get(ChannelIdentity, visitor.id, with_for_update=True)
            assert identity is not None
            conv = await latest_conversation(s, identity)  # another request may have opened it meanwhile
            if conv is not None:
                return _info(conv)
            conv = await open_conversation(s, identity, identity.channel, now)
            greeting = await greet(s, conv, now, await greeting_source(hub.settings)(s))
        await self._publish(greeting)
        return _info(conv)

    async def _publish(self, msg: Message) -> None:
        """After commit: live views see the message, the relay marks it delivered."""
        await publish_message(self.hub.bus, msg)
        self.hub.wake_outbox()

    def connector(self) -> Connector:
        return self.hub.registry.get(CHANNEL)

    async def store(self, events: Sequence[InboundMessage]) -> Stored:
        from bot.ingest_service import store_events

        (result,) = await store_events(self.hub, events)
        return Stored(result.message_id, result.seq, result.duplicate, result.conversation_id)

    async def history(
        self, visitor: ChannelIdentity, *, after_seq: int | None, after_id: int, limit: int
    ) -> History:
        async with self.hub.sm() as s:
            convs = list(
                (
                    await s.execute(
                        select(Conversation)
                        .where(Conversation.identity_id == visitor.id)
                        .order_by(Conversation.id)
                        .limit(MAX_CONVERSATIONS)
                    )
                ).scalars()
            )
            current = convs[-1] if convs else None
            shown = [c.id for c in convs]
            query = select(Message).where(Message.direction != "internal")
            if after_seq is not None:
                shown = [current.id] if current else []
                query = query.where(Message.seq > after_seq).order_by(Message.seq)
            else:
                query = query.where(Message.id > after_id).order_by(Message.id)
            rows = list(
                (await s.execute(query.where(Message.conversation_id.in_(shown)).limit(limit))).scalars()
            )
        return History([_info(c) for c in convs], [message_dict(m) for m in rows])

    async def live_conversations(self, visitor: ChannelIdentity) -> list[int]:
        async with self.hub.sm() as s:
            return list(
                (
                    await s.execute(
                        select(Conversation.id)
                        .where(Conversation.identity_id == visitor.id)
                        .order_by(Conversation.id.desc())
                        .limit(LIVE_CONVERSATIONS)
                    )
                ).scalars()
            )

    async def subscribe(self, conversation_ids: Sequence[int]) -> Feed:
        return await self.hub.bus.subscribe(*(conversation_topic(i) for i in conversation_ids))
