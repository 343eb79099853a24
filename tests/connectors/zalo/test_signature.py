"""verify(): real signed deliveries from the simulator to a real aiohttp endpoint."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from connectors.base import InboundMessage, SignatureError
from connectors.zalo import ZaloConnector, signature
from devtools.clock import FakeClock
from devtools.zalo import ZaloSimulator
from tests.connectors.zalo.conftest import APP_ID, MakeConnector, payload_bytes

Server = Callable[[web.Application], Awaitable[TestServer]]


class Endpoint:
    """``POST /webhooks/zalo`` the way the hub mounts it: verify, then parse."""

    def __init__(self, connector: ZaloConnector) -> None:
        self.connector = connector
        self.received: list[InboundMessage] = []
        self.refused: list[str] = []
        self.arrived = asyncio.Event()

    async def handle(self, request: web.Request) -> web.Response:
        try:
            raw = await self.connector.verify(request)
        except SignatureError as err:
            self.refused.append(str(err))
            return web.Response(status=err.http_status, text="chữ ký không hợp lệ")
        self.received.extend(self.connector.parse(raw))
        self.arrived.set()
        return web.Response(text="ok")

    async def wait_for(self, count: int, timeout: float = 5.0) -> None:
        async def until() -> None:
            while len(self.received) < count:
                self.arrived.clear()
                await self.arrived.wait()

        await asyncio.wait_for(until(), timeout)


async def serve(aiohttp_server: Server, connector: ZaloConnector) -> tuple[Endpoint, str]:
    endpoint = Endpoint(connector)
    app = web.Application()
    app.router.add_post("/webhooks/zalo", endpoint.handle)
    server = await aiohttp_server(app)
    return endpoint, str(server.make_url("/webhooks/zalo"))


def test_mac_matches_an_independent_computation() -> None:
    raw = payload_bytes("user_send_text")
    expected = hashlib.sha256(f"{APP_ID}{raw.decode()}1763889000000sekret".encode()).hexdigest()
    assert signature.compute_mac(APP_ID, raw, "1763889000000", "sekret") == expected
    assert signature.signature_header(APP_ID, raw, "1763889000000", "sekret") == "mac=" + expected


async def test_genuine_golden_delivery_is_accepted(
    sim: ZaloSimulator, connector: ZaloConnector, aiohttp_server: Server
) -> None:
    endpoint, url = await serve(aiohttp_server, connector)
    raw = payload_bytes("user_send_text")  # signed over the file's exact bytes (indentation and all)
    delivery = await sim.deliver(url, raw)
    assert delivery.status == 200
    assert [m.channel_message_id for m in endpoint.received] == ["a4d0243feee163bd3af2b8c1d5e6f701"]


async def test_every_golden_payload_passes_verification(
    sim: ZaloSimulator, connector: ZaloConnector, clock: FakeClock
) -> None:
    from tests.connectors.zalo.conftest import PAYLOADS

    for path in sorted(PAYLOADS.glob("*.json")):
        raw = path.read_bytes()
        ts = signature.timestamp_seconds(signature._signed_fields(raw)[1])
        clock.seconds = ts + 1
        connector.verify_raw(raw, sim.sign(raw))


@pytest.mark.parametrize(
    "forge",
    [
        "wrong-secret",
        "tampered-body",
        "missing-header",
        "garbage-header",
        "other-app",
        "non-ascii-header",
    ],
)
async def test_forged_deliveries_are_refused(
    forge: str, sim: ZaloSimulator, connector: ZaloConnector, aiohttp_server: Server
) -> None:
    endpoint, url = await serve(aiohttp_server, connector)
    event = sim.user_text("8063947237857451397", "Tin giả mạo")
    raw = sim.encode(event)
    sig: str | None
    body: bytes | dict[str, Any] = raw
    if forge == "wrong-secret":
        sig = sim.sign(raw, secret="not-the-oa-secret")
    elif forge == "tampered-body":
        sig = sim.sign(raw)
        body = raw.replace("Tin giả mạo".encode(), "Tin đã sửa".encode())
    elif forge == "missing-header":
        sig = ""
    elif forge == "garbage-header":
        sig = "mac=" + "0" * 64
    elif forge == "non-ascii-header":
        sig = "mac=chữ-ký"
    else:  # signed correctly by someone with our secret but for another app id
        other = dict(event, app_id="1111111111111111111")
        body = sim.encode(other)
        sig = "mac=" + signature.compute_mac(
            "1111111111111111111", body, event["timestamp"], sim.oa_secret_key
        )
    if forge == "non-ascii-header":  # aiohttp will not send non-latin-1 headers: call verify directly
        with pytest.raises(SignatureError):
            connector.verify_raw(raw, sig)
        return
    delivery = await sim.deliver(url, body, signature=sig)
    assert delivery.status == 401
    assert endpoint.received == [] and len(endpoint.refused) == 1


async def test_header_without_prefix_or_in_capitals_is_accepted(
    sim: ZaloSimulator, connector: ZaloConnector
) -> None:
    raw = sim.encode(sim.user_text("8063947237857451397", "Xin chào"))
    good = sim.sign(raw)
    connector.verify_raw(raw, good.removeprefix("mac="))
    connector.verify_raw(raw, "MAC=" + good[4:].upper())


async def test_stale_and_future_events_are_refused(
    sim: ZaloSimulator, connector: ZaloConnector, clock: FakeClock, aiohttp_server: Server
) -> None:
    endpoint, url = await serve(aiohttp_server, connector)
    event = sim.user_text("8063947237857451397", "Sự kiện cũ")
    clock.advance(2 * 3600 + 1)  # older than max_event_age (2 h)
    assert (await sim.deliver(url, event)).status == 401
    assert "quá cũ" in endpoint.refused[-1]
    clock.advance(-(2 * 3600 + 1) - 600)  # 10 minutes in the future
    assert (await sim.deliver(url, event)).status == 401
    assert "tương lai" in endpoint.refused[-1]
    assert endpoint.received == []


async def test_zalo_redelivery_within_its_retry_window_is_accepted(
    sim: ZaloSimulator, connector: ZaloConnector, clock: FakeClock, aiohttp_server: Server
) -> None:
    """Zalo redelivers at +30 s, 5, 15, 30 min and 1 h with the original timestamp."""
    endpoint, url = await serve(aiohttp_server, connector)
    event = sim.user_text("8063947237857451397", "Gửi lại")
    clock.advance(3600 + 1800 + 900 + 300 + 30)
    assert (await sim.deliver(url, event, retry=5)).status == 200
    assert len(endpoint.received) == 1


async def test_tolerance_is_configurable(
    sim: ZaloSimulator, make_connector: MakeConnector, clock: FakeClock
) -> None:
    strict = make_connector(max_event_age="300")
    raw = sim.encode(sim.user_text("8063947237857451397", "Sáu phút trước"))
    clock.advance(360)
    with pytest.raises(SignatureError, match="quá cũ"):
        strict.verify_raw(raw, sim.sign(raw))
    make_connector().verify_raw(raw, sim.sign(raw))  # the default (2 h) accepts it


async def test_unsigned_garbage_is_a_signature_error(sim: ZaloSimulator, connector: ZaloConnector) -> None:
    for raw in (b"", b"not json", b"[]", b'{"app_id": "1"}', b'{"app_id": "1", "timestamp": "x"}'):
        with pytest.raises(SignatureError):
            connector.verify_raw(raw, "mac=" + "a" * 64)
