"""Fixtures: the Zalo OA simulator on loopback, a clock moved by hand, connectors aimed at it."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from connectors.base import STATE_TTL
from connectors.registry import ConnectorContext
from connectors.zalo import ZaloConnector, create
from devtools.clock import FakeClock
from devtools.zalo import ZaloSimulator
from tests.connectors.fakestate import MemoryStateStore

PAYLOADS = Path(__file__).parent / "payloads"
APP_ID = "4291763606161179100"  # the golden payloads' app id (> 2**53)
OA_ID = "1873626290543196385"
USER_ID = "8063947237857451397"
GOLDEN_TS = 1763889000.0  # "timestamp" of most golden payloads, in seconds


def payload_bytes(name: str) -> bytes:
    return (PAYLOADS / f"{name}.json").read_bytes()


def payload(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(payload_bytes(name))
    return data


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(GOLDEN_TS + 2.0)


@pytest.fixture
async def sim(clock: FakeClock) -> AsyncIterator[ZaloSimulator]:
    async with ZaloSimulator(app_id=APP_ID, oa_id=OA_ID, clock=clock) as simulator:
        simulator.add_user("Lê Thị Mai", user_id=USER_ID, phone="0912345678", address="Phường Điện Biên")
        yield simulator


class NetworkLikeStateStore(MemoryStateStore):
    """The in-memory store, but every call yields to the event loop like a Redis/database round
    trip does, so concurrent coroutines really interleave between reads, locks and writes."""

    async def get(self, key: str) -> str | None:
        await asyncio.sleep(0)
        value = await super().get(key)
        await asyncio.sleep(0)
        return value

    async def set(self, key: str, value: str, *, ttl: float = STATE_TTL) -> None:
        await asyncio.sleep(0)
        await super().set(key, value, ttl=ttl)

    async def compare_and_set(
        self, key: str, expected: str | None, value: str, *, ttl: float = STATE_TTL
    ) -> bool:
        await asyncio.sleep(0)
        return await super().compare_and_set(key, expected, value, ttl=ttl)

    def lock(self, name: str, *, timeout: float = 30.0) -> AbstractAsyncContextManager[bool]:
        return self._yielding_lock(name, timeout)

    @asynccontextmanager
    async def _yielding_lock(self, name: str, timeout: float) -> AsyncIterator[bool]:
        await asyncio.sleep(0)
        async with super().lock(name, timeout=timeout) as acquired:
            await asyncio.sleep(0)
            yield acquired


@pytest.fixture
def store(clock: FakeClock) -> MemoryStateStore:
    return NetworkLikeStateStore(clock)


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client:
        yield client


MakeConnector = Callable[..., ZaloConnector]


@pytest.fixture
def make_connector(
    sim: ZaloSimulator, store: MemoryStateStore, session: aiohttp.ClientSession, clock: FakeClock
) -> MakeConnector:
    """A connector (one "hub worker"); several share ``store`` like workers share the hub's."""

    def make(*, state: MemoryStateStore | None = None, **overrides: Any) -> ZaloConnector:
        settings: dict[str, Any] = {**sim.settings(), **overrides}
        return create(ConnectorContext(session=session, state=state or store, settings=settings, clock=clock))

    return make


@pytest.fixture
def connector(make_connector: MakeConnector) -> ZaloConnector:
    return make_connector()
