"""The admin's webhooks in the console, with the hub's own worker delivering: bad input is a
4xx with a Vietnamese message, the secret is shown once, a receiver that keeps failing ends
as a failed delivery in the log, and a redelivery reaches it once it is back."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from sqlalchemy import func, select

from bot.hub import HUB
from handoff import workflow as wf
from storage.models_console import Role
from storage.models_webhooks import WebhookDelivery
from tests.conftest import wait_for
from tests.webhooks.conftest import Receiver

API = "/console/api/webhooks"
OPERATOR = wf.Actor(user_id=None, role=Role.OPERATOR, username="op")


async def _ticket(app: web.Application) -> str:
    hub = app[HUB]
    async with hub.sm() as s, s.begin():
        out = await wf.open_ticket(
            s, None, OPERATOR, hub.clock.now(), content="Hỏi về lịch tiêm", kind="call", tell=False
        )
        return out.ticket.code


async def _log(admin: Any, query: str = "") -> dict[str, Any]:
    status, body = await admin.get(f"{API}/deliveries{query}")
    assert status == 200, body
    return dict(body)


async def test_bad_input_is_refused_in_vietnamese_and_only_admins_get_in(people: Any) -> None:
    admin, op = await people("admin1"), await people("op1")
    assert (await op.get(API))[0] == 403
    assert (await op.post(API, {"url": "http://127.0.0.1:9/x"}))[0] == 403
    for bad in (
        {"url": "ftp://127.0.0.1/x"},
        {"url": 5},
        {},
        {"url": "http://127.0.0.1/x", "events": ["ticket.nope"]},
        {"url": "http://127.0.0.1/x", "events": []},
        {"url": "http://127.0.0.1/x", "events": "ticket.created"},
        {"url": "http://user:pw@127.0.0.1/x"},
        {"url": "http:///no-host"},
        {"url": "http://127.0.0.1/x", "name": "x" * 300},
    ):
        status, body = await admin.post(API, bad)
        assert status == 400, (bad, body)
        assert isinstance(body["error"], str) and body["error"]
    headers = {"X-CSRF-Token": admin.csrf, "Content-Type": "application/json"}
    async with admin.http.post(admin.base + API, data=b"{not json", headers=headers) as r:
        assert r.status == 400 and "error" in await r.json()
    assert (await admin.get(f"{API}/deliveries?status=lost"))[0] == 400
    assert (await admin.get(f"{API}/deliveries?page=abc"))[0] == 400
    assert (await admin.post(f"{API}/deliveries/999/redeliver"))[0] == 404
    assert (await admin.post(f"{API}/999/active", {"active": False}))[0] == 404
    status, body = await admin.get(API)
    assert status == 200 and body["items"] == []  # nothing was created by the bad requests


async def test_failed_delivery_in_the_log_and_redelivered(
    people: Any, console_app: web.Application, receiver: Receiver
) -> None:
    admin = await people("admin1")
    status, body = await admin.post(API, {"url": receiver.url, "name": "Phản hồi Thanh Hóa"})
    assert status == 200, body
    receiver.secret, endpoint_id = body["secret"], body["endpoint"]["id"]
    status, listed = await admin.get(API)
    assert [e["id"] for e in listed["items"]] == [endpoint_id] and body["secret"] not in str(listed)

    receiver.fail_next = 1000  # down
    code = await _ticket(console_app)

    async def failed() -> bool:
        return bool((await _log(admin, "?status=failed"))["items"])

    await wait_for(failed)
    item = (await _log(admin, f"?status=failed&ticket={code}&endpoint_id={endpoint_id}"))["items"][0]
    assert item["event"]["type"] == "ticket.created" and item["event"]["ticket_code"] == code
    assert (item["attempts"], item["last_status_code"]) == (2, 500)  # HUB_WEBHOOK_MAX_ATTEMPTS=2
    assert len(receiver.seen) == 2 and receiver.accepted == []
    assert (await _log(admin, "?status=delivered"))["total"] == 0

    receiver.fail_next = 0  # back
    status, body = await admin.post(f"{API}/deliveries/{item['id']}/redeliver")
    assert status == 200, body

    async def delivered() -> bool:
        return bool((await _log(admin, "?status=delivered"))["items"])

    await wait_for(delivered)
    assert receiver.types() == ["ticket.created"] and receiver.accepted[0].signature_ok
    assert (await admin.post(f"{API}/deliveries/{item['id']}/redeliver"))[0] == 409

    status, body = await admin.post(f"{API}/{endpoint_id}/active", {"active": False})
    assert status == 200 and body["endpoint"]["active"] is False
    await _ticket(console_app)
    async with console_app[HUB].sm() as s:
        assert (await s.execute(select(func.count()).select_from(WebhookDelivery))).scalar_one() == 1
    assert (await admin.post(f"{API}/{endpoint_id}/delete"))[0] == 200
    assert (await admin.get(API))[1]["items"] == []
    assert (await _log(admin))["total"] == 1  # the log keeps a deleted endpoint's deliveries
