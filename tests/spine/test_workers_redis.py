"""Two hub workers on one PostgreSQL database share live events through Redis: a page
connected to worker A sees what worker B stored and answered."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.app import create_app
from tests.conftest import settings_with


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_websocket_on_one_worker_sees_messages_stored_by_another(
    hub_settings: Any, redis_url: str
) -> None:
    settings = settings_with(hub_settings, redis_url=redis_url)
    a = TestClient(TestServer(await create_app(settings)))
    b = TestClient(TestServer(await create_app(settings)))
    await a.start_server()
    await b.start_server()
    try:
        s = await (await a.post("/webchat/api/session", json={})).json()
        ws = await a.ws_connect(f"/webchat/ws?token={s['session_token']}")
        assert (await ws.receive_json(timeout=5))["type"] == "hello"
        r = await b.post(
            "/webchat/api/messages",
            headers={"Authorization": f"Bearer {s['session_token']}"},
            json={"client_id": str(uuid.uuid4()), "text": "Gửi qua worker B"},
        )
        assert r.status == 200
        pushed: dict[int, dict[str, Any]] = {}
        while len(pushed) < 2:  # the greeting's delivery update (seq 1) may come first: not ours
            m = (await ws.receive_json(timeout=5))["message"]
            if m["seq"] > 1:
                pushed.setdefault(m["id"], m)
        first, second = pushed.values()
        assert first["text"] == "Gửi qua worker B"
        assert second["sender"] == "bot"
        await ws.close()
    finally:
        await a.close()
        await b.close()


async def test_health_and_metrics(client: Any) -> None:
    health = await client.get("/healthz")
    body = await health.json()
    assert health.status == 200 and body["status"] == "ok"
    assert body["checks"]["database"] == "ok" and body["checks"]["pipeline"] == "ok"
    s = await (await client.post("/webchat/api/session", json={})).json()
    await client.post(
        "/webchat/api/messages",
        headers={"Authorization": f"Bearer {s['session_token']}"},
        json={"client_id": str(uuid.uuid4()), "text": "xin chào"},
    )
    text = await (await client.get("/metrics")).text()
    assert 'hub_messages_in_total{channel="webchat"} 1' in text
    assert "# TYPE hub_reply_latency_seconds histogram" in text
    assert "hub_pipeline_pending" in text
