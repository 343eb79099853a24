"""The action-server endpoint the hub mounts at /rasa/actions, over real HTTP.

Request bodies under ``golden/`` were recorded from Rasa 3.6.21 calling the hub during a
real conversation; the in-memory services are a small real implementation of HubServices.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from actions.executor import ActionExecutor
from actions.server import make_action_handler
from devtools.memory_services import MemoryHubServices

GOLDEN = Path(__file__).parent / "golden"

ClientFactory = Callable[[web.Application], Awaitable[TestClient[Any, Any]]]


def golden(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((GOLDEN / f"{name}.json").read_text(encoding="utf-8"))
    return data


@pytest.fixture
def services() -> MemoryHubServices:
    return MemoryHubServices()


@pytest.fixture
async def client(aiohttp_client: ClientFactory, services: MemoryHubServices) -> TestClient[Any, Any]:
    app = web.Application()
    app.router.add_post("/rasa/actions", make_action_handler(services))
    return await aiohttp_client(app)


def slot_events(body: dict[str, Any]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in body["events"] if e["event"] == "slot"}


async def test_answer_faq_names_the_agency(client: TestClient[Any, Any]) -> None:
    resp = await client.post("/rasa/actions", json=golden("answer_faq"))
    assert resp.status == 200
    body = await resp.json()
    assert "Công an cấp huyện" in body["responses"][0]["text"]
    assert "Công an tỉnh" in body["responses"][0]["text"]
    assert slot_events(body) == {"faq_suggestions": None}


async def test_invalid_phone_is_rejected_with_a_message(client: TestClient[Any, Any]) -> None:
    body = await (await client.post("/rasa/actions", json=golden("validate_phone_invalid"))).json()
    assert slot_events(body) == {"phone": None}
    assert "Số điện thoại chưa đúng" in body["responses"][0]["text"]


async def test_valid_phone_is_normalised(client: TestClient[Any, Any]) -> None:
    body = await (await client.post("/rasa/actions", json=golden("validate_phone_valid"))).json()
    assert slot_events(body)["phone"] == "0912345678"
    assert body["responses"] == []


async def test_declined_email_is_marked_not_asked_again(client: TestClient[Any, Any]) -> None:
    body = await (await client.post("/rasa/actions", json=golden("validate_email_declined"))).json()
    assert slot_events(body)["email"] == "-"


async def test_create_ticket_gives_code_pauses_and_hands_off(
    client: TestClient[Any, Any], services: MemoryHubServices
) -> None:
    body = await (await client.post("/rasa/actions", json=golden("create_ticket"))).json()
    assert "1022-2026-000001" in body["responses"][0]["text"]
    assert body["responses"][1]["custom"] == {
        "handoff": True,
        "ticket_code": "1022-2026-000001",
        "reason": "Công dân đề nghị gặp cán bộ",
    }
    assert {"event": "pause", "timestamp": None} in body["events"]
    ticket = services.tickets[0]
    assert ticket["phone"] == "0912345678" and ticket["email"] is None  # "-" means declined
    assert services.handoffs == [("s1", "Công dân đề nghị gặp cán bộ")]


async def test_create_ticket_survives_a_failing_ticket_store(
    client: TestClient[Any, Any], services: MemoryHubServices
) -> None:
    async def broken(*args: Any, **kwargs: Any) -> Any:
        raise ConnectionError("database down")

    services.create_ticket = broken  # type: ignore[method-assign]
    body = await (await client.post("/rasa/actions", json=golden("create_ticket"))).json()
    assert "chưa cấp được mã phiếu" in body["responses"][0]["text"]
    assert body["responses"][1]["custom"]["handoff"] is True
    assert services.handoffs  # a human still gets the conversation


async def test_session_start_sets_hotline_name_and_ends_with_listen(
    client: TestClient[Any, Any], services: MemoryHubServices
) -> None:
    payload = golden("session_start")
    payload["tracker"]["slots"]["session_started_metadata"] = {"profile": {"phone": "0987654321"}}
    body = await (await client.post("/rasa/actions", json=payload)).json()
    assert body["events"][0]["event"] == "session_started"
    assert body["events"][-1]["event"] == "action" and body["events"][-1]["name"] == "action_listen"
    slots = slot_events(body)
    assert slots["hotline_name"] == services.hotline.name
    assert slots["phone"] == "0987654321"


async def test_session_start_keeps_a_paused_conversation_paused(client: TestClient[Any, Any]) -> None:
    payload = golden("session_start")
    payload["tracker"]["paused"] = True
    body = await (await client.post("/rasa/actions", json=payload)).json()
    assert body["events"][-1] == {"event": "pause", "timestamp": None}


async def test_unknown_action_is_404_in_rasa_shape(client: TestClient[Any, Any]) -> None:
    payload = golden("answer_faq") | {"next_action": "action_does_not_exist"}
    resp = await client.post("/rasa/actions", json=payload)
    assert resp.status == 404
    assert (await resp.json())["action_name"] == "action_does_not_exist"


@pytest.mark.parametrize("raw", [b"not json", b"[1, 2]", b'{"next_action": "action_answer_faq"}'])
async def test_malformed_bodies_are_400(client: TestClient[Any, Any], raw: bytes) -> None:
    resp = await client.post("/rasa/actions", data=raw, headers={"Content-Type": "application/json"})
    assert resp.status == 400
    assert "error" in await resp.json()


def test_every_domain_action_is_served(services: MemoryHubServices) -> None:
    import yaml

    domain = yaml.safe_load((Path(__file__).resolve().parents[2] / "domain.yml").read_text(encoding="utf-8"))
    assert sorted(domain["actions"]) == ActionExecutor.for_services(services).names()


async def test_the_hub_refuses_action_calls_that_came_through_a_proxy(aiohttp_client: ClientFactory) -> None:
    """Behind nginx on the same host every request comes from loopback: a forwarded one is
    from outside, and only the loopback Rasa may call the actions."""
    from bot.routes import loopback_only

    app = web.Application()
    app.router.add_post("/rasa/actions", loopback_only(make_action_handler(MemoryHubServices())))
    client = await aiohttp_client(app)
    direct = await client.post("/rasa/actions", json=golden("answer_faq"))
    assert direct.status == 200
    for header in ("X-Forwarded-For", "X-Real-IP", "Forwarded"):
        forwarded = await client.post(
            "/rasa/actions", json=golden("answer_faq"), headers={header: "203.0.113.9"}
        )
        assert forwarded.status == 403, header
        assert "tiến trình Rasa" in await forwarded.text()
