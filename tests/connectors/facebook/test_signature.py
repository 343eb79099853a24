"""X-Hub-Signature-256 over raw bytes, and the GET verification handshake, over real HTTP."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from connectors.base import InboundMessage, PayloadError, SignatureError
from connectors.facebook import FacebookConnector, ForgedDelivery
from connectors.facebook.signature import check, handshake, sign
from devtools.facebook import FacebookSimulator
from tests.connectors.facebook.conftest import payload, payload_bytes

Client = Any  # pytest-aiohttp's aiohttp_client factory


def webhook_app(connector: FacebookConnector, received: list[InboundMessage]) -> web.Application:
    """The smallest host for the connector: what the hub does at POST /webhooks/facebook."""

    async def post(request: web.Request) -> web.Response:
        try:
            raw = await connector.verify(request)
            received.extend(connector.parse(raw))
        except SignatureError as err:
            return web.Response(status=err.http_status, text=str(err))
        except PayloadError as err:
            return web.Response(status=400, text=str(err))
        return web.Response(text="EVENT_RECEIVED")

    app = web.Application()
    app.add_routes(connector.routes())
    app.router.add_post("/webhooks/facebook", post)
    return app


@pytest.fixture
def received() -> list[InboundMessage]:
    return []


@pytest.fixture
async def client(
    aiohttp_client: Client, connector: FacebookConnector, received: list[InboundMessage]
) -> TestClient:
    c: TestClient = await aiohttp_client(webhook_app(connector, received))
    return c


def test_sign_matches_rfc4231_vector() -> None:
    # RFC 4231 test case 2: HMAC-SHA256(key="Jefe", "what do ya want for nothing?")
    expected = "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    assert sign("Jefe", b"what do ya want for nothing?") == expected
    check("Jefe", b"what do ya want for nothing?", expected)
    check("Jefe", b"what do ya want for nothing?", expected.upper().replace("SHA256=", "sha256="))


@pytest.mark.parametrize(
    "header",
    [None, "", "sha1=abc", "sha256=", "sha256=zz", sign("other-secret", b"{}"), sign("secret", b"{} ")],
)
def test_check_rejects_with_403(header: str | None) -> None:
    with pytest.raises(ForgedDelivery) as info:
        check("secret", b"{}", header)
    assert info.value.http_status == 403
    assert isinstance(info.value, SignatureError)


async def test_signed_delivery_accepted(
    client: TestClient, sim: FacebookSimulator, received: list[InboundMessage]
) -> None:
    body = payload_bytes("multi_entry")
    resp = await client.post("/webhooks/facebook", data=body, headers={"X-Hub-Signature-256": sim.sign(body)})
    assert resp.status == 200
    assert len(received) == 6


async def test_signature_is_over_the_raw_bytes_not_reserialised_json(
    client: TestClient, sim: FacebookSimulator, received: list[InboundMessage]
) -> None:
    # Facebook escapes non-ASCII as \\uXXXX; re-serialising would change the bytes and the MAC
    body = json.dumps(payload("message_text"), ensure_ascii=True, indent=1).encode()
    resp = await client.post("/webhooks/facebook", data=body, headers={"X-Hub-Signature-256": sim.sign(body)})
    assert resp.status == 200
    assert received[0].text == "Cho tôi hỏi thủ tục cấp lại căn cước công dân?"


async def test_forged_and_unsigned_deliveries_get_403_and_nothing_parsed(
    client: TestClient, sim: FacebookSimulator, received: list[InboundMessage]
) -> None:
    body = payload_bytes("message_text")
    forged = await client.post(
        "/webhooks/facebook", data=body, headers={"X-Hub-Signature-256": sign("x", body)}
    )
    unsigned = await client.post("/webhooks/facebook", data=body)
    tampered = await client.post(
        "/webhooks/facebook",
        data=body + b" ",
        headers={"X-Hub-Signature-256": sim.sign(body)},
    )
    assert (forged.status, unsigned.status, tampered.status) == (403, 403, 403)
    assert received == []


async def test_simulator_posts_signed_and_forged(
    aiohttp_server: Any, connector: FacebookConnector, sim: FacebookSimulator
) -> None:
    received: list[InboundMessage] = []
    server = await aiohttp_server(webhook_app(connector, received))
    url = str(server.make_url("/webhooks/facebook"))
    delivery = sim.delivery(sim.entry(sim.text("24968543211234567", "Xin chào")))
    assert (await sim.post(url, delivery))[0] == 200
    assert (await sim.post(url, delivery, forge=True))[0] == 403
    assert [e.text for e in received] == ["Xin chào"]


async def test_handshake_over_http(
    client: TestClient, sim: FacebookSimulator, received: list[InboundMessage]
) -> None:
    ok = await client.get(
        "/webhooks/facebook",
        params={"hub.mode": "subscribe", "hub.verify_token": sim.verify_token, "hub.challenge": "1158201444"},
    )
    assert ok.status == 200 and await ok.text() == "1158201444"
    wrong = await client.get(
        "/webhooks/facebook",
        params={"hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "1158201444"},
    )
    assert wrong.status == 403 and "1158201444" not in await wrong.text()


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ({"hub.mode": "subscribe", "hub.verify_token": "tok", "hub.challenge": "42"}, 200),
        ({"hub.mode": "unsubscribe", "hub.verify_token": "tok", "hub.challenge": "42"}, 403),
        ({"hub.mode": "subscribe", "hub.verify_token": "to", "hub.challenge": "42"}, 403),
        ({"hub.mode": "subscribe", "hub.challenge": "42"}, 403),
        ({"hub.mode": "subscribe", "hub.verify_token": "tok"}, 403),
        ({}, 403),
    ],
)
def test_handshake_rules(query: dict[str, str], status: int) -> None:
    assert handshake(query, "tok")[0] == status


async def test_routes_supply_the_get_handler(connector: FacebookConnector) -> None:
    [route] = connector.routes()
    assert isinstance(route, web.RouteDef)
    assert (route.method, route.path) == ("GET", "/webhooks/facebook")
