"""Bad input from a channel is stored, or kept for an operator, and never loses the other
events of a delivery (issue 10, defect 1). Real hub, real signed deliveries through the
real webhook route, SQLite and PostgreSQL.

* NUL and other C0 controls are removed (tab and newline kept, CR/CRLF become newline),
  lone surrogates become U+FFFD: the message is stored, never refused;
* an id longer than its column is refused for that event only: the event is kept in
  ``webhook_failures`` with its raw payload and a Vietnamese reason, the others are stored,
  and the vendor gets 200 (a redelivery cannot fix it; a 5xx would make it retry and
  finally switch the webhook off);
* a database that is down is a 503, so the vendor redelivers.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import create_async_engine

from bot.app import create_app
from bot.config import Settings
from bot.hub import HUB
from devtools.facebook import FacebookSimulator
from devtools.net import free_port
from storage.models import Message, WebhookFailure
from storage.session import is_sqlite, make_sessionmaker
from tests.conftest import ROOT

PSID = "24968543211234567"
OTHER = "24968543219999999"
THIRD = "24968543210000003"


@dataclass
class Rig:
    client: TestClient[Any, Any]
    sim: FacebookSimulator
    url: str

    async def inbound(self) -> list[Message]:
        async with self.client.app[HUB].sm() as s:
            stmt = select(Message).where(Message.direction == "in").order_by(Message.id)
            return list((await s.execute(stmt)).scalars())

    async def failures(self) -> list[WebhookFailure]:
        async with self.client.app[HUB].sm() as s:
            return list((await s.execute(select(WebhookFailure).order_by(WebhookFailure.id))).scalars())

    async def post_events(self, *events: dict[str, Any], ascii_json: bool = False) -> tuple[int, str]:
        """One signed delivery holding ``events`` in one entry, in order."""
        payload = self.sim.delivery(self.sim.entry(*events))
        body = json.dumps(payload).encode() if ascii_json else self.sim.encode(payload)
        return await self.sim.post(self.url, body)


@pytest.fixture
async def rig(database_url: str, tmp_path: Path, aiohttp_client: Any) -> AsyncIterator[Rig]:
    sim = FacebookSimulator(clock=time.time)
    await sim.start()
    settings = Settings(
        database_url=database_url,
        credentials_file=ROOT / "credentials.yml",
        media_dir=tmp_path / "media",
        worker_poll_interval=0.2,
        engine="handoff",
        env=sim.env(),
    )
    client: TestClient[Any, Any] = await aiohttp_client(await create_app(settings))
    try:
        yield Rig(client, sim, str(client.make_url("/webhooks/facebook")))
    finally:
        await sim.stop()


async def test_nul_and_controls_in_a_batch_store_every_citizen_message(rig: Rig) -> None:
    sim = rig.sim
    ok1 = sim.text(PSID, "Cho tôi hỏi về khai sinh?")
    bad = sim.text(OTHER, "bad \u0000 text\x07\x1b[31m\tcột\r\ndòng\rcuối\x7f")
    ok2 = sim.text(THIRD, "Thủ tục tạm trú?")
    status, body = await rig.post_events(ok1, bad, ok2)
    assert status == 200, body
    rows = await rig.inbound()
    assert [r.channel_message_id for r in rows] == [e["message"]["mid"] for e in (ok1, bad, ok2)]
    assert rows[1].text == "bad  text[31m\tcột\ndòng\ncuối\x7f"
    assert await rig.failures() == []


async def test_lone_surrogates_become_replacement_characters(rig: Rig) -> None:
    sim = rig.sim
    ok1 = sim.text(PSID, "Xin chào")
    bad = sim.text(OTHER, "nửa cặp \ud83d cuối \udc00")
    ok2 = sim.text(THIRD, "Tạm biệt")
    ok2["message"]["quick_reply"] = {"payload": "P\ud800"}  # a tap reads as its payload
    status, body = await rig.post_events(ok1, bad, ok2, ascii_json=True)  # "\ud83d" escapes
    assert status == 200, body
    rows = await rig.inbound()
    assert [r.text for r in rows] == ["Xin chào", "nửa cặp \ufffd cuối \ufffd", "P\ufffd"]
    assert rows[2].meta is not None and rows[2].meta["postback_payload"] == "P\ufffd"


async def test_over_long_ids_are_kept_for_an_operator_and_the_batch_is_acknowledged(rig: Rig) -> None:
    sim = rig.sim
    long_mid = "m_" + "x" * 598
    long_psid = "9" * 400
    ok1 = sim.text(PSID, "Tin đầu")
    bad_mid = sim.text(OTHER, "mã tin quá dài", mid=long_mid)
    bad_sender = sim.text(long_psid, "mã người gửi quá dài")
    ok2 = sim.text(THIRD, "Tin cuối")
    status, body = await rig.post_events(ok1, bad_mid, bad_sender, ok2)
    assert status == 200, body
    answer = json.loads(body)
    assert answer["events"] == 4 and len(answer["failed"]) == 2
    assert [r.text for r in await rig.inbound()] == ["Tin đầu", "Tin cuối"]
    failures = await rig.failures()
    assert [f.channel for f in failures] == ["facebook", "facebook"]
    assert "mã tin nhắn dài 600 ký tự" in failures[0].error and "500" in failures[0].error
    assert "mã người dùng dài 400 ký tự" in failures[1].error and "320" in failures[1].error
    kept = [json.loads(f.body) for f in failures]
    assert kept[0]["raw"]["message"]["mid"] == long_mid  # the vendor's own event, for replay
    assert kept[1]["raw"]["sender"]["id"] == long_psid
    assert kept[1]["event"]["text"] == "mã người gửi quá dài"

    # Facebook redelivers the same batch: nothing is stored twice, nothing is kept twice
    assert (await rig.post_events(ok1, bad_mid, bad_sender, ok2))[0] == 200
    assert len(await rig.inbound()) == 2 and len(await rig.failures()) == 2


async def test_a_malformed_event_is_kept_and_the_others_are_stored(rig: Rig) -> None:
    sim = rig.sim
    ok1, ok2 = sim.text(PSID, "Tin một"), sim.text(THIRD, "Tin ba")
    broken = sim.text(OTHER, "không có mã tin")
    del broken["message"]["mid"]
    status, body = await rig.post_events(ok1, broken, ok2)
    assert status == 200, body
    assert [r.text for r in await rig.inbound()] == ["Tin một", "Tin ba"]
    [kept] = await rig.failures()
    assert "message.mid" in kept.error
    assert json.loads(kept.body)["raw"]["message"]["text"] == "không có mã tin"


async def test_a_database_outage_is_a_503_so_the_vendor_redelivers(rig: Rig, tmp_path: Path) -> None:
    hub = rig.client.app[HUB]
    working = hub.sm
    if is_sqlite(str(hub.db.url)):
        (tmp_path / "not-a-dir").write_text("")
        down_url = f"sqlite+aiosqlite:///{tmp_path / 'not-a-dir' / 'hub.sqlite3'}"
    else:
        down_url = f"postgresql+asyncpg://127.0.0.1:{free_port()}/gone"
    down = create_async_engine(down_url)
    event = rig.sim.text(PSID, "Tin gửi lúc cơ sở dữ liệu ngừng")
    hub.sm = make_sessionmaker(down)
    try:
        status, body = await rig.post_events(event)
    finally:
        hub.sm = working
        await down.dispose()
    assert status == 503, body
    assert "thử lại" in json.loads(body)["error"]
    assert await rig.inbound() == [] and await rig.failures() == []
    assert (await rig.post_events(event))[0] == 200  # the redelivery stores it
    assert [r.text for r in await rig.inbound()] == ["Tin gửi lúc cơ sở dữ liệu ngừng"]


async def test_webchat_text_with_nul_and_lone_surrogate_is_stored(client: Any) -> None:
    session = await (await client.post("/webchat/api/session", json={})).json()
    headers = {"Authorization": f"Bearer {session['session_token']}", "Content-Type": "application/json"}
    raw = f'{{"client_id": "{uuid.uuid4()}", "text": "xin\\u0000 chào \\ud800 bạn"}}'
    r = await client.post("/webchat/api/messages", headers=headers, data=raw.encode())
    assert r.status == 200, await r.text()
    async with client.app[HUB].sm() as s:
        stored = (await s.execute(select(Message.text).where(Message.direction == "in"))).scalar_one()
    assert stored == "xin chào \ufffd bạn"
