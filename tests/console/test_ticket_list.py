"""The console's ticket list (issue 14): each filter (status, agency, domain, overdue,
urgent), a text search without diacritics over code, content, the citizen's name and phone
(in SQL, on SQLite and PostgreSQL: every test here runs on both), agency scoping under the
filters, the citizen's name and the domain's default agency on each ticket, and the urgent
mark (endpoint, roles, CSRF, final tickets, history)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot.hub import HUB
from faq.normalize import fold as faq_fold
from storage.models_console import Domain
from storage.search import fold, ticket_search_text
from tests.console.conftest import agency_id_of, new_ticket

LIST = "/console/api/tickets"


async def _domain(app: Any, code: str) -> tuple[int, int | None]:
    async with app[HUB].sm() as s:
        d = (await s.execute(select(Domain).where(Domain.code == code))).scalar_one()
        return d.id, d.agency_id


async def _call(
    op: Any, caller: str, phone: str, content: str, domain_id: int | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {"caller": caller, "phone": phone, "content": content}
    if domain_id is not None:
        body["domain_id"] = domain_id
    status, out = await op.post("/console/api/calls", body)
    assert status == 200, out
    return dict(out["ticket"])


async def _codes(who: Any, query: str = "") -> list[str]:
    status, body = await who.get(LIST + query)
    assert status == 200, body
    return sorted(t["code"] for t in body["tickets"])


def test_the_fold_is_the_faq_fold() -> None:
    """storage.search.fold and faq.normalize.fold (which storage may not import) agree."""
    for text in ("Nguyễn Văn A", "ĐƯỜNG Đá", "Hoà / hòa, Thủy; KHỎE 123", "Ưu tiên ơi", "x\u0301"):
        assert fold(text) == faq_fold(text), text
    assert fold("Nguyễn Văn Đức") == "nguyen van duc"
    assert "0912345678" in ticket_search_text("1022-2027-000001", "Hỏi", {"phone": "0912 345 678"})


async def test_search_without_diacritics_over_code_content_name_and_phone(people: Any) -> None:
    op = await people("op1")
    a = await _call(op, "Nguyễn Văn A", "0912 345 678", "Hỏi về tiêm chủng")
    b = await _call(op, "Trần Thị Bình", "0987000111", "Đường bị ngập ở phường Đông")
    c = await _call(op, "Lê Đức", "0900000222", "Giấy đi đường 100% bị từ chối")
    assert a["citizen_name"] == "Nguyễn Văn A" and a["urgent"] is False

    assert await _codes(op, "?q=nguyen van a") == [a["code"]]
    assert await _codes(op, "?q=NGUYỄN VĂN") == [a["code"]]
    assert await _codes(op, "?q=tiem chung") == [a["code"]]
    assert await _codes(op, "?q=duong") == sorted([b["code"], c["code"]])  # đường, Đường
    assert await _codes(op, "?q=le duc") == [c["code"]]  # "đ" folds to "d"
    assert await _codes(op, "?q=0912345678") == [a["code"]]  # the phone as bare digits
    assert await _codes(op, "?q=0987000") == [b["code"]]
    assert await _codes(op, "?q=" + b["code"]) == [b["code"]]
    assert await _codes(op, "?q=100%25") == [c["code"]]  # "%" is a character, not a wildcard
    assert await _codes(op, "?q=1_0") == []  # "_" too
    assert await _codes(op, "?q=   ") == sorted([a["code"], b["code"], c["code"]])  # blank: no filter
    _, body = await op.get(LIST + "?q=binh")
    (t,) = body["tickets"]
    assert t["citizen_name"] == "Trần Thị Bình" and body["truncated"] is False


async def test_a_conversation_ticket_has_the_contact_name_and_its_additions_are_searchable(
    people: Any, console_app: Any
) -> None:
    op = await people("op1")
    tid, code = await new_ticket(people, op, "Cần kiểm tra")
    _, t = await op.get(f"/console/api/tickets/{tid}")
    assert t["conversation_id"] is not None  # the link to its conversation
    status, body = await op.post(
        f"/console/api/conversations/{t['conversation_id']}/tickets",
        {"content": "Hỏi lịch tiêm", "full_name": "Phạm Thị Huệ", "phone": "0911222333"},
    )
    assert status == 200, body
    assert body["ticket"]["citizen_name"] == "Phạm Thị Huệ"
    assert await _codes(op, "?q=pham thi hue") == [body["ticket"]["code"]]
    assert await _codes(op, "?q=can kiem tra") == [code]


async def test_filters_status_agency_domain_overdue_urgent(
    people: Any, console_app: Any, console_clock: Any
) -> None:
    op = await people("op1")
    yte, gtvt = await agency_id_of(console_app, "so-yte"), await agency_id_of(console_app, "so-gtvt")
    y_te, y_te_agency = await _domain(console_app, "y-te")
    giao_thong, _ = await _domain(console_app, "giao-thong")
    assert y_te_agency == yte
    t1 = await _call(op, "Một", "0900000001", "Sốt cao", y_te)
    t2 = await _call(op, "Hai", "0900000002", "Đường hỏng", giao_thong)
    t3 = await _call(op, "Ba", "0900000003", "Không có lĩnh vực")
    assert t1["domain_agency_id"] == yte and t1["domain_id"] == y_te
    assert t3["domain_agency_id"] is None and t3["domain_id"] is None
    assert (await op.post(f"/console/api/tickets/{t1['id']}/forward", {"agency_id": yte}))[0] == 200
    assert (await op.post(f"/console/api/tickets/{t2['id']}/forward", {"agency_id": gtvt}))[0] == 200

    assert await _codes(op, "?status=new") == [t3["code"]]
    assert await _codes(op, "?status=open") == sorted([t1["code"], t2["code"]])
    assert await _codes(op, f"?agency_id={yte}") == [t1["code"]]
    assert await _codes(op, f"?domain={giao_thong}") == [t2["code"]]
    assert await _codes(op, f"?domain={y_te}&agency_id={gtvt}") == []  # filters combine
    assert await _codes(op, "?overdue=1") == []

    status, body = await op.post(f"/console/api/tickets/{t2['id']}/urgent", {"urgent": True})
    assert status == 200 and body["ticket"]["urgent"] is True, body
    assert await _codes(op, "?urgent=1") == [t2["code"]]
    assert await _codes(op, "?urgent=0") == sorted([t1["code"], t3["code"]])
    _, listed = await op.get(LIST)
    assert listed["tickets"][0]["code"] == t2["code"]  # urgent first

    # past the 8 working hours of the forward: both forwarded tickets are overdue (Điều 10.3)
    console_clock.advance(days=5)
    sv = await people("sv1")  # signed in after the idle sessions expired
    assert await _codes(sv, "?overdue=1") == sorted([t1["code"], t2["code"]])
    assert await _codes(sv, f"?overdue=1&urgent=1&agency_id={gtvt}") == [t2["code"]]
    _, body = await sv.get(LIST + "?overdue=1")
    assert {t["deadline"] for t in body["tickets"]} == {"overdue"}  # the same rule as the flag

    for bad in ("?agency_id=x", "?domain=1e3", "?overdue=maybe", "?urgent=2"):
        status, body = await sv.get(LIST + bad)
        assert status == 400 and "Tham số" in body["error"], bad


async def test_an_agency_sees_only_its_tickets_whatever_the_filters(people: Any, console_app: Any) -> None:
    op, yte_user = await people("op1"), await people("yte1")
    yte, gtvt = await agency_id_of(console_app, "so-yte"), await agency_id_of(console_app, "so-gtvt")
    mine = await _call(op, "Nguyễn Văn Y", "0900000011", "Hỏi về y tế")
    other = await _call(op, "Nguyễn Văn G", "0900000012", "Hỏi về giao thông")
    await _call(op, "Nguyễn Văn N", "0900000013", "Chưa chuyển")
    assert (await op.post(f"/console/api/tickets/{mine['id']}/forward", {"agency_id": yte}))[0] == 200
    assert (await op.post(f"/console/api/tickets/{other['id']}/forward", {"agency_id": gtvt}))[0] == 200
    assert (await op.post(f"/console/api/tickets/{other['id']}/urgent", {"urgent": True}))[0] == 200

    assert await _codes(yte_user) == [mine["code"]]
    assert await _codes(yte_user, "?q=nguyen van") == [mine["code"]]
    assert await _codes(yte_user, f"?agency_id={gtvt}") == []
    assert await _codes(yte_user, "?urgent=1") == []
    assert await _codes(yte_user, "?status=forwarded,new") == [mine["code"]]
    assert len(await _codes(op, "?q=nguyen van")) == 3


async def test_urgent_mark_roles_csrf_final_and_history(people: Any, console_app: Any) -> None:
    op, sv, yte_user = await people("op1"), await people("sv1"), await people("yte1")
    yte = await agency_id_of(console_app, "so-yte")
    t = await _call(op, "Khẩn", "0900000021", "Ngộ độc tập thể")
    url = f"/console/api/tickets/{t['id']}/urgent"
    status, body = await op.post(url, {"urgent": True}, csrf="")
    assert status == 403 and "CSRF" in body["error"]
    _, detail = await op.get(f"/console/api/tickets/{t['id']}")
    assert detail["urgent"] is False and "urgent" in detail["actions"]
    for bad in ({}, {"urgent": "yes"}, {"urgent": 1}):
        status, body = await op.post(url, bad)
        assert status == 400 and "urgent" in body["error"], bad

    assert (await op.post(url, {"urgent": True}))[0] == 200
    assert (await op.post(url, {"urgent": True}))[0] == 200  # already set: nothing more recorded
    assert (await op.post(f"/console/api/tickets/{t['id']}/forward", {"agency_id": yte}))[0] == 200
    _, seen = await yte_user.get(f"/console/api/tickets/{t['id']}")
    assert seen["urgent"] is True and "urgent" not in seen["actions"]
    status, body = await yte_user.post(url, {"urgent": False})
    assert status == 403, body
    status, body = await sv.post(url, {"urgent": False})
    assert status == 200 and body["ticket"]["urgent"] is False

    _, detail = await op.get(f"/console/api/tickets/{t['id']}")
    marks = [(h["action"], h["user"]) for h in detail["history"] if h["action"].startswith("urgent")]
    assert marks == [("urgent_set", "op1"), ("urgent_cleared", "sv1")]

    assert (await yte_user.post(f"/console/api/tickets/{t['id']}/answer", {"text": "Đã xử lý"}))[0] == 200
    _, detail = await op.get(f"/console/api/tickets/{t['id']}")
    assert detail["status"] == "answered" and "urgent" not in detail["actions"]
    status, body = await op.post(url, {"urgent": True})
    assert status == 409 and "khẩn" in body["error"], body
    _, audit = await sv.get(f"/console/api/audit?object_type=ticket&object_id={t['id']}")
    marked = [(e["action"], e["username"], e["detail"]) for e in audit["entries"] if e["action"] == "urgent"]
    # newest first; each click is a row in the audit log, the repeated one too
    assert marked == [
        ("urgent", "sv1", {"urgent": False}),
        ("urgent", "op1", {"urgent": True}),
        ("urgent", "op1", {"urgent": True}),
    ], marked
