"""The Facebook simulator as a server: its routes, start and stop, and the demo endpoints
(``/_sim/...``)."""

from __future__ import annotations

import asyncio
import contextlib
import json

import aiohttp
from aiohttp import web

from devtools.facebook.graph import GraphApi


class FacebookSimulator(GraphApi):
    """A faithful Messenger Platform on loopback (see :mod:`devtools.facebook`)."""

    # ------------------------------------------------------------------ lifecycle

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> FacebookSimulator:
        app = web.Application(client_max_size=30 * 1024 * 1024)
        app.router.add_post(f"/{self.version}/{{node}}/messages", self._messages)
        app.router.add_post(f"/{self.version}/me/messenger_profile", self._set_messenger_profile)
        app.router.add_get(f"/{self.version}/me/messenger_profile", self._get_messenger_profile)
        app.router.add_get(f"/{self.version}/{{node}}", self._profile)
        app.router.add_post("/_sim/citizen", self._sim_citizen)
        app.router.add_get("/_sim/sent", self._sim_sent)
        app.router.add_post("/_sim/tap", self._sim_tap)
        self._runner = web.AppRunner(app, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        self._session = aiohttp.ClientSession()
        return self

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self._session is not None:
            await self._session.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> FacebookSimulator:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # ------------------------------------------------------------------ demo endpoints

    async def _sim_citizen(self, request: web.Request) -> web.Response:
        data = await request.json()
        psid, text = str(data.get("psid", "")), str(data.get("text", ""))
        if not psid or not text or not self.webhook_url:
            return web.json_response({"error": "need psid, text and --webhook"}, status=400)
        if psid not in self.users:
            self.add_user(psid, str(data.get("first_name", "Công dân")), str(data.get("last_name", "")))
        try:
            status, answer = await self.post(
                self.webhook_url, self.delivery(self.entry(self.text(psid, text)))
            )
        except aiohttp.ClientError as err:
            return web.json_response({"error": f"hub unreachable at {self.webhook_url}: {err}"}, status=502)
        return web.json_response({"hub_status": status, "hub_answer": answer})

    async def _sim_tap(self, request: web.Request) -> web.Response:
        """``{"psid": "...", "button": 0 | "title"}``: the citizen taps a quick reply."""
        data = await request.json()
        which = data.get("button", 0)
        try:
            event = self.tap(str(data.get("psid", "")), which if isinstance(which, int | str) else 0)
        except (LookupError, IndexError) as err:
            return web.json_response({"error": str(err)}, status=400)
        if not self.webhook_url:
            return web.json_response({"error": "need --webhook"}, status=400)
        status, answer = await self.post(self.webhook_url, self.delivery(self.entry(event)))
        return web.json_response({"hub_status": status, "hub_answer": answer})

    async def _sim_sent(self, request: web.Request) -> web.Response:
        return web.json_response(
            dumps=lambda obj: json.dumps(obj, ensure_ascii=False),
            data=[
                {
                    "psid": s.psid,
                    "mid": s.mid,
                    "messaging_type": s.messaging_type,
                    "tag": s.tag,
                    "message": s.message,
                }
                for s in self.sent
            ],
        )
