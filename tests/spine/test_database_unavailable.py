"""A database that cannot be used right now is a 503 with Retry-After on the web chat's
API (as on the webhooks), never a 500 with a traceback; after it is back the same request
works (issue 16: a PostgreSQL restart under load)."""

from __future__ import annotations

import uuid
from typing import Any

from aiohttp.test_utils import TestClient

from bot.app import create_app
from bot.config import Settings
from tests.conftest import settings_with
from tests.spine.db_outage import DbOutage


async def test_the_web_chat_answers_503_while_the_database_is_cut(
    hub_settings: Settings, outage: DbOutage, aiohttp_client: Any
) -> None:
    app = await create_app(settings_with(hub_settings, database_url=outage.url))
    client: TestClient[Any, Any] = await aiohttp_client(app)
    from bot.hub import HUB

    await outage.attach(app[HUB].db)
    session = await (await client.post("/webchat/api/session", json={})).json()
    auth = {"Authorization": f"Bearer {session['session_token']}"}

    await outage.cut()
    try:
        cut = await client.post(
            "/webchat/api/messages", json={"client_id": str(uuid.uuid4()), "text": "Xin chào"}, headers=auth
        )
        assert cut.status == 503
        assert cut.headers["Retry-After"] == "5"
        assert "thử lại" in (await cut.json())["error"]
    finally:
        await outage.restore()
    again = await client.post(
        "/webchat/api/messages", json={"client_id": str(uuid.uuid4()), "text": "Xin chào"}, headers=auth
    )
    assert again.status == 200
