"""A hub (real database, real workers) wired to the Zalo simulator, both on one clock moved
by hand, with console accounts: two communications officers, a supervisor, an operator."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient

from bot.app import create_app
from bot.campaign_worker import make_sender, run_once
from bot.config import Settings
from bot.hub import HUB, Hub
from campaigns.sender import Sender
from devtools.clock import FakeClock
from devtools.zalo import ZaloSimulator
from storage.models_console import User
from tests.conftest import settings_with, write_credentials
from tests.connectors.zalo.test_e2e_hub import credentials
from tests.console.conftest import Browserless, _password_hash

VN = timezone(timedelta(hours=7))
MORNING = datetime(2027, 3, 2, 9, 0, tzinfo=VN)  # a Tuesday, 09:00 in Việt Nam
ACCOUNTS = {"tt1": "communications", "tt2": "communications", "sv1": "supervisor", "op1": "operator"}
ENV = {
    "HUB_CAMPAIGN_POLL_INTERVAL": "3600",  # the worker's loop looks once at start; tests drive run_once
    "HUB_CAMPAIGN_CONCURRENCY": "16",
    "HUB_CAMPAIGN_RETRY_DELAY": "30",
    "HUB_CAMPAIGN_RETRY_LIMIT": "3",
    "HUB_DEADLINE_CHECK_SECONDS": "3600",
}


@dataclass
class Bench:
    hub: Hub
    sim: ZaloSimulator
    clock: FakeClock
    sender: Sender
    login: Callable[..., Awaitable[Browserless]]

    async def tick(self) -> int:
        """One look of the worker's campaign sender (the loop's own step)."""
        return await run_once(self.hub, self.sender)

    def at(self, when: datetime) -> None:
        self.clock.seconds = when.timestamp()


@pytest.fixture
async def bench(hub_settings: Settings, tmp_path: Path, aiohttp_client: Any) -> AsyncIterator[Bench]:
    clock = FakeClock(MORNING.timestamp())
    async with ZaloSimulator(clock=clock) as sim:
        sim.promotion_daily_limit = 10_000  # the OA's 500 a day is the -32 test's business
        creds = write_credentials(tmp_path / "credentials-zalo.yml", credentials(sim))
        app = await create_app(settings_with(hub_settings, credentials_file=creds, env=ENV), clock=clock)
        client: TestClient[Any, Any] = await aiohttp_client(app)
        sim.webhook_url = str(client.make_url("/webhooks/zalo"))
        hub = app[HUB]
        now = hub.clock.now()
        async with hub.sm() as s, s.begin():
            for name, role in ACCOUNTS.items():
                s.add(
                    User(
                        username=name,
                        full_name=f"Cán bộ {name}",
                        password_hash=_password_hash(),
                        role=role,
                        active=True,
                        created_at=now,
                        updated_at=now,
                    )
                )
        base = str(client.make_url("")).rstrip("/")
        opened: list[aiohttp.ClientSession] = []
        sessions: dict[str, Browserless] = {}

        async def login(username: str, *, fresh: bool = False) -> Browserless:
            """One logged-in console session per account (argon2 makes logins slow); ``fresh``:
            a new one (after the clock moved past the session's idle limit)."""
            if username in sessions and not fresh:
                return sessions[username]
            http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
            opened.append(http)
            who = Browserless(http, base)
            status, body = await who.login(username)
            assert status == 200, body
            sessions[username] = who
            return who

        yield Bench(hub, sim, clock, make_sender(hub), login)
        for http in opened:
            await http.close()
