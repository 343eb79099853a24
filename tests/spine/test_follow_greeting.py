"""A new Zalo follower is greeted, end to end: a signed ``follow`` webhook (delivered twice)
→ the greeting stored once as the bot's reply in the follower's conversation → sent once
through the Zalo simulator with its button; the first message goes on in that conversation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select

from actions.texts import greeting
from bot.app import create_app
from bot.config import Settings
from bot.greeting import hotline_info, privacy_notice
from bot.hub import HUB
from devtools.zalo import ZaloSimulator
from devtools.zalo.buttons import buttons_of
from storage.models import ChannelIdentity, Conversation, Message
from tests.conftest import settings_with, wait_for, write_credentials
from tests.connectors.zalo.test_e2e_hub import credentials

FOLLOWER = "8063947237857451398"


async def test_a_new_follower_is_greeted_once_through_zalo(
    hub_settings: Settings, tmp_path: Path, aiohttp_client: Any
) -> None:
    async with ZaloSimulator() as sim:
        sim.add_user("Trần Văn Bình", user_id=FOLLOWER)
        creds = write_credentials(tmp_path / "credentials-zalo.yml", credentials(sim))
        app = await create_app(settings_with(hub_settings, credentials_file=creds))
        client = await aiohttp_client(app)
        url = str(client.make_url("/webhooks/zalo"))
        sim.webhook_url = url
        hub = app[HUB]

        first, again = await sim.deliver_many(url, [sim.follow(FOLLOWER)], duplicates=1)
        assert first.status == again.status == 200
        await wait_for(lambda: len(sim.sent) >= 1, timeout=20)
        async with hub.sm() as s:
            expected = greeting(await hotline_info(s, hub.settings.hotline_name, hub.settings.hotline_phone))
            greeted = f"{expected.text}\n\n{privacy_notice(hub.settings)}"  # the notice once (issue 18)
            identity = (
                await s.execute(select(ChannelIdentity).where(ChannelIdentity.external_id == FOLLOWER))
            ).scalar_one()
            (conv,) = (
                await s.execute(select(Conversation).where(Conversation.identity_id == identity.id))
            ).scalars()
            stored = list(
                (await s.execute(select(Message).where(Message.conversation_id == conv.id))).scalars()
            )
        assert identity.following is True
        assert (conv.dialogue or {}).get("greeted") is True
        assert [(m.direction, m.sender_role, (m.meta or {}).get("act")) for m in stored] == [
            ("out", "bot", "greet")
        ]
        (sent,) = sim.sent
        assert sent.user_id == FOLLOWER and sent.text == greeted
        assert [b.get("payload") for b in buttons_of(sent.message) or []] == [
            b.payload for b in expected.buttons
        ]

        # the first message is answered in the follower's conversation, not a new one
        await sim.deliver(url, sim.user_text(FOLLOWER, "Cho tôi hỏi giờ làm việc của bộ phận một cửa"))

        async def answered() -> list[Message] | None:
            async with hub.sm() as s:
                rows = list(
                    (
                        await s.execute(
                            select(Message).where(Message.conversation_id == conv.id).order_by(Message.seq)
                        )
                    ).scalars()
                )
            return rows if any(m.direction == "in" and m.processed for m in rows) else None

        rows = await wait_for(answered, timeout=20)
        assert [m.direction for m in rows][:2] == ["out", "in"]
        assert len(sim.sent) >= 1 and sum(1 for s in sim.sent if s.text == greeted) == 1
