"""End to end through the real hub (create_app, real SQLite/PostgreSQL, real workers) and the
Zalo simulator: a signed citizen message in -> stored once even when delivered twice -> the
answer goes out through the simulator -> Zalo's echo is not a new message and its
``user_received_message`` marks the answer delivered; a forged delivery is refused and stores
nothing; staff replies typed in Zalo's OA console are recorded as operator messages."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import func, select

from bot.app import create_app
from bot.config import Settings
from bot.hub import HUB, Hub
from connectors.base import stored_quick_replies
from devtools.zalo import ZaloSimulator
from storage.models import ChannelIdentity, Direction, Message, WebhookFailure
from storage.record.state import read_all
from tests.conftest import settings_with, wait_for, write_credentials

CITIZEN = "8063947237857451397"  # above 2**53


@dataclass
class ZaloHub:
    hub: Hub
    client: TestClient[Any, Any]
    sim: ZaloSimulator
    url: str


def credentials(sim: ZaloSimulator) -> str:
    lines = ["webchat:", "  enabled: true", "zalo:"]
    lines += [f"  {key}: {json_str(value)}" for key, value in sim.settings().items()]
    return "\n".join(lines) + "\n"


def json_str(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


@pytest.fixture
async def zalo_hub(hub_settings: Settings, tmp_path: Path, aiohttp_client: Any) -> AsyncIterator[ZaloHub]:
    async with ZaloSimulator() as sim:
        sim.add_user("Lê Thị Mai", user_id=CITIZEN, phone="0912345678")
        creds = write_credentials(tmp_path / "credentials-zalo.yml", credentials(sim))
        app = await create_app(settings_with(hub_settings, credentials_file=creds))
        client: TestClient[Any, Any] = await aiohttp_client(app)
        url = str(client.make_url("/webhooks/zalo"))
        sim.webhook_url = url  # the simulator sends oa_send_* echoes and receipts back to the hub
        yield ZaloHub(app[HUB], client, sim, url)


async def messages(hub: Hub) -> list[Message]:
    async with hub.sm() as s:
        return list(
            (await s.execute(select(Message).where(Message.channel == "zalo").order_by(Message.id))).scalars()
        )


async def test_citizen_message_is_answered_through_zalo(zalo_hub: ZaloHub) -> None:
    hub, sim = zalo_hub.hub, zalo_hub.sim
    assert "zalo" in hub.registry
    event = sim.user_text(CITIZEN, "Cho tôi hỏi thủ tục đăng ký tạm trú?")
    first, again = await sim.deliver_many(zalo_hub.url, [event], duplicates=1)
    assert first.status == again.status == 200

    await wait_for(lambda: len(sim.sent) >= 1, timeout=20)
    assert {s.user_id for s in sim.sent} == {CITIZEN} and sim.sent[0].text

    async def answers_delivered() -> bool:  # echo + user_received_message came back for each
        outbound = [m for m in await messages(hub) if m.direction == Direction.OUTBOUND.value]
        return len(outbound) == len(sim.sent) and all(m.status == "delivered" for m in outbound)

    await wait_for(answers_delivered, timeout=20)
    stored = await messages(hub)
    inbound = [m for m in stored if m.direction == Direction.INBOUND.value]
    assert [m.channel_message_id for m in inbound] == [event["message"]["msg_id"]]  # stored once
    outbound = [m for m in stored if m.direction == Direction.OUTBOUND.value]
    sent = {s.message_id: s for s in sim.sent}
    assert len(outbound) == len(sent)  # the oa_send_* echo of an answer is not a new message
    for reply in outbound:  # each stored reply went out as it is, its suggestions as buttons
        out = sent[str(reply.channel_message_id)]
        assert out.text == reply.text
        template = out.message.get("attachment", {}).get("payload", {})
        shown = [b["payload"] for b in template.get("buttons", [])]
        assert shown == [q.payload for q in stored_quick_replies((reply.meta or {}).get("buttons"))][:5]

    async def profile_fetched() -> str | None:
        async with hub.sm() as s:
            identity = (
                await s.execute(select(ChannelIdentity).where(ChannelIdentity.external_id == CITIZEN))
            ).scalar_one()
            return identity.display_name

    assert await wait_for(profile_fetched, timeout=10) == "Lê Thị Mai"


async def test_forged_delivery_is_refused_and_stores_nothing(zalo_hub: ZaloHub) -> None:
    sim = zalo_hub.sim
    event = sim.user_text(CITIZEN, "Tin giả mạo")
    forged = await sim.deliver(zalo_hub.url, event, signature="mac=" + "0" * 64)
    assert forged.status == 401
    wrong_key = await sim.deliver(
        zalo_hub.url, event, signature=sim.sign(sim.encode(event), secret="đoán-bừa")
    )
    assert wrong_key.status == 401
    async with zalo_hub.hub.sm() as s:
        assert (await s.execute(select(func.count()).select_from(Message))).scalar_one() == 0
    assert sim.sent == []


async def test_console_reply_is_an_operator_message_and_follow_is_kept(zalo_hub: ZaloHub) -> None:
    hub, sim = zalo_hub.hub, zalo_hub.sim
    await sim.deliver(zalo_hub.url, sim.follow(CITIZEN))
    msg_id = await sim.console_send(CITIZEN, "Cán bộ trả lời trực tiếp trong Zalo OA")
    stored = await messages(hub)
    operator = [m for m in stored if m.channel_message_id == msg_id]
    assert len(operator) == 1 and operator[0].sender_role == "operator"
    async with hub.sm() as s:
        identity = (
            await s.execute(select(ChannelIdentity).where(ChannelIdentity.external_id == CITIZEN))
        ).scalar_one()
        assert identity.following is True
    await sim.deliver(zalo_hub.url, sim.follow(CITIZEN, unfollow=True))
    async with hub.sm() as s:
        identity = (
            await s.execute(select(ChannelIdentity).where(ChannelIdentity.external_id == CITIZEN))
        ).scalar_one()
        assert identity.following is False


async def test_malformed_signed_delivery_is_kept_not_lost(zalo_hub: ZaloHub) -> None:
    sim = zalo_hub.sim
    broken = sim.event("user_send_text", sender={"id": CITIZEN}, message={"text": "thiếu msg_id"})
    delivery = await sim.deliver(zalo_hub.url, broken)
    # kept for an operator and acknowledged: Zalo would retry a refusal, then switch the webhook off
    assert delivery.status == 200 and "msg_id" in delivery.body.decode()
    async with zalo_hub.hub.sm() as s:
        [kept] = (await s.execute(select(WebhookFailure))).scalars()
    assert "msg_id" in kept.error and json.loads(kept.body)["message"]["text"] == "thiếu msg_id"


async def test_expired_token_is_refreshed_and_the_rotated_pair_stored_in_the_database(
    zalo_hub: ZaloHub,
) -> None:
    hub, sim = zalo_hub.hub, zalo_hub.sim
    first_refresh = sim.refresh_token
    sim.expire_access_token()
    for i in range(3):  # three citizens write at once; their answers need the token together
        user = sim.add_user(f"Công dân {i}")
        await sim.deliver(zalo_hub.url, sim.user_text(user.user_id, f"Câu hỏi {i}"))
    await wait_for(lambda: len(sim.sent) >= 3, timeout=30)
    assert sim.refresh_calls == 1 and first_refresh in sim.spent_refresh_tokens
    state = await read_all(hub.sm, "zalo")
    pair = json.loads(state["zalo:oa_tokens"])
    assert pair["refresh_token"] == sim.refresh_token and pair["access_token"] in sim.access_tokens
