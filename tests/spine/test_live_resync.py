"""Redis stopped and started again under a live web chat: the page's WebSocket is told to
read what it missed (``resync``), since events published meanwhile are lost (issue 16: the
fault bench saw replies missing from open pages after a Redis outage)."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import WSMsgType

from bot.app import create_app
from bot.config import Settings
from tests.conftest import settings_with, wait_for, webchat_session
from tests.spine.test_event_buses import RedisServer, redis_server, redis_up

__all__ = ["redis_server"]  # the fixture, used below


async def test_an_open_web_chat_page_is_told_to_resync_after_a_redis_outage(
    hub_settings: Settings, redis_server: RedisServer, aiohttp_client: Any
) -> None:
    await wait_for(lambda: redis_up(redis_server.url), timeout=10)
    app = await create_app(settings_with(hub_settings, redis_url=redis_server.url))
    client = await aiohttp_client(app)
    base = str(client.make_url("")).rstrip("/")
    session = await webchat_session(client.session, base)
    ws = await client.ws_connect(f"/webchat/ws?token={session['session_token']}")
    try:
        hello = await ws.receive_json(timeout=5)
        assert hello["type"] == "hello" and "resync" in hello["events"]

        redis_server.stop()
        await asyncio.sleep(1.0)  # the outage's length (its effect is checked below)
        redis_server.start()
        await wait_for(lambda: redis_up(redis_server.url), timeout=10)

        async def next_frame() -> dict[str, Any]:
            while True:
                msg = await ws.receive(timeout=20)
                if msg.type == WSMsgType.TEXT:
                    return dict(msg.json())
                assert msg.type not in (WSMsgType.CLOSE, WSMsgType.CLOSED, WSMsgType.ERROR), msg

        frame = await next_frame()
        assert frame == {"type": "resync", "conversation_id": session["conversation_id"]}
    finally:
        await ws.close()
