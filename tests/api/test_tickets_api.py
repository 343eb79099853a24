"""An app records a citizen's request through ``/api/v1`` and follows it: idempotency,
scopes, revoked tokens, JSON errors, and the audit trail."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient
from sqlalchemy import func, select

from bot.hub import HUB
from storage.clock import ManualClock
from storage.models import Ticket
from storage.models_console import AuditLog, TicketTrack
from storage.models_integrations import ApiIdempotencyKey
from tests.api.conftest import bearer, citizen_request, new_token

Client = TestClient[Any, Any]


async def _count_tickets(app: web.Application) -> int:
    async with app[HUB].sm() as s:
        return int((await s.execute(select(func.count()).select_from(Ticket))).scalar_one())


async def test_same_idempotency_key_twice_gives_one_ticket(
    console_app: web.Application, console_client: Client
) -> None:
    _, secret = await new_token(console_app, "tickets:create", "tickets:read")
    headers = bearer(secret, **{"Idempotency-Key": "ph-2027-00123-a"})
    before = await _count_tickets(console_app)

    first = await console_client.post(
        "/api/v1/tickets", json=citizen_request(domain="Giao thông vận tải"), headers=headers
    )
    assert first.status == 201, await first.text()
    created = await first.json()
    again = await console_client.post(
        "/api/v1/tickets", json=citizen_request(domain="Giao thông vận tải"), headers=headers
    )
    assert again.status == 200
    assert again.headers["Idempotent-Replayed"] == "true"
    assert await again.json() == created
    assert await _count_tickets(console_app) == before + 1

    code = created["ticket"]["code"]
    async with console_app[HUB].sm() as s:
        ticket = (await s.execute(select(Ticket).where(Ticket.code == code))).scalar_one()
        track = await s.get(TicketTrack, ticket.id)
    assert ticket.channel == "api" and ticket.status == "new"
    assert ticket.contact_snapshot is not None
    assert ticket.contact_snapshot["full_name"] == "Lê Thị Hoa"
    assert ticket.contact_snapshot["address"].startswith("Số 8 đường Trần Phú")
    assert ticket.contact_snapshot["email"] == "hoa.le@example.vn"
    assert track is not None and track.domain_id is not None
    assert created["ticket"]["external_ref"] == "PH-2027-00123"

    other = await console_client.post(
        "/api/v1/tickets", json=citizen_request(content="Một yêu cầu khác hẳn"), headers=headers
    )
    assert other.status == 422
    assert (await other.json())["error"]["code"] == "idempotency_key_reused"
    assert await _count_tickets(console_app) == before + 1

    fresh = await console_client.post(
        "/api/v1/tickets",
        json=citizen_request(),
        headers=bearer(secret, **{"Idempotency-Key": "ph-2027-00124"}),
    )
    assert fresh.status == 201
    assert (await fresh.json())["ticket"]["code"] != code

    read = await console_client.get(f"/api/v1/tickets/{code}", headers=bearer(secret))
    assert read.status == 200
    status = await read.json()
    assert status["code"] == code and status["status"] == "new" and status["answer"] is None
    assert status["source_app"] == "Phản hồi Thanh Hóa" and status["external_ref"] == "PH-2027-00123"
    assert [n["action"] for n in status["notes"]] == ["received"]


async def test_scope_missing_is_403_and_revoked_is_401(
    console_app: web.Application, console_client: Client, people: Any
) -> None:
    _, faq_only = await new_token(console_app, "faq:read", name="Smart Thanh Hóa")
    headers = bearer(faq_only, **{"Idempotency-Key": "k1"})
    r = await console_client.post("/api/v1/tickets", json=citizen_request(), headers=headers)
    assert r.status == 403
    assert (await r.json())["error"]["code"] == "forbidden"
    assert "tickets:create" in (await r.json())["error"]["message"]

    token_id, secret = await new_token(console_app, "tickets:create")
    ok = await console_client.post(
        "/api/v1/tickets", json=citizen_request(), headers=bearer(secret, **{"Idempotency-Key": "k1"})
    )
    assert ok.status == 201
    admin = await people("admin1")
    status, body = await admin.post(f"/console/api/integrations/tokens/{token_id}/revoke", {})
    assert status == 200 and body["item"]["revoked_at"]
    before = await _count_tickets(console_app)
    r = await console_client.post(
        "/api/v1/tickets", json=citizen_request(), headers=bearer(secret, **{"Idempotency-Key": "k2"})
    )
    assert r.status == 401
    assert (await r.json())["error"]["code"] == "token_revoked"
    assert r.headers["WWW-Authenticate"] == "Bearer"
    assert await _count_tickets(console_app) == before

    for auth in ({}, {"Authorization": "Bearer h1022_not-a-token"}, {"Authorization": "Basic abc"}):
        r = await console_client.get("/api/v1/faq?q=abc", headers=auth)
        assert r.status == 401 and (await r.json())["error"]["code"] == "unauthorized"

    async with console_app[HUB].sm() as s:
        rows = (
            (
                await s.execute(
                    select(AuditLog)
                    .where(AuditLog.object_type.in_(("api_token", "ticket")))
                    .order_by(AuditLog.id)
                )
            )
            .scalars()
            .all()
        )
    actions = [(r.action, r.object_id) for r in rows if r.action.startswith("api_")]
    assert ("api_forbidden", str(_id_of(rows, "Smart Thanh Hóa"))) in actions
    assert ("api_request", str(token_id)) in actions
    assert ("api_revoked", str(token_id)) in actions
    assert any(a == "api_create_ticket" for a, _ in actions)
    assert any(r.action == "api_token_revoke" and r.username == "admin1" for r in rows)


def _id_of(rows: list[AuditLog], name: str) -> int:
    return next(int(r.object_id or 0) for r in rows if (r.detail or {}).get("token") == name)


async def test_bad_input_gets_json_errors_in_vietnamese(
    console_app: web.Application, console_client: Client
) -> None:
    _, secret = await new_token(console_app, "tickets:create", "tickets:read", "answers:read", "faq:read")
    key = {"Idempotency-Key": "bad-1"}
    cases: list[tuple[str, str, dict[str, Any], int, str]] = [
        (
            "POST",
            "/api/v1/tickets",
            {"data": b"{not json", "headers": bearer(secret, **key, **{"Content-Type": "application/json"})},
            400,
            "bad_request",
        ),
        (
            "POST",
            "/api/v1/tickets",
            {"json": citizen_request(), "headers": bearer(secret)},
            400,
            "idempotency_key_missing",
        ),
        (
            "POST",
            "/api/v1/tickets",
            {"json": citizen_request(phone=""), "headers": bearer(secret, **key)},
            400,
            "invalid_request",
        ),
        (
            "POST",
            "/api/v1/tickets",
            {"json": citizen_request(phone="gọi tôi"), "headers": bearer(secret, **key)},
            400,
            "invalid_request",
        ),
        (
            "POST",
            "/api/v1/tickets",
            {"json": citizen_request(full_name=None), "headers": bearer(secret, **key)},
            400,
            "invalid_request",
        ),
        (
            "POST",
            "/api/v1/tickets",
            {"json": citizen_request(urgent=True), "headers": bearer(secret, **key)},
            400,
            "invalid_request",
        ),
        (
            "POST",
            "/api/v1/tickets",
            {"data": b"a=b", "headers": bearer(secret, **key)},
            415,
            "unsupported_media_type",
        ),
        ("GET", "/api/v1/tickets/khong-co", {"headers": bearer(secret)}, 404, "ticket_not_found"),
        ("GET", "/api/v1/tickets/1022-2027-999999", {"headers": bearer(secret)}, 404, "ticket_not_found"),
        ("GET", "/api/v1/khong-co", {"headers": bearer(secret)}, 404, "not_found"),
        ("DELETE", "/api/v1/tickets", {"headers": bearer(secret)}, 405, "method_not_allowed"),
        ("GET", "/api/v1/answers?page=0", {"headers": bearer(secret)}, 400, "invalid_request"),
        ("GET", "/api/v1/faq", {"headers": bearer(secret)}, 400, "invalid_request"),
    ]
    before = await _count_tickets(console_app)
    for method, path, kw, status, code in cases:
        r = await console_client.request(method, path, **kw)
        assert r.status == status, (method, path, await r.text())
        assert r.content_type == "application/json"
        error = (await r.json())["error"]
        assert error["code"] == code, (path, error)
        assert not error["message"].isascii(), error  # Vietnamese
    assert await _count_tickets(console_app) == before


async def test_an_idempotency_key_is_kept_for_its_hours(
    console_app: web.Application, console_client: Client, console_clock: ManualClock
) -> None:
    _, secret = await new_token(console_app, "tickets:create")
    headers = bearer(secret, **{"Idempotency-Key": "daily-1"})
    first = await console_client.post("/api/v1/tickets", json=citizen_request(), headers=headers)
    assert first.status == 201
    console_clock.advance(hours=23, minutes=59)
    other = await console_client.post(
        "/api/v1/tickets", json=citizen_request(content="Khác"), headers=headers
    )
    assert other.status == 422
    console_clock.advance(minutes=1)  # 24 hours (HUB_API_IDEMPOTENCY_HOURS): the key is forgotten
    later = await console_client.post(
        "/api/v1/tickets", json=citizen_request(content="Khác"), headers=headers
    )
    assert later.status == 201
    assert (await later.json())["ticket"]["code"] != (await first.json())["ticket"]["code"]
    async with console_app[HUB].sm() as s:
        keys = (await s.execute(select(func.count()).select_from(ApiIdempotencyKey))).scalar_one()
    assert keys == 1  # the expired one was purged
