"""Fixtures: the Zalo OA simulator on loopback, a movable clock, connectors aimed at it."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from connectors.registry import ConnectorContext
from connectors.zalo import ZaloConnector, create
from tests.connectors.fakestate import MemoryStateStore
from tests.simulators.zalo_sim import ZaloSimulator

PAYLOADS = Path(__file__).parent / "payloads"
APP_ID = "4291763606161179100"  # the golden payloads' app id (> 2**53)
OA_ID = "1873626290543196385"
USER_ID = "8063947237857451397"
GOLDEN_TS = 1763889000.0  # "timestamp" of most golden payloads, in seconds


class MovableClock:
    def __init__(self, now: float = GOLDEN_TS + 2.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def payload_bytes(name: str) -> bytes:
    return (PAYLOADS / f"{name}.json").read_bytes()


def payload(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(payload_bytes(name))
    return data


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock()


@pytest.fixture
async def sim(clock: MovableClock) -> AsyncIterator[ZaloSimulator]:
    async with ZaloSimulator(app_id=APP_ID, oa_id=OA_ID, clock=clock) as simulator:
        simulator.add_user("Lê Thị Mai", user_id=USER_ID, phone="0912345678", address="Phường Điện Biên")
        yield simulator


@pytest.fixture
def store(clock: MovableClock) -> MemoryStateStore:
    return MemoryStateStore(clock)


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client:
        yield client


MakeConnector = Callable[..., ZaloConnector]


@pytest.fixture
def make_connector(
    sim: ZaloSimulator, store: MemoryStateStore, session: aiohttp.ClientSession, clock: MovableClock
) -> MakeConnector:
    """A connector (one "hub worker"); several share ``store`` like workers share the hub's."""

    def make(*, state: MemoryStateStore | None = None, **overrides: Any) -> ZaloConnector:
        settings: dict[str, Any] = {**sim.settings(), **overrides}
        return create(ConnectorContext(session=session, state=state or store, settings=settings, clock=clock))

    return make


@pytest.fixture
def connector(make_connector: MakeConnector) -> ZaloConnector:
    return make_connector()
