"""Console fixtures: a hub app with a manual clock, accounts of every role, and logged-in
HTTP clients (one cookie jar each) talking to it over loopback."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from sqlalchemy import select

from bot.app import create_app
from bot.auth.passwords import hash_password
from bot.config import Settings
from bot.hub import HUB
from storage.clock import ManualClock
from storage.models_console import Agency, User
from tests.conftest import wait_for, webchat_session

PASSWORD = "mat-khau-du-dai-123"
# Tuesday 2 March 2027, 09:00 in Việt Nam: office hours
T0 = datetime(2027, 3, 2, 2, 0, tzinfo=UTC)
ACCOUNTS = {
    "op1": ("operator", None),
    "op2": ("operator", None),
    "sv1": ("supervisor", None),
    "admin1": ("admin", None),
    "yte1": ("agency", "so-yte"),
    "gtvt1": ("agency", "so-gtvt"),
}


@pytest.fixture
def console_clock() -> ManualClock:
    return ManualClock(T0)


@pytest.fixture
async def console_app(hub_settings: Settings, console_clock: ManualClock) -> web.Application:
    settings = replace(hub_settings, env={"HUB_DEADLINE_CHECK_SECONDS": "3600"})
    return await create_app(settings, clock=console_clock)


@pytest.fixture
async def console_client(console_app: web.Application, aiohttp_client: Any) -> TestClient[Any, Any]:
    client: TestClient[Any, Any] = await aiohttp_client(console_app)
    hub = console_app[HUB]
    now = hub.clock.now()
    async with hub.sm() as s, s.begin():
        for name, (role, agency) in ACCOUNTS.items():
            agency_row = None
            if agency:
                agency_row = (await s.execute(select(Agency).where(Agency.code == agency))).scalar_one()
            s.add(
                User(
                    username=name,
                    full_name=f"Cán bộ {name}",
                    password_hash=_password_hash(),
                    role=role,
                    agency_id=agency_row.id if agency_row else None,
                    active=True,
                    created_at=now,
                    updated_at=now,
                )
            )
    return client


_HASH: list[str] = []


def _password_hash() -> str:
    """One real argon2 hash of PASSWORD per test run (hashing is deliberately slow)."""
    if not _HASH:
        _HASH.append(hash_password(PASSWORD))
    return _HASH[0]


@dataclass
class Browserless:
    """One person's HTTP session against the console (own cookie jar, CSRF token)."""

    http: aiohttp.ClientSession
    base: str
    csrf: str = ""

    async def get(self, path: str, **kw: Any) -> tuple[int, Any]:
        async with self.http.get(self.base + path, **kw) as r:
            return r.status, await _body(r)

    async def post(
        self, path: str, json: Any = None, *, csrf: str | None = None, **kw: Any
    ) -> tuple[int, Any]:
        headers = dict(kw.pop("headers", {}))
        token = self.csrf if csrf is None else csrf
        if token:
            headers["X-CSRF-Token"] = token
        async with self.http.post(self.base + path, json=json, headers=headers, **kw) as r:
            return r.status, await _body(r)

    def cookie(self) -> str | None:
        for c in self.http.cookie_jar:
            if c.key == "hub_console":
                return c.value
        return None

    async def login(self, username: str, password: str = PASSWORD) -> tuple[int, Any]:
        status, body = await self.get("/console/api/csrf")
        assert status == 200
        self.csrf = body["csrf"]
        status, body = await self.post("/console/api/login", {"username": username, "password": password})
        if status == 200:
            self.csrf = body["csrf"]
        return status, body


async def _body(r: aiohttp.ClientResponse) -> Any:
    if r.content_type == "application/json":
        return await r.json()
    return await r.text()


@pytest.fixture
async def people(console_client: TestClient[Any, Any]) -> AsyncIterator[Any]:
    base = str(console_client.make_url("")).rstrip("/")
    opened: list[aiohttp.ClientSession] = []

    async def make(username: str | None = None) -> Browserless:
        http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        opened.append(http)
        who = Browserless(http, base)
        if username:
            status, body = await who.login(username)
            assert status == 200, body
        return who

    yield make
    for http in opened:
        await http.close()


async def agency_id_of(app: web.Application, code: str) -> int:
    async with app[HUB].sm() as s:
        return int((await s.execute(select(Agency.id).where(Agency.code == code))).scalar_one())


async def citizen_waiting(people: Any, op: Any) -> int:
    """A citizen's web chat asking for a person, once it waits in ``op``'s queue: its id."""
    citizen = await people()
    sess = await webchat_session(citizen.http, citizen.base)
    async with citizen.http.post(
        citizen.base + "/webchat/api/messages",
        json={"client_id": str(uuid.uuid4()), "text": "Cho tôi gặp cán bộ"},
        headers={"Authorization": f"Bearer {sess['session_token']}"},
    ) as r:
        assert r.status == 200
    conv = int(sess["conversation_id"])

    async def waiting() -> bool:
        _, q = await op.get("/console/api/queue")
        return conv in [c["id"] for c in q["waiting"]]

    await wait_for(waiting)
    return conv


async def new_ticket(people: Any, op: Any, content: str = "Cần kiểm tra", **fields: Any) -> tuple[int, str]:
    """A citizen's conversation in the queue and a ticket opened on it with ``fields``
    (contact, domain): (ticket id, code)."""
    conv = await citizen_waiting(people, op)
    status, body = await op.post(f"/console/api/conversations/{conv}/tickets", {"content": content, **fields})
    assert status == 200, body
    return int(body["ticket"]["id"]), str(body["ticket"]["code"])
