"""A worker's outbound webhook delivery (issue 17)."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web


async def worker_ctx(app: web.Application) -> AsyncIterator[None]:
    yield
