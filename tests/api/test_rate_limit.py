"""The rate limit is per token and shared by every hub process: in the database, or in Redis
when the hub has one. Over the limit: 429 with ``Retry-After``; the next window lets it in."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from bot.app import create_app
from bot.config import Settings
from bot.hub import HUB
from storage.clock import ManualClock
from storage.models_console import AuditLog
from storage.models_integrations import ApiRateWindow
from tests.api.conftest import bearer, new_token
from tests.console.conftest import T0

LIMIT = 3
WINDOW = 60


async def _two_processes(settings: Settings, aiohttp_client: Any) -> tuple[Any, Any, ManualClock]:
    """Two hub applications on one database (and one Redis when set): two web processes."""
    clock = ManualClock(T0 + timedelta(seconds=5))
    env = {
        "HUB_DEADLINE_CHECK_SECONDS": "3600",
        "HUB_API_RATE_LIMIT": str(LIMIT),
        "HUB_API_RATE_WINDOW_SECONDS": str(WINDOW),
    }
    first = await aiohttp_client(await create_app(replace(settings, env=env), clock=clock))
    second = await aiohttp_client(await create_app(replace(settings, env=env), clock=clock))
    return first, second, clock


async def test_over_the_limit_is_429_with_retry_after(hub_settings: Settings, aiohttp_client: Any) -> None:
    first, second, clock = await _two_processes(hub_settings, aiohttp_client)
    assert first.app[HUB].redis is None  # counted in the database
    await _limited(first, second, clock)


async def test_the_limit_is_counted_in_redis_when_there_is_one(
    hub_settings: Settings, aiohttp_client: Any, redis_url: str
) -> None:
    first, second, clock = await _two_processes(replace(hub_settings, redis_url=redis_url), aiohttp_client)
    assert first.app[HUB].redis is not None
    await _limited(first, second, clock)
    async with first.app[HUB].sm() as s:
        windows = (await s.execute(select(func.count()).select_from(ApiRateWindow))).scalar_one()
    assert windows == 0  # nothing counted in the database


async def _limited(first: Any, second: Any, clock: ManualClock) -> None:
    _, secret = await new_token(first.app, "faq:read")
    _, other = await new_token(first.app, "faq:read", name="Smart Thanh Hóa")
    statuses = []
    for i in range(LIMIT + 1):  # spread over both processes
        r = await (first, second)[i % 2].get("/api/v1/faq?q=tiem+vac+xin", headers=bearer(secret))
        statuses.append(r.status)
    assert statuses == [200] * LIMIT + [429]
    body = await r.json()
    assert body["error"]["code"] == "rate_limited"
    retry = int(r.headers["Retry-After"])
    assert retry == WINDOW - 5  # the window started 5 s before the clock
    assert "thử lại sau" in body["error"]["message"]

    # another token has its own budget
    assert (await second.get("/api/v1/faq?q=abc", headers=bearer(other))).status == 200

    clock.advance(seconds=retry - 1)
    assert (await first.get("/api/v1/faq?q=abc", headers=bearer(secret))).status == 429
    clock.advance(seconds=1)
    assert (await second.get("/api/v1/faq?q=abc", headers=bearer(secret))).status == 200

    async with first.app[HUB].sm() as s:
        limited = (
            (await s.execute(select(AuditLog).where(AuditLog.action == "api_rate_limited"))).scalars().all()
        )
    assert len(limited) == 2
