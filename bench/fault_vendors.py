"""The vendor simulators of the production fault run: Zalo (:class:`~bench.fault_parts.FaultyZalo`)
delivering its webhooks over HTTPS to nginx's self-signed loopback certificate, and a
Facebook simulator whose Send API can answer HTTP 500 or hang like Zalo's can."""

from __future__ import annotations

import asyncio

import aiohttp
from aiohttp import web

from bench.fault_parts import FaultyZalo
from devtools.facebook import FacebookSimulator


class TlsZalo(FaultyZalo):
    """Webhooks to https://127.0.0.1 (nginx, self-signed): certificate not checked on loopback."""

    async def _session(self) -> aiohttp.ClientSession:
        if self._client is None or self._client.closed:
            self._client = aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=False, limit=0))
        return self._client


class FaultyFacebook(FacebookSimulator):
    """``mode = "500"``: the Send API answers HTTP 500 (Graph's transient error, code 2);
    ``mode = "hang"``: the message is accepted (delivered to the citizen) but the answer comes
    after ``hang_seconds``, past the hub's timeout: a vendor-side timeout (``stalled``)."""

    def __init__(self, **kw: object) -> None:
        super().__init__(**kw)  # type: ignore[arg-type]
        self.mode = "ok"
        self.hang_seconds = 17.0  # past the hub's Graph timeout (FACEBOOK_TIMEOUT, 15 s)
        self.stalled: set[str] = set()
        self.refused = 0

    async def _messages(self, request: web.Request) -> web.Response:
        if self.mode == "500":
            self.refused += 1
            error = {
                "message": "An unexpected error has occurred.",
                "type": "OAuthException",
                "code": 2,
                "is_transient": True,
                "fbtrace_id": "Abench",
            }
            return web.json_response({"error": error}, status=500)
        hang = self.mode == "hang"
        before = len(self.sent)
        response = await super()._messages(request)
        if hang:
            self.stalled.update(s.mid for s in self.sent[before:])
            await asyncio.sleep(self.hang_seconds)
        return response
