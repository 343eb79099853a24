"""A citizen's "hủy đăng ký" through the real hub (create_app, real SQLite/PostgreSQL, real
workers) and the Zalo simulator: the identity is opted out, the confirmation goes out through
the outbox to Zalo, the message is processed; "đăng ký nhận tin" subscribes again; a question
that merely contains the words is answered by the dialogue engine and opts out nobody."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.app import create_app
from bot.config import Settings
from bot.hub import HUB, Hub
from bot.opt_out_reply import OPTED_IN_TEXT, OPTED_OUT_TEXT
from campaigns.opt_out import is_opted_out
from devtools.zalo import ZaloSimulator
from storage.models import ChannelIdentity, Conversation, Direction, Message
from tests.conftest import settings_with, wait_for, write_credentials
from tests.connectors.zalo.test_e2e_hub import ZaloHub, credentials

CITIZEN = "8063947237857451397"


@pytest.fixture
async def zalo_hub(hub_settings: Settings, tmp_path: Path, aiohttp_client: Any) -> AsyncIterator[ZaloHub]:
    async with ZaloSimulator() as sim:
        sim.add_user("Lê Thị Mai", user_id=CITIZEN, phone="0912345678")
        creds = write_credentials(tmp_path / "credentials-zalo.yml", credentials(sim))
        app = await create_app(settings_with(hub_settings, credentials_file=creds))
        client = await aiohttp_client(app)
        url = str(client.make_url("/webhooks/zalo"))
        sim.webhook_url = url
        yield ZaloHub(app[HUB], client, sim, url)


async def _say(zh: ZaloHub, text: str) -> str:
    """Deliver a signed message; the text of the one reply Zalo received for it."""
    before = len(zh.sim.sent)
    resp = await zh.sim.deliver(zh.url, zh.sim.user_text(CITIZEN, text))
    assert resp.status == 200
    await wait_for(lambda: len(zh.sim.sent) > before, timeout=20)
    return str(zh.sim.sent[before].text)


async def _opted_out(hub: Hub) -> bool:
    async with hub.sm() as s:
        identity = (
            await s.execute(select(ChannelIdentity).where(ChannelIdentity.external_id == CITIZEN))
        ).scalar_one()
        return await is_opted_out(s, identity.id)


async def _stored(hub: Hub) -> list[Message]:
    async with hub.sm() as s:
        return list((await s.execute(select(Message).order_by(Message.id))).scalars())


async def test_opt_out_is_recorded_confirmed_through_zalo_and_undone(zalo_hub: ZaloHub) -> None:
    hub = zalo_hub.hub
    assert await _say(zalo_hub, "Huỷ đăng kí ạ") == OPTED_OUT_TEXT
    assert await _opted_out(hub)
    stored = await _stored(hub)
    inbound = [m for m in stored if m.direction == Direction.INBOUND.value]
    outbound = [m for m in stored if m.direction == Direction.OUTBOUND.value]
    assert [m.text for m in inbound] == ["Huỷ đăng kí ạ"] and inbound[0].processed
    assert [m.text for m in outbound] == [OPTED_OUT_TEXT]  # stored once, sent from the outbox
    assert (outbound[0].meta or {}).get("act") == "opt_out"
    assert "đăng ký nhận tin" in OPTED_OUT_TEXT  # says how to subscribe again

    assert await _say(zalo_hub, "dung nhan tin nua") == OPTED_OUT_TEXT  # again: still opted out
    assert await _opted_out(hub)

    assert await _say(zalo_hub, "Đăng ký nhận tin") == OPTED_IN_TEXT
    assert not await _opted_out(hub)
    assert all(m.processed for m in await _stored(hub) if m.direction == Direction.INBOUND.value)


async def test_a_question_with_the_words_is_not_an_opt_out(zalo_hub: ZaloHub) -> None:
    reply = await _say(zalo_hub, "Cho tôi hỏi thủ tục hủy đăng ký thường trú cần những giấy tờ gì?")
    assert reply not in (OPTED_OUT_TEXT, OPTED_IN_TEXT)
    assert not await _opted_out(zalo_hub.hub)


async def test_a_contact_form_in_progress_keeps_its_words(zalo_hub: ZaloHub) -> None:
    await _say(zalo_hub, "Tôi muốn phản ánh đường vào thôn 3 bị ngập nặng")
    async with zalo_hub.hub.sm() as s:
        conv = (await s.execute(select(Conversation))).scalar_one()
    assert (conv.dialogue or {}).get("form"), conv.dialogue  # the bot is asking for the contact
    reply = await _say(zalo_hub, "hủy đăng ký")
    assert reply not in (OPTED_OUT_TEXT, OPTED_IN_TEXT)
    assert not await _opted_out(zalo_hub.hub)
