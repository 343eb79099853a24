"""End to end with a real Rasa process trained in CI, driven through the web chat API.

``make run``'s configuration (issue 11: the hub's conversation engine, Rasa's NLU reading
the acts): the greeting on open; an FAQ answer naming the agency, read by Rasa; "cho em gặp
cán bộ" puts the conversation in the operator queue at once and asks the matter first, then
the contact form, then a ticket whose content is the matter; what the citizen adds goes to
the ticket; silence while an operator holds it; the bot again after the hand-back.
Degraded mode: Rasa killed mid-conversation → the hub's own cues read the messages, the
metrics say Rasa is down, nothing lost or answered twice.

``--engine rasa-dialogue`` (Rasa runs the whole dialogue, issue 4) stays selectable for
comparison: its contact form yields a ticket, and silence follows until the hand-back."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from sqlalchemy import func, select

from bot.app import create_app
from bot.auth.passwords import hash_password
from bot.faq_store import import_version
from bot.hub import HUB
from faq.model import FaqEntry
from storage.clock import SystemClock
from storage.models import Conversation, Message, Ticket
from storage.models_console import User
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


@pytest.fixture(params=["rasa"])
async def hub(request: pytest.FixtureRequest, hub_settings: Any, stack: HubRasaStack) -> Any:
    settings = settings_with(
        hub_settings,
        engine=request.param,
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

    async def history(self) -> list[dict[str, Any]]:
        headers = {"Authorization": f"Bearer {self.token}"}
        async with self.http.get(f"{self.base}/webchat/api/messages", headers=headers) as r:
            messages: list[dict[str, Any]] = (await r.json())["messages"]
        return messages

    async def handled(self) -> bool:
        headers = {"Authorization": f"Bearer {self.token}"}
        async with self.http.get(
            f"{self.base}/webchat/api/messages?after={self.seq - 1}", headers=headers
        ) as r:
            mine = [m for m in (await r.json())["messages"] if m["seq"] == self.seq]
        return bool(mine and mine[0]["processed"])

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

        if not expect_reply:  # wait until the hub has handled it, then: nothing was said
            await wait_for(self.handled, timeout=30)
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


async def bot_meta(h: Any, conv_id: int) -> list[dict[str, Any]]:
    async with h.sm() as s:
        rows = await s.execute(
            select(Message.meta)
            .where(Message.conversation_id == conv_id, Message.sender_role == "bot")
            .order_by(Message.seq)
        )
        return [m or {} for m in rows.scalars()]


async def state_of(h: Any, conv_id: int) -> str:
    async with h.sm() as s:
        conv = await s.get(Conversation, conv_id)
        assert conv is not None
        return conv.state


async def test_greeting_faq_person_matter_form_ticket_notes_silence_hand_back(hub: Any) -> None:
    base = f"http://127.0.0.1:{hub.port}"
    h = hub.app[HUB]
    async with aiohttp.ClientSession() as http:
        c = await Citizen(base, http).start()
        [greeting] = await c.history()
        assert greeting["direction"] == "out" and greeting["act"] == "greet"
        conv_id = greeting["conversation_id"]
        answer = await c.say("làm căn cước công dân ở đâu")
        assert "Công an cấp huyện" in answer and "Công an tỉnh" in answer
        assert (await bot_meta(h, conv_id))[-1] | {"nlu": "rasa", "faq_id": "CA1"} == (
            await bot_meta(h, conv_id)
        )[-1]

        asked = await c.say("cho em gặp cán bộ")
        assert "nội dung" in asked  # the matter first
        assert await state_of(h, conv_id) == "waiting_human"  # in the operator queue at once
        matter = "Hồ sơ cấp sổ đỏ của gia đình tôi nộp từ tháng 3 đến nay chưa có kết quả"
        assert "họ và tên" in await c.say(matter)
        assert "số điện thoại" in await c.say("Nguyễn Văn An")
        assert "địa chỉ" in await c.say("0912345678")
        assert "e-mail" in await c.say("thôn Đông, xã Quảng Tân")
        done = await c.say("Bỏ qua")
        code = TICKET_CODE.search(done)
        assert code, done
        assert "{" not in done  # ticket code and due time filled in
        async with h.sm() as s:
            ticket = (await s.execute(select(Ticket).where(Ticket.code == code.group(0)))).scalar_one()
        assert ticket.conversation_id == conv_id and matter in ticket.content
        assert ticket.contact_snapshot and ticket.contact_snapshot.get("phone") == "0912345678"
        assert await state_of(h, conv_id) == "waiting_human"

        extra = "Hồ sơ nộp ở bộ phận một cửa huyện, mã hồ sơ 123"
        assert code.group(0) in await c.say(extra)  # added to the ticket until staff take it
        async with h.sm() as s:
            ticket = (await s.execute(select(Ticket).where(Ticket.code == code.group(0)))).scalar_one()
        assert extra in ticket.content

        op = await operator(hub, base)
        try:
            status, body = await op.post(f"/console/api/conversations/{conv_id}/take")
            assert status == 200, body
            await c.say("alo, còn ai ở đó không", expect_reply=False)  # an operator holds it
            status, body = await op.post(f"/console/api/conversations/{conv_id}/release")
            assert status == 200, body
        finally:
            await op.http.close()
        assert await c.say("xin chào")  # the bot answers again


async def test_rasa_down_the_hubs_cues_read_nothing_lost_or_twice(hub: Any, stack: HubRasaStack) -> None:
    base = f"http://127.0.0.1:{hub.port}"
    h = hub.app[HUB]
    async with aiohttp.ClientSession() as http:
        c = await Citizen(base, http).start()
        conv_id = (await c.history())[0]["conversation_id"]
        assert await c.say("cảm ơn")
        assert (await bot_meta(h, conv_id))[-1]["nlu"] == "rasa"
        stack.call(stack.process.stop())  # Rasa dies mid-conversation
        try:
            answer = await c.say("tiêm vắc xin cho trẻ em ở đâu")
            assert "trạm y tế" in answer and "Sở Y tế" in answer
            assert (await bot_meta(h, conv_id))[-1]["nlu"] == "cues"
            metrics = await (await http.get(f"{base}/metrics")).text()
            assert 'hub_engine_calls_total{engine="rasa",result="unavailable"}' in metrics
            assert 'hub_engine_up{engine="rasa"} 0' in metrics
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
            assert outbound == 3  # the greeting, then one answer per message, none twice
        finally:
            stack.call(stack.process.start(ready_timeout=300))  # the next test gets Rasa back


@pytest.mark.parametrize("hub", ["rasa-dialogue"], indirect=True)
async def test_rasa_dialogue_stays_selectable_form_ticket_silence(hub: Any) -> None:
    base = f"http://127.0.0.1:{hub.port}"
    h = hub.app[HUB]
    async with aiohttp.ClientSession() as http:
        c = await Citizen(base, http).start()
        answer = await c.say("làm căn cước công dân ở đâu")
        assert "Công an cấp huyện" in answer and "Công an tỉnh" in answer
        assert "họ và tên" in await c.say("cho em gặp cán bộ")
        assert "số điện thoại" in await c.say("Nguyễn Văn An")
        assert "địa chỉ" in await c.say("0912345678")
        assert "e-mail" in await c.say("thôn Đông, xã Quảng Tân")
        done = await c.say("không có")
        code = TICKET_CODE.search(done)
        assert code, done
        async with h.sm() as s:
            ticket = (await s.execute(select(Ticket).where(Ticket.code == code.group(0)))).scalar_one()
        assert await state_of(h, ticket.conversation_id) == "waiting_human"
        assert (await bot_meta(h, ticket.conversation_id))[-1]["engine"] == "rasa"
        await c.say("alo, còn ai ở đó không", expect_reply=False)  # Rasa's dialogue: silence
