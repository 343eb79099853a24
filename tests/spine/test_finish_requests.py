"""A request whose client goes away half-way is still finished (bot.routes.finish_requests):
the test server cancels handlers on a lost connection (``web.run_app`` does not), and a
handler cut off inside a transaction left, on SQLite, a dropped connection holding the write
lock ("database is locked" for every later transaction)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from sqlalchemy import select

from bot.app import create_app
from bot.config import Settings
from bot.hub import HUB
from storage.models import ChannelState


async def test_a_request_cut_off_by_its_client_still_commits(
    hub_settings: Settings, aiohttp_client: Any
) -> None:
    app = await create_app(hub_settings, run_workers=False)
    hub = app[HUB]
    started, go, finished = asyncio.Event(), asyncio.Event(), asyncio.Event()

    async def slow_write(request: web.Request) -> web.Response:
        async with hub.sm() as s, s.begin():
            s.add(ChannelState(key="cut-off", value="v", updated_at=datetime.now(UTC)))
            await s.flush()  # the write lock is held from here
            started.set()
            await go.wait()
        finished.set()
        return web.json_response({"ok": True})

    app.router.add_post("/test/slow-write", slow_write)
    client = await aiohttp_client(app)
    url = str(client.make_url("/test/slow-write"))
    async with aiohttp.ClientSession() as http:
        request = asyncio.create_task(http.post(url))
        await asyncio.wait_for(started.wait(), 10)
        request.cancel()  # the client goes away: the connection is closed
        with pytest.raises(asyncio.CancelledError):
            await request
    await asyncio.sleep(0)  # let the server see the lost connection
    go.set()
    await asyncio.wait_for(finished.wait(), 10)
    async with hub.sm() as s, s.begin():  # no lock left behind
        assert (
            await s.execute(select(ChannelState.value).where(ChannelState.key == "cut-off"))
        ).scalar() == "v"
