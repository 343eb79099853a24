"""End to end through the real hub (bot.app.create_app) with the real credentials.yml:
a signed Messenger delivery → stored once → answered through the Facebook simulator →
delivery receipt moves the status; duplicates and out-of-order deliveries store each
message once; a forged signature stores nothing. SQLite and PostgreSQL."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import func, select

from bot.app import create_app
from bot.config import Settings
from bot.hub import HUB
from devtools.facebook import FacebookSimulator, Fault
from storage.models import ChannelIdentity, Contact, Message
from tests.conftest import ROOT, wait_for

PSID = "24968543211234567"
OTHER = "24968543219999999"


@dataclass
class Rig:
    client: TestClient[Any, Any]
    sim: FacebookSimulator
    url: str

    async def rows(self, **where: Any) -> list[Message]:
        sm = self.client.app[HUB].sm
        async with sm() as s:
            stmt = select(Message).where(Message.channel == "facebook")
            for key, value in where.items():
                stmt = stmt.where(getattr(Message, key) == value)
            return list((await s.execute(stmt.order_by(Message.id))).scalars())

    async def count(self) -> int:
        async with self.client.app[HUB].sm() as s:
            return int((await s.execute(select(func.count()).select_from(Message))).scalar_one())


@pytest.fixture
async def rig(database_url: str, tmp_path: Path, aiohttp_client: Any) -> AsyncIterator[Rig]:
    sim = FacebookSimulator(auto_echo=True, auto_delivery=True, clock=time.time)
    await sim.start()
    settings = Settings(
        database_url=database_url,
        credentials_file=ROOT / "credentials.yml",  # the real file: ${FACEBOOK_*} from env
        media_dir=tmp_path / "media",
        worker_poll_interval=0.2,
        outbox_base_delay=0.05,
        outbox_max_delay=0.5,
        engine="handoff",
        env=sim.env(),
    )
    client: TestClient[Any, Any] = await aiohttp_client(await create_app(settings))
    sim.webhook_url = str(client.make_url("/webhooks/facebook"))
    try:
        assert "facebook" in client.app[HUB].registry, client.app[HUB].registry.disabled
        yield Rig(client, sim, sim.webhook_url)
    finally:
        await sim.stop()


async def test_citizen_message_answered_through_facebook_and_delivered(rig: Rig) -> None:
    sim = rig.sim
    sim.add_user(PSID, "An", "Nguyễn Văn")
    event = sim.text(PSID, "Cho tôi hỏi thủ tục đăng ký khai sinh?")
    status, _ = await sim.post(rig.url, sim.delivery(sim.entry(event)))
    assert status == 200
    [inbound] = await rig.rows(direction="in")
    assert (inbound.text, inbound.channel_message_id) == (
        "Cho tôi hỏi thủ tục đăng ký khai sinh?",
        event["message"]["mid"],
    )
    await wait_for(lambda: len(sim.sent) >= 1)
    [sent] = sim.sent
    assert sent.psid == PSID and sent.messaging_type == "RESPONSE"
    assert "đã nhận được tin nhắn" in sent.message["text"]
    assert (PSID, "typing_on") in sim.actions  # shown while the bot was working

    async def delivered() -> bool:
        out = await rig.rows(direction="out")
        return len(out) == 1 and out[0].status == "delivered"

    await wait_for(delivered)  # the simulator's message_deliveries webhook moved it
    [out] = await rig.rows(direction="out")
    assert out.channel_message_id == sent.mid
    # the echo of our own send came back too and was not stored as a new message
    await wait_for(lambda: len(sim.webhook_posts) >= 2)
    assert all(status == 200 for status, _ in sim.webhook_posts)
    assert len(await rig.rows()) == 2

    async def named() -> bool:  # first contact: profile name fetched from the profile API
        async with rig.client.app[HUB].sm() as s:
            identity = (
                await s.execute(select(ChannelIdentity).where(ChannelIdentity.external_id == PSID))
            ).scalar_one()
            contact = await s.get(Contact, identity.contact_id)
            return identity.display_name == "An Nguyễn Văn" and contact is not None

    await wait_for(named)


async def test_duplicate_and_out_of_order_deliveries_store_each_message_once(rig: Rig) -> None:
    sim = rig.sim
    deliveries = [
        sim.delivery(sim.entry(sim.text(PSID, "Câu 1"), sim.text(OTHER, "Câu A"))),
        sim.delivery(sim.entry(sim.text(PSID, "Câu 2")), sim.entry(sim.text(OTHER, "Câu B"))),
        sim.delivery(sim.entry(sim.text(PSID, "Câu 3"))),
    ]
    statuses = await sim.post_many(rig.url, deliveries, copies=3, shuffle_seed=1022, concurrency=4)
    assert statuses == [200] * 9
    inbound = await rig.rows(direction="in")
    assert sorted(m.text for m in inbound) == ["Câu 1", "Câu 2", "Câu 3", "Câu A", "Câu B"]
    assert len({m.channel_message_id for m in inbound}) == 5


async def test_forged_signature_is_refused_and_stores_nothing(rig: Rig) -> None:
    sim = rig.sim
    before = await rig.count()
    status, _ = await sim.post(rig.url, sim.delivery(sim.entry(sim.text(PSID, "giả mạo"))), forge=True)
    assert status == 403
    assert await rig.count() == before
    assert sim.sent == []


async def test_reply_typed_in_page_inbox_is_recorded_as_operator_message(rig: Rig) -> None:
    sim = rig.sim
    await sim.post(rig.url, sim.delivery(sim.entry(sim.text(PSID, "Xin chào"))))
    await wait_for(lambda: len(sim.sent) >= 1)
    echo = sim.echo(PSID, "Cán bộ trực: anh/chị vui lòng mang CCCD bản gốc.")
    status, _ = await sim.post(rig.url, sim.delivery(sim.entry(echo)))
    assert status == 200
    [op] = await rig.rows(sender_role="operator")
    assert op.text == "Cán bộ trực: anh/chị vui lòng mang CCCD bản gốc." and op.direction == "out"


async def test_handshake_through_the_hub(rig: Rig) -> None:
    ok = await rig.client.get(
        "/webhooks/facebook",
        params={"hub.mode": "subscribe", "hub.verify_token": rig.sim.verify_token, "hub.challenge": "987654"},
    )
    assert ok.status == 200 and await ok.text() == "987654"
    bad = await rig.client.get(
        "/webhooks/facebook",
        params={"hub.mode": "subscribe", "hub.verify_token": "nope", "hub.challenge": "987654"},
    )
    assert bad.status == 403


async def test_transient_graph_errors_are_retried_and_sent_once(rig: Rig) -> None:
    sim = rig.sim
    sim.fail_next(Fault.SERVER_ERROR)
    sim.fail_next(Fault.BAD_GATEWAY)
    await sim.post(rig.url, sim.delivery(sim.entry(sim.text(PSID, "Hỏi lúc Facebook trục trặc"))))
    await wait_for(lambda: len(sim.sent) >= 1)
    failed_attempts = [r for r in sim.requests if r.path.endswith("/messages") and r.status >= 500]
    assert len(failed_attempts) == 2

    async def sent() -> bool:
        out = await rig.rows(direction="out")
        return len(out) == 1 and out[0].status in ("sent", "delivered")

    await wait_for(sent)
    await _relay_settled(rig)  # a wrong second send would have gone out by now
    assert len(sim.sent) == 1


async def test_person_unavailable_fails_for_good_with_the_reason_shown(rig: Rig) -> None:
    sim = rig.sim
    sim.fail_next(Fault.UNAVAILABLE)
    await sim.post(rig.url, sim.delivery(sim.entry(sim.text(PSID, "Tôi sắp chặn Trang"))))

    async def failed() -> Message | None:
        out = await rig.rows(direction="out")
        return out[0] if out and out[0].status == "failed" else None

    msg = await wait_for(failed)
    assert msg.status_reason and "không nhận được tin nhắn" in msg.status_reason
    assert sim.sent == []
    await _relay_settled(rig)  # a permanent error is not retried
    sends = [r for r in sim.requests if r.path.endswith("/messages") and r.body and "message" in r.body]
    assert len(sends) == 1


async def _relay_settled(rig: Rig) -> None:
    """Every send the running relay started has finished, and one more pass over the outbox
    (which sends whatever is due) has run."""
    relay = rig.client.app[HUB].relay
    await wait_for(lambda: not relay.inflight)
    await relay.run_once()
