"""Issue 4 end to end: the hub with a real Rasa process trained in CI, driven through the
web chat API. Greeting; FAQ answer naming the agency; "cho em gặp cán bộ" walks the contact
form and yields a ticket with a code, conversation ``waiting_human``; silence until an
operator hands back through the console; then the bot answers again. Degraded mode: Rasa
killed mid-conversation → the FAQ engine answers, nothing lost or answered twice."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from sqlalchemy import func, select

from bot.app import HUB, create_app
from bot.auth.passwords import hash_password
from bot.clock import SystemClock
from bot.db.models import Conversation, Message, Ticket
from bot.db.models_console import User
from bot.faq_store import import_version
from faq.model import FaqEntry
from tests.conftest import settings_with, wait_for
from tests.console.conftest import Browserless
from tests.rasa.harness import RasaStack, trained_model

pytestmark = pytest.mark.rasa

TICKET_CODE = re.compile(r"\b1022-\d{4}-\d{6}\b")
FAQ = [
    FaqEntry(
        "CA1",
        "Làm căn cước công dân ở đâu?",
        "Công dân làm căn cước tại Công an cấp huyện.",
        "An ninh",
        "Công an tỉnh",
    ),
    FaqEntry("YT1", "Tiêm vắc xin cho trẻ em ở đâu?", "Tại trạm y tế xã, phường.", "Y tế", "Sở Y tế"),
]


class HubRasaStack(RasaStack):
    """Rasa only: its custom actions are served by the hub under test on ``action_port``."""

    async def _start(self) -> None:
        await self.process.start(ready_timeout=300)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HubRasaStack]:
    model = trained_model()
    s = HubRasaStack(tmp_path_factory.mktemp("rasa-hub"), model.path)
    s.start()
    yield s
    s.stop()


@pytest.fixture
async def hub(hub_settings: Any, stack: HubRasaStack) -> Any:
    settings = settings_with(
        hub_settings,
        engine="rasa",
        rasa_url=stack.rasa_url,
        rasa_timeout=5.0,
        faq_poll_interval=0.2,
        env={"HUB_RASA_URL": stack.rasa_url},
    )
    server = TestServer(await create_app(settings), host="127.0.0.1", port=stack.action_port)
    await server.start_server()
    h = server.app[HUB]
    await import_version(h.sm, SystemClock(), FAQ, "Công an tỉnh", activate=True)
    await wait_for(lambda: h.faq.available and h.faq.holder.engine.config.use_semantic, timeout=60)
    yield server
    await server.close()


class Citizen:
    def __init__(self, base: str, http: aiohttp.ClientSession) -> None:
        self.base, self.http, self.token, self.seq = base, http, "", 0

    async def start(self) -> Citizen:
        async with self.http.post(f"{self.base}/webchat/api/session", json={}) as r:
            self.token = (await r.json())["session_token"]
        return self

    async def say(self, text: str, *, expect_reply: bool = True) -> str:
        headers = {"Authorization": f"Bearer {self.token}"}
        async with self.http.post(
            f"{self.base}/webchat/api/messages",
            headers=headers,
            json={"client_id": str(uuid.uuid4()), "text": text},
        ) as r:
            self.seq = (await r.json())["seq"]

        async def replies() -> str | None:
            async with self.http.get(
                f"{self.base}/webchat/api/messages?after={self.seq}", headers=headers
            ) as r:
                out = [m["text"] for m in (await r.json())["messages"] if m["direction"] == "out"]
            return "\n".join(out) if out else None

        if not expect_reply:
            await asyncio.sleep(2.0)
            assert await replies() is None
            return ""
        got: str = await wait_for(replies, timeout=30)
        return got


async def operator(hub_server: Any, base: str) -> Browserless:
    h = hub_server.app[HUB]
    now = datetime.now(UTC)
    async with h.sm() as s, s.begin():
        s.add(
            User(
                username="op-e2e",
                full_name="Cán bộ trực",
                password_hash=hash_password("mat-khau-du-dai-123"),
                role="operator",
                active=True,
                created_at=now,
                updated_at=now,
            )
        )
    who = Browserless(aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)), base)
    status, body = await who.login("op-e2e", "mat-khau-du-dai-123")
    assert status == 200, body
    return who


async def test_greeting_faq_form_ticket_silence_hand_back(hub: Any) -> None:
    base = f"http://127.0.0.1:{hub.port}"
    async with aiohttp.ClientSession() as http:
        c = await Citizen(base, http).start()
        assert "xin kính chào" in (await c.say("xin chào")).lower()
        answer = await c.say("làm căn cước công dân ở đâu")
        assert "Công an cấp huyện" in answer and "Công an tỉnh" in answer
        assert "họ và tên" in await c.say("cho em gặp cán bộ")
        assert "số điện thoại" in await c.say("Nguyễn Văn An")
        assert "địa chỉ" in await c.say("0912345678")
        assert "e-mail" in await c.say("thôn Đông, xã Quảng Tân")
        done = await c.say("không có")
        code = TICKET_CODE.search(done)
        assert code, done
        h = hub.app[HUB]
        async with h.sm() as s:
            ticket = (await s.execute(select(Ticket).where(Ticket.code == code.group(0)))).scalar_one()
            conv = await s.get(Conversation, ticket.conversation_id)
            assert conv is not None and conv.state == "waiting_human"
            assert ticket.contact_snapshot and ticket.contact_snapshot.get("phone") == "0912345678"
        await c.say("alo, còn ai ở đó không", expect_reply=False)

        op = await operator(hub, base)
        try:
            status, body = await op.post(f"/console/api/conversations/{conv.id}/take")
            assert status == 200, body
            status, body = await op.post(f"/console/api/conversations/{conv.id}/release")
            assert status == 200, body
        finally:
            await op.http.close()
        assert "xin kính chào" in (await c.say("xin chào")).lower()


async def test_rasa_down_faq_engine_answers_nothing_lost_or_twice(hub: Any, stack: HubRasaStack) -> None:
    base = f"http://127.0.0.1:{hub.port}"
    h = hub.app[HUB]
    async with aiohttp.ClientSession() as http:
        c = await Citizen(base, http).start()
        assert "xin kính chào" in (await c.say("xin chào")).lower()
        stack.call(stack.process.stop())  # Rasa dies mid-conversation
        try:
            answer = await c.say("tiêm vắc xin cho trẻ em ở đâu")
            assert "trạm y tế" in answer and "Sở Y tế" in answer
            health = await (await http.get(f"{base}/healthz")).json()
            assert health["checks"]["engine_up"] is False
            metrics = await (await http.get(f"{base}/metrics")).text()
            assert 'hub_engine_calls_total{engine="rasa",result="unavailable"}' in metrics
            async with h.sm() as s:
                inbound = (
                    await s.execute(select(func.count()).where(Message.direction == "in"))
                ).scalar_one()
                outbound = (
                    await s.execute(select(func.count()).where(Message.direction == "out"))
                ).scalar_one()
                unprocessed = (
                    await s.execute(select(func.count()).where(Message.processed.is_(False)))
                ).scalar_one()
            assert (inbound, unprocessed) == (2, 0)
            assert outbound == 2  # one answer per message, none twice
        finally:
            stack.call(stack.process.start(ready_timeout=300))  # the next test gets Rasa back
