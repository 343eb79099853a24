"""A scriptable loopback vendor for :mod:`tests.spine.loopback_channel`."""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

from bot.app import create_app
from bot.hub import HUB, Hub
from storage.clock import ManualClock
from storage.migrate import upgrade
from tests.conftest import settings_with, write_credentials


@dataclass
class Vendor:
    received: list[dict[str, Any]] = field(default_factory=list)
    faults: deque[str] = field(default_factory=deque)  # "hang", "429", "500", "400"
    hang: bool = False
    got_request: asyncio.Event = field(default_factory=asyncio.Event)
    runner: web.AppRunner | None = None
    port: int = 0
    profiles_asked: list[str] = field(default_factory=list)  # user ids, in order

    async def profile(self, request: web.Request) -> web.Response:
        user = request.query.get("user", "")
        self.profiles_asked.append(user)
        return web.json_response({"name": f"Công dân {user}"})

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.got_request.set()
        fault = self.faults.popleft() if self.faults else ("hang" if self.hang else None)
        if fault == "hang":
            await asyncio.sleep(3600)
        if fault == "429":
            return web.json_response({"error": "slow down"}, status=429, headers={"Retry-After": "7"})
        if fault in {"500", "400"}:
            return web.json_response({"error": fault}, status=int(fault))
        self.received.append(body)
        return web.json_response({"id": f"v-{len(self.received)}"})

    async def start(self) -> Vendor:
        app = web.Application()
        app.router.add_post("/send", self.handle)
        app.router.add_get("/profile", self.profile)
        self.runner = web.AppRunner(app, shutdown_timeout=0.1)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def stop(self) -> None:
        if self.runner is not None:
            with contextlib.suppress(Exception):
                await self.runner.cleanup()


@contextlib.asynccontextmanager
async def loopback_hub(
    settings: Any, vendor_url: str, tmp_path: Path, clock: ManualClock, **overrides: Any
) -> AsyncIterator[Hub]:
    """A hub (no workers running) whose only channel is the loopback test channel, sending to
    the vendor at ``vendor_url``; ``overrides`` replace settings. The database is migrated."""
    creds = write_credentials(
        tmp_path / "creds-loopback.yml",
        f"loopback:\n  module: tests.spine.loopback_channel\n  url: {vendor_url}\n",
    )
    app = await create_app(
        settings_with(settings, credentials_file=creds, **overrides), clock=clock, run_workers=False
    )
    hub = app[HUB]
    await upgrade(hub.db)
    try:
        yield hub
    finally:
        hub.relay.stop()
        await hub.http.close()
        await hub.db.dispose()
