"""Where the agency notices go: an officer sets their own address and opts out on the
account page (``/console/api/me/notices``), an admin sets anyone's address through
``/console/api/users/{id}``; bad addresses are refused, changes audited. And a regression:
saving an agency or a domain without ``hotline`` / ``agency_id`` keeps them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot.hub import HUB
from storage.models_console import AuditLog, User


async def _row(app: Any, username: str) -> User:
    async with app[HUB].sm() as s:
        return (await s.execute(select(User).where(User.username == username))).scalar_one()


async def test_officer_sets_and_clears_own_notice_address(people: Any, console_app: Any) -> None:
    yte = await people("yte1")
    assert await yte.get("/console/api/me/notices") == (200, {"email": None, "email_notices": True})
    status, body = await yte.post("/console/api/me/notices", {"email": " yte1@soyte.example.vn "})
    assert status == 200 and body["email"] == "yte1@soyte.example.vn" and body["email_notices"] is True
    status, body = await yte.post("/console/api/me/notices", {"email_notices": False})
    assert status == 200 and body == {"ok": True, "email": "yte1@soyte.example.vn", "email_notices": False}
    for bad in ("không-phải-thư", "a@b", "a b@c.vn", "x@y.vn, z@w.vn", "<a@b.vn>"):
        status, body = await yte.post("/console/api/me/notices", {"email": bad})
        assert status == 400 and "e-mail không hợp lệ" in body["error"], bad
    status, body = await yte.post("/console/api/me/notices", {"email_notices": "có"})
    assert status == 400
    assert (await yte.post("/console/api/me/notices", {}))[0] == 400
    status, body = await yte.post("/console/api/me/notices", {"email": ""})
    assert status == 200 and body["email"] is None
    row = await _row(console_app, "yte1")
    assert row.email is None and row.email_notices is False
    async with console_app[HUB].sm() as s:
        audits = (
            await s.execute(
                select(AuditLog)
                .where(AuditLog.action == "edit_user", AuditLog.user_id == row.id)
                .order_by(AuditLog.id)
            )
        ).scalars()
        changed = [a.detail["changed"] for a in audits if a.detail]
    assert [sorted(c) for c in changed] == [["email"], ["email_notices"], ["email"]]


async def test_admin_sets_an_address_others_may_not(people: Any, console_app: Any) -> None:
    admin = await people("admin1")
    yte_id = (await _row(console_app, "yte1")).id
    status, body = await admin.post(f"/console/api/users/{yte_id}", {"email": "yte1@soyte.example.vn"})
    assert status == 200 and body["user"]["email"] == "yte1@soyte.example.vn", body
    status, body = await admin.post(f"/console/api/users/{yte_id}", {"email": "sai"})
    assert status == 400
    _, listing = await admin.get("/console/api/users")
    (row,) = [u for u in listing["users"] if u["id"] == yte_id]
    assert row["email"] == "yte1@soyte.example.vn" and row["email_notices"] is True
    assert row["role"] == "agency" and row["agency_id"] is not None  # the rest untouched
    op = await people("op1")
    assert (await op.post(f"/console/api/users/{yte_id}", {"email": "x@y.vn"}))[0] == 403


async def test_saving_without_hotline_or_agency_keeps_them(people: Any) -> None:
    admin = await people("admin1")
    status, body = await admin.post(
        "/console/api/agencies", {"code": "so-tnmt", "name": "Sở Tài nguyên", "hotline": "0237 3852 000"}
    )
    assert status == 200, body
    agency_id = body["id"]
    status, _ = await admin.post(
        "/console/api/agencies", {"id": agency_id, "name": "Sở Tài nguyên và Môi trường"}
    )
    assert status == 200
    status, body = await admin.post(
        "/console/api/domains",
        {"code": "moi-truong", "name": "Môi trường", "agency_id": agency_id, "owner_note": "Sở TN&MT"},
    )
    assert status == 200, body
    domain_id = body["id"]
    assert (await admin.post("/console/api/domains", {"id": domain_id, "name": "Môi trường, đất đai"}))[
        0
    ] == 200

    _, agencies = await admin.get("/console/api/agencies")
    agency = next(a for a in agencies["agencies"] if a["id"] == agency_id)
    assert agency["name"] == "Sở Tài nguyên và Môi trường" and agency["hotline"] == "0237 3852 000"
    _, domains = await admin.get("/console/api/domains")
    domain = next(d for d in domains["domains"] if d["id"] == domain_id)
    assert domain["name"] == "Môi trường, đất đai"
    assert domain["agency_id"] == agency_id and domain["owner_note"] == "Sở TN&MT"

    # present and empty: removed on purpose
    assert (await admin.post("/console/api/agencies", {"id": agency_id, "name": "Sở TN&MT", "hotline": ""}))[
        0
    ] == 200
    assert (
        await admin.post("/console/api/domains", {"id": domain_id, "name": "Môi trường", "agency_id": None})
    )[0] == 200
    _, agencies = await admin.get("/console/api/agencies")
    assert next(a for a in agencies["agencies"] if a["id"] == agency_id)["hotline"] is None
    _, domains = await admin.get("/console/api/domains")
    assert next(d for d in domains["domains"] if d["id"] == domain_id)["agency_id"] is None
