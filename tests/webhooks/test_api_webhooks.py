"""``/api/v1/webhooks``: an app with the ``webhooks:manage`` scope subscribes its receiver,
bad input is a 4xx in the API's JSON error shape, a token sees only its own endpoints, and
a ticket the app creates through the API reaches its receiver, signed."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient

from tests.api.conftest import bearer, citizen_request, new_token
from tests.conftest import wait_for
from tests.webhooks.conftest import Receiver

Client = TestClient[Any, Any]
URL = "/api/v1/webhooks"


async def _error(r: Any, status: int) -> str:
    assert r.status == status, await r.text()
    body = await r.json()
    assert set(body["error"]) == {"code", "message"} and body["error"]["message"]
    return str(body["error"]["code"])


async def test_scopes_and_bad_input_are_json_4xx(
    console_app: web.Application, console_client: Client
) -> None:
    _, secret = await new_token(console_app, "webhooks:manage")
    _, other = await new_token(console_app, "tickets:read", name="Smart Thanh Hóa")
    good = {"url": "http://127.0.0.1:9/hook"}
    await _error(await console_client.post(URL, json=good), 401)
    await _error(await console_client.post(URL, json=good, headers=bearer(other)), 403)
    await _error(await console_client.get(URL, headers=bearer(other)), 403)
    auth = bearer(secret)
    for bad in (
        [good],
        "http://127.0.0.1:9/hook",
        {},
        {"url": None},
        {"url": "javascript:alert(1)"},
        {"url": "http://127.0.0.1:99999/x"},
        {**good, "events": ["ticket.closed"]},
        {**good, "events": []},
        {**good, "events": [1]},
        {**good, "name": 7},
        {**good, "secret": "mine"},
    ):
        await _error(await console_client.post(URL, json=bad, headers=auth), 400)
    await _error(await console_client.post(URL, data=b"\xff{", headers=auth), 400)
    await _error(await console_client.post(URL, data=b"[" * 20000, headers=auth), 413)
    for path in ("abc", "0", "99", "9" * 30, "-1"):
        await _error(await console_client.get(f"{URL}/{path}", headers=auth), 404)
        await _error(await console_client.delete(f"{URL}/{path}", headers=auth), 404)
    r = await console_client.get(URL, headers=auth)
    assert r.status == 200 and (await r.json())["items"] == []


async def test_an_app_subscribes_and_receives_its_tickets_events(
    console_app: web.Application, console_client: Client, receiver: Receiver
) -> None:
    _, secret = await new_token(console_app, "webhooks:manage", "tickets:create")
    _, stranger = await new_token(console_app, "webhooks:manage", name="Smart Thanh Hóa")
    auth = bearer(secret)
    r = await console_client.post(
        URL, json={"url": receiver.url, "events": ["ticket.created"], "name": "\x01 Phản hồi"}, headers=auth
    )
    assert r.status == 201, await r.text()
    created = await r.json()
    receiver.secret = created["secret"]
    assert created["events"] == ["ticket.created"] and created["name"] == "Phản hồi"
    listed = await (await console_client.get(URL, headers=auth)).json()
    assert [e["id"] for e in listed["items"]] == [created["id"]] and created["secret"] not in str(listed)
    assert (await (await console_client.get(URL, headers=bearer(stranger))).json())["items"] == []
    await _error(await console_client.get(f"{URL}/{created['id']}", headers=bearer(stranger)), 404)
    await _error(await console_client.delete(f"{URL}/{created['id']}", headers=bearer(stranger)), 404)

    r = await console_client.post(
        "/api/v1/tickets", json=citizen_request(), headers=bearer(secret, **{"Idempotency-Key": "wh-1"})
    )
    assert r.status == 201, await r.text()
    code = (await r.json())["ticket"]["code"]

    async def received() -> bool:
        return bool(receiver.accepted)

    await wait_for(received)
    got = receiver.accepted[0]
    assert got.signature_ok and got.event == "ticket.created" and got.body["ticket"]["code"] == code
    assert "0912" not in str(got.body) and "Hoa" not in str(got.body)

    r = await console_client.delete(f"{URL}/{created['id']}", headers=auth)
    assert r.status == 204
    await _error(await console_client.get(f"{URL}/{created['id']}", headers=auth), 404)
