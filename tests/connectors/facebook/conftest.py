"""Fixtures: the Facebook simulator on loopback, a clock moved by hand, a connector aimed at it."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from connectors.facebook import FacebookConnector, create
from connectors.registry import ConnectorContext
from devtools.clock import FakeClock
from devtools.facebook import FacebookSimulator
from tests.connectors.fakestate import MemoryStateStore

PAYLOADS = Path(__file__).parent / "payloads"
PAGE_ID = "1022000000000001"
PSID = "24968543211234567"
APP_ID = "900000000000001"
START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC).timestamp()


def payload_bytes(name: str) -> bytes:
    return (PAYLOADS / f"{name}.json").read_bytes()


def payload(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(payload_bytes(name))
    return data


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
async def sim(clock: FakeClock) -> AsyncIterator[FacebookSimulator]:
    simulator = FacebookSimulator(page_id=PAGE_ID, app_id=APP_ID, clock=clock, hang_seconds=3.0)
    await simulator.start()
    try:
        yield simulator
    finally:
        await simulator.stop()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as s:
        yield s


@pytest.fixture
def state(clock: FakeClock) -> MemoryStateStore:
    return MemoryStateStore(clock=clock)


@pytest.fixture
def make_connector(
    sim: FacebookSimulator, session: aiohttp.ClientSession, state: MemoryStateStore, clock: FakeClock
) -> Callable[..., FacebookConnector]:
    def make(**overrides: Any) -> FacebookConnector:
        settings: dict[str, Any] = {**sim.settings(), "app_id": APP_ID, "timeout": 1.0, **overrides}
        return create(ConnectorContext(session=session, state=state, settings=settings, clock=clock))

    return make


@pytest.fixture
def connector(make_connector: Callable[..., FacebookConnector]) -> FacebookConnector:
    return make_connector()
