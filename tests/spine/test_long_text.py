"""Long and odd Zalo input through the real hub and the Zalo simulator (issue 10, defects 1
and 2), SQLite and PostgreSQL: a 100,000-character message is stored in full and acknowledged;
beyond the channel's maximum the prefix is stored and marked, never refused; an over-long id
is kept for an operator and acknowledged; a display name with NUL is stored cleaned."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.app import create_app
from bot.config import Settings
from bot.hub import HUB, Hub
from devtools.zalo import ZaloSimulator
from storage.models import ChannelIdentity, Contact, Message, WebhookFailure
from tests.conftest import settings_with, wait_for, write_credentials

CITIZEN = "8063947237857451397"
ZaloRig = tuple[Hub, ZaloSimulator, str]
MakeRig = Callable[..., AbstractAsyncContextManager[ZaloRig]]


def _credentials(sim: ZaloSimulator) -> str:
    lines = ["zalo:"] + [f"  {key}: {json.dumps(value)}" for key, value in sim.settings().items()]
    return "\n".join(lines) + "\n"


@pytest.fixture
def zalo_rig(hub_settings: Settings, tmp_path: Path, aiohttp_client: Any) -> MakeRig:
    @asynccontextmanager
    async def make(**changes: Any) -> AsyncIterator[ZaloRig]:
        async with ZaloSimulator() as sim:
            creds = write_credentials(tmp_path / "credentials-zalo.yml", _credentials(sim))
            settings = settings_with(hub_settings, credentials_file=creds, engine="handoff", **changes)
            client = await aiohttp_client(await create_app(settings))
            url = str(client.make_url("/webhooks/zalo"))
            yield client.app[HUB], sim, url

    return make


async def _inbound(hub: Hub) -> list[Message]:
    async with hub.sm() as s:
        stmt = select(Message).where(Message.direction == "in").order_by(Message.id)
        return list((await s.execute(stmt)).scalars())


async def test_a_100000_character_message_is_stored_in_full(zalo_rig: MakeRig) -> None:
    text = ("Tôi xin phản ánh việc cấp phép xây dựng kéo dài. " * 2100)[:100_000]
    async with zalo_rig() as (hub, sim, url):
        sim.add_user("Lê Thị Mai", user_id=CITIZEN)
        delivery = await sim.deliver(url, sim.user_text(CITIZEN, text))
        assert delivery.status == 200
        [row] = await _inbound(hub)
        assert len(row.text) == 100_000 and row.text == text
        assert "truncated" not in (row.meta or {})


async def test_beyond_the_channel_maximum_the_prefix_is_stored_and_marked(zalo_rig: MakeRig) -> None:
    text = "".join(f"{i:05d} " for i in range(400))  # 2,400 characters
    async with zalo_rig(max_text_chars=100_000, max_text_chars_by_channel={"zalo": 1000}) as (hub, sim, url):
        delivery = await sim.deliver(url, sim.user_text(CITIZEN, text))
        assert delivery.status == 200
        [row] = await _inbound(hub)
        assert row.text == text[:1000]
        assert row.meta is not None and row.meta["truncated"] == {"text": 2400}


async def test_over_long_zalo_ids_are_kept_and_acknowledged(zalo_rig: MakeRig) -> None:
    async with zalo_rig() as (hub, sim, url):
        long_id = sim.user_text(CITIZEN, "mã tin quá dài")
        long_id["message"]["msg_id"] = "a" * 600
        long_sender = sim.user_text("7" * 400, "mã người gửi quá dài")
        good = sim.user_text(CITIZEN, "tin bình thường")
        statuses = [(await sim.deliver(url, e)).status for e in (long_id, long_sender, good)]
        assert statuses == [200, 200, 200]
        assert [m.text for m in await _inbound(hub)] == ["tin bình thường"]
        async with hub.sm() as s:
            failures = list((await s.execute(select(WebhookFailure).order_by(WebhookFailure.id))).scalars())
        assert [f.channel for f in failures] == ["zalo", "zalo"]
        assert "dài 600 ký tự" in failures[0].error and "dài 400 ký tự" in failures[1].error
        assert json.loads(failures[0].body)["raw"]["message"]["msg_id"] == "a" * 600


async def test_a_profile_name_with_controls_is_stored_cleaned(zalo_rig: MakeRig) -> None:
    async with zalo_rig() as (hub, sim, url):
        sim.add_user("Lê\u0000 Thị\x1b Mai", user_id=CITIZEN, phone="0912\u0000345678")
        assert (await sim.deliver(url, sim.user_text(CITIZEN, "Xin chào"))).status == 200

        async def names() -> tuple[str | None, str | None] | None:
            async with hub.sm() as s:
                identity = (
                    await s.execute(select(ChannelIdentity).where(ChannelIdentity.external_id == CITIZEN))
                ).scalar_one()
                contact = await s.get(Contact, identity.contact_id)
                assert contact is not None
                return (identity.display_name, contact.phone) if identity.profile_fetched_at else None

        assert await wait_for(names, timeout=10) == ("Lê Thị Mai", "0912345678")


def test_text_maxima_come_from_the_environment() -> None:
    default = Settings.from_env({})
    assert default.max_text_chars == 100_000 and default.max_text_chars_by_channel == {}
    assert default.text_limit("zalo") == 100_000
    tuned = Settings.from_env({"HUB_MAX_TEXT_CHARS": "50000", "HUB_MAX_TEXT_CHARS_EMAIL": "200000"})
    assert tuned.text_limit("email") == 200_000 and tuned.text_limit("facebook") == 50_000
    with pytest.raises(ValueError, match="HUB_MAX_TEXT_CHARS_ZALO"):
        Settings.from_env({"HUB_MAX_TEXT_CHARS_ZALO": "0"})
