"""A worker's breach_worker job (issue 18)."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web


async def worker_ctx(app: web.Application) -> AsyncIterator[None]:
    yield
