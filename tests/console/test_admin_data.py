"""Agencies and FAQ domains are data an admin edits in the console (audited); nobody else may."""

from __future__ import annotations

from typing import Any


async def test_admin_creates_and_edits_agencies_and_domains(people: Any) -> None:
    admin = await people("admin1")
    status, body = await admin.post(
        "/console/api/agencies", {"code": "so-tnmt", "name": "Sở Tài nguyên", "hotline": "0237 3852 000"}
    )
    assert status == 200, body
    agency_id = body["id"]
    status, body = await admin.post(
        "/console/api/agencies", {"id": agency_id, "name": "Sở Tài nguyên và Môi trường"}
    )
    assert status == 200 and body["id"] == agency_id
    status, body = await admin.post("/console/api/agencies", {"code": "so-tnmt", "name": "Trùng mã"})
    assert status == 400 and "đã tồn tại" in body["error"]
    status, body = await admin.post("/console/api/agencies", {"id": 999999, "name": "Không có"})
    assert status == 404
    status, body = await admin.post("/console/api/agencies", {"code": "x", "name": "  "})
    assert status == 400 and "Cần tên đơn vị" in body["error"]
    _, listing = await admin.get("/console/api/agencies")
    names = {a["id"]: a["name"] for a in listing["agencies"]}
    assert names[agency_id] == "Sở Tài nguyên và Môi trường"

    status, body = await admin.post(
        "/console/api/domains", {"code": "moi-truong", "name": "Môi trường", "agency_id": agency_id}
    )
    assert status == 200, body
    _, domains = await admin.get("/console/api/domains")
    made = next(d for d in domains["domains"] if d["id"] == body["id"])
    assert made["name"] == "Môi trường" and made["agency_id"] == agency_id

    _, audit = await admin.get("/console/api/audit")
    actions = str(audit)
    assert "save_agency" in actions and "save_domain" in actions


async def test_only_admins_edit_reference_data(people: Any) -> None:
    for who in ("op1", "sv1", "yte1"):
        person = await people(who)
        status, _ = await person.post("/console/api/agencies", {"code": f"c-{who}", "name": "X"})
        assert status == 403, who
        status, _ = await person.post("/console/api/domains", {"code": f"d-{who}", "name": "X"})
        assert status == 403, who
