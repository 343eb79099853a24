"""A minimal HTTP channel for testing the hub's own guarantees (outbox, restarts) without
a vendor: webhooks are unsigned JSON ``{"user", "id", "text"}``; ``send`` POSTs
``{"message_id", "user", "text"}`` to ``<url>/send`` and expects ``{"id"}``; HTTP 429 with
Retry-After is a rate limit, other 5xx are transient, 4xx permanent.

Enable it in a credentials file with ``loopback: {module: tests.spine.loopback_channel,
url: http://127.0.0.1:PORT}``.
"""

from __future__ import annotations

import json

import aiohttp
from aiohttp import web

from connectors.base import (
    Connector,
    ContactProfile,
    EventKind,
    InboundMessage,
    OutboundMessage,
    PayloadError,
    PermanentSendError,
    RateLimited,
    SendResult,
    TransientSendError,
)
from connectors.registry import ConnectorContext


class LoopbackConnector(Connector):
    name = "loopback"

    def __init__(self, session: aiohttp.ClientSession, url: str) -> None:
        self.session, self.url = session, url

    async def verify(self, request: web.Request) -> bytes:
        """Unsigned on purpose: a test channel, on loopback only."""
        return await request.read()

    def parse(self, raw: bytes) -> list[InboundMessage]:
        try:
            body = json.loads(raw)
            return [
                InboundMessage(
                    channel=self.name,
                    kind=EventKind.MESSAGE,
                    external_user_id=str(body["user"]),
                    channel_message_id=str(body["id"]),
                    text=str(body["text"]),
                )
            ]
        except (ValueError, KeyError, TypeError) as err:
            raise PayloadError(f"bad loopback delivery: {err}") from err

    async def send(self, message: OutboundMessage) -> SendResult:
        payload = {"message_id": message.message_id, "user": message.external_user_id, "text": message.text}
        try:
            async with self.session.post(
                f"{self.url}/send", json=payload, timeout=aiohttp.ClientTimeout(total=30)
            ) as r:
                if r.status == 429:
                    raise RateLimited("rate limited", retry_after=float(r.headers.get("Retry-After", "1")))
                if r.status >= 500:
                    raise TransientSendError(f"HTTP {r.status}")
                if r.status >= 400:
                    raise PermanentSendError(f"Kênh thử từ chối: HTTP {r.status}", code=r.status)
                body = await r.json()
        except (TimeoutError, aiohttp.ClientError) as err:
            raise TransientSendError(f"network: {err!r}") from err
        return SendResult((str(body["id"]),))

    async def fetch_profile(self, external_user_id: str) -> ContactProfile | None:
        """``GET <url>/profile?user=`` → ``{"name"}``."""
        try:
            async with self.session.get(f"{self.url}/profile", params={"user": external_user_id}) as r:
                if r.status != 200:
                    return None
                body = await r.json()
        except (TimeoutError, aiohttp.ClientError):
            return None
        return ContactProfile(display_name=str(body["name"]))


def create(ctx: ConnectorContext) -> LoopbackConnector:
    return LoopbackConnector(ctx.session, str(ctx.settings["url"]))
