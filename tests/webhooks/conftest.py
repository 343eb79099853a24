"""Webhook fixtures: a real receiver (an aiohttp server on loopback) that checks every
delivery's signature with its own HMAC code (not the hub's), and can be told to fail."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.app import create_app
from bot.config import Settings
from storage.clock import ManualClock
from tests.console.conftest import console_client, console_clock, people  # noqa: F401  (fixtures)


@dataclass
class Received:
    event: str
    delivery: str
    timestamp: str
    signature_ok: bool
    body: dict[str, Any]


@dataclass
class Receiver:
    """``secret``: the endpoint's (set once the hub created it); ``fail_next``: how many
    next requests get HTTP 500; ``delay``: seconds each request takes."""

    url: str = ""
    secret: str = ""
    fail_next: int = 0
    delay: float = 0.0
    seen: list[Received] = field(default_factory=list)  # every request, failed ones too
    accepted: list[Received] = field(default_factory=list)  # the ones answered 2xx
    in_flight: dict[str, int] = field(default_factory=dict)  # delivery id -> requests now
    overlaps: int = 0  # a delivery in flight twice at once
    most_at_once: int = 0

    def verify(self, timestamp: str, raw: bytes, header: str) -> bool:
        expected = hmac.new(self.secret.encode(), f"{timestamp}.".encode() + raw, hashlib.sha256).hexdigest()
        return hmac.compare_digest(f"sha256={expected}", header)

    async def handle(self, request: web.Request) -> web.Response:
        raw = await request.read()
        h = request.headers
        got = Received(
            h.get("X-Hub1022-Event", ""),
            h.get("X-Hub1022-Delivery", ""),
            h.get("X-Hub1022-Timestamp", ""),
            self.verify(h.get("X-Hub1022-Timestamp", ""), raw, h.get("X-Hub1022-Signature", "")),
            json.loads(raw),
        )
        self.seen.append(got)
        self.in_flight[got.delivery] = self.in_flight.get(got.delivery, 0) + 1
        self.overlaps += self.in_flight[got.delivery] > 1
        self.most_at_once = max(self.most_at_once, sum(self.in_flight.values()))
        try:
            if self.delay:
                await asyncio.sleep(self.delay)  # keeps the request open: lets deliveries overlap
            if self.fail_next > 0:
                self.fail_next -= 1
                return web.json_response({"error": "down"}, status=500)
            if not got.signature_ok:
                return web.json_response({"error": "bad signature"}, status=401)
            self.accepted.append(got)
            return web.json_response({"ok": True})
        finally:
            self.in_flight[got.delivery] -= 1

    def types(self) -> list[str]:
        return [r.event for r in self.accepted]


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    rec = Receiver()
    app = web.Application()
    app.router.add_post("/hook", rec.handle)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    rec.url = str(server.make_url("/hook"))
    yield rec
    await server.close()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
async def console_app(hub_settings: Settings, console_clock: ManualClock) -> web.Application:  # noqa: F811
    """The console's hub app (its workers deliver webhooks) with a quick retry schedule."""
    env = {
        "HUB_DEADLINE_CHECK_SECONDS": "3600",
        "HUB_WEBHOOK_POLL_SECONDS": "0.05",
        "HUB_WEBHOOK_MAX_ATTEMPTS": "2",
        "HUB_WEBHOOK_BASE_DELAY": "0",
        "HUB_WEBHOOK_JITTER": "0",
    }
    return await create_app(replace(hub_settings, env=env), clock=console_clock)
