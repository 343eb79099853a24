"""Two hub workers sharing the database and Redis: an operator connected to worker B sees,
live on the console WebSocket, a conversation handed off on worker A and taken over there."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import replace
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from bot.app import create_app
from bot.config import Settings
from storage.clock import ManualClock
from tests.conftest import webchat_session
from tests.console.conftest import T0, Browserless

pytestmark = pytest.mark.redis


@pytest.fixture
async def console_app(hub_settings: Settings, console_clock: ManualClock, redis_url: str) -> web.Application:
    """The app that seeds the accounts is a third worker on the same database: its pipeline
    may answer the citizen, so it must publish on the same Redis as the other two (on a
    process-local bus its queue event never reached worker B: the test's failure under load)."""
    settings = replace(hub_settings, redis_url=redis_url, env={"HUB_DEADLINE_CHECK_SECONDS": "3600"})
    return await create_app(settings, clock=console_clock)


async def _next_event(
    ws: aiohttp.ClientWebSocketResponse, want: Any, timeout: float = 15.0
) -> dict[str, Any]:
    async with asyncio.timeout(timeout):
        while True:
            msg = await ws.receive_json()
            if want(msg):
                return dict(msg)


async def test_queue_updates_cross_workers(
    console_client: Any, hub_settings: Settings, redis_url: str, aiohttp_client: Any
) -> None:
    settings = replace(hub_settings, redis_url=redis_url, env={"HUB_DEADLINE_CHECK_SECONDS": "3600"})
    app_a = await create_app(settings, clock=ManualClock(T0))
    app_b = await create_app(settings, clock=ManualClock(T0))
    a, b = await aiohttp_client(app_a), await aiohttp_client(app_b)
    base_a, base_b = (str(c.make_url("")).rstrip("/") for c in (a, b))
    jar = aiohttp.CookieJar(unsafe=True)
    async with aiohttp.ClientSession(cookie_jar=jar) as http_b, aiohttp.ClientSession() as citizen:
        op_b = Browserless(http_b, base_b)
        assert (await op_b.login("op1"))[0] == 200
        async with http_b.ws_connect(base_b + "/console/ws") as ws:
            assert (await ws.receive_json())["type"] == "hello"
            sess = await webchat_session(citizen, base_a)
            conv = sess["conversation_id"]
            async with citizen.post(
                base_a + "/webchat/api/messages",
                json={"client_id": str(uuid.uuid4()), "text": "Cho tôi gặp cán bộ"},
                headers={"Authorization": f"Bearer {sess['session_token']}"},
            ) as r:
                assert r.status == 200
            event = await _next_event(
                ws,
                lambda e: (
                    e.get("type") == "queue"
                    and e.get("conversation_id") == conv
                    and e.get("state") == "waiting_human"
                ),
            )
            assert event["conversation_id"] == conv
            _, q = await op_b.get("/console/api/queue")
            assert conv in [c["id"] for c in q["waiting"]]
            # op2 takes it over on worker A; op1 on worker B sees it leave the queue
            async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http_a:
                op_a = Browserless(http_a, base_a)
                assert (await op_a.login("op2"))[0] == 200
                assert (await op_a.post(f"/console/api/conversations/{conv}/take"))[0] == 200
            event = await _next_event(
                ws,
                lambda e: (
                    e.get("type") == "queue"
                    and e.get("conversation_id") == conv
                    and e.get("state") == "human"
                ),
            )
            assert event["assignee_id"] is not None
            _, q = await op_b.get("/console/api/queue")
            assert conv not in [c["id"] for c in q["waiting"]]
            assert conv in [c["id"] for c in q["others"]]
        # a foreign origin cannot open the console socket (cross-site WebSocket hijacking)
        with pytest.raises(aiohttp.WSServerHandshakeError):
            async with http_b.ws_connect(base_b + "/console/ws", origin="http://evil.example"):
                pass
