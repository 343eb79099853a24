"""A worker's campaign sender (issue 17): sends approved campaigns' due recipients."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web


async def worker_ctx(app: web.Application) -> AsyncIterator[None]:
    yield
