"""Another app follows a ticket to its answer, reads the published answers and searches the
FAQ through ``/api/v1``; what it reads of someone else's ticket is masked as the portal masks."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient
from sqlalchemy import select

from bot.faq_store import import_version
from bot.hub import HUB
from faq.model import FaqEntry
from storage.models import Ticket
from tests.api.conftest import bearer, citizen_request, new_token
from tests.console.conftest import agency_id_of

Client = TestClient[Any, Any]
QUESTION = "Tôi là Lê Thị Hoa, số điện thoại 0912 345 678. Con tôi học lớp 10 có được hỗ trợ học phí không?"
ANSWER = "Chào chị Lê Thị Hoa, học sinh lớp 10 được hỗ trợ 50% học phí theo Nghị quyết của tỉnh."


async def test_a_ticket_followed_to_its_published_answer(
    console_app: web.Application, console_client: Client, people: Any
) -> None:
    _, own = await new_token(console_app, "tickets:create", "tickets:read")
    _, other = await new_token(console_app, "tickets:read", "answers:read", name="Smart Thanh Hóa")
    r = await console_client.post(
        "/api/v1/tickets",
        json=citizen_request(content=QUESTION),
        headers=bearer(own, **{"Idempotency-Key": "q-1"}),
    )
    assert r.status == 201
    code = (await r.json())["ticket"]["code"]
    async with console_app[HUB].sm() as s:
        tid = (await s.execute(select(Ticket.id).where(Ticket.code == code))).scalar_one()
    op, officer = await people("op1"), await people("yte1")
    status, body = await op.post(
        f"/console/api/tickets/{tid}/forward", {"agency_id": await agency_id_of(console_app, "so-yte")}
    )
    assert status == 200, body
    r = await console_client.get(f"/api/v1/tickets/{code}", headers=bearer(own))
    assert (await r.json())["status"] == "forwarded" and (await r.json())["agency"] == "Sở Y tế"
    status, body = await officer.post(f"/console/api/tickets/{tid}/answer", {"text": ANSWER})
    assert status == 200, body

    mine = await (await console_client.get(f"/api/v1/tickets/{code}", headers=bearer(own))).json()
    assert mine["status"] == "answered" and mine["answer"] == ANSWER and mine["answered_at"]
    theirs = await (await console_client.get(f"/api/v1/tickets/{code}", headers=bearer(other))).json()
    assert theirs["status"] == "answered" and "Lê Thị Hoa" not in theirs["answer"]
    assert theirs["answer"].startswith("Chào chị [họ tên], học sinh lớp 10")
    assert theirs["source_app"] is None and theirs["external_ref"] is None

    r = await console_client.get("/api/v1/answers", headers=bearer(other))
    assert (await r.json())["total"] == 0  # answered, not yet published
    status, preview = await officer.get(f"/console/api/tickets/{tid}/publication/preview")
    assert status == 200, preview
    status, body = await officer.post(
        f"/console/api/tickets/{tid}/publish", {"question": preview["question"], "answer": preview["answer"]}
    )
    assert status == 200, body
    r = await console_client.get("/api/v1/answers", params={"q": "hoc phi lop 10"}, headers=bearer(other))
    page = await r.json()
    assert r.status == 200 and page["total"] == 1 and page["pages"] == 1
    [item] = page["items"]
    assert item["question"] == preview["question"] and "0912" not in item["question"]
    assert item["agency"] == "Sở Y tế" and item["url"] == f"/hoi-dap/{item['id']}"
    r = await console_client.get("/api/v1/answers", params={"q": "giay phep lai xe"}, headers=bearer(other))
    assert (await r.json())["items"] == []
    assert (await console_client.get("/api/v1/answers", headers=bearer(own))).status == 403


async def test_faq_search(console_app: web.Application, console_client: Client) -> None:
    hub = console_app[HUB]
    _, secret = await new_token(console_app, "faq:read")
    r = await console_client.get("/api/v1/faq", params={"q": "tiêm vắc xin"}, headers=bearer(secret))
    assert r.status == 200 and (await r.json())["items"] == []
    entries = [
        FaqEntry(
            id="yt-1",
            question="Tiêm vắc xin COVID-19 ở đâu?",
            answer="Tại trạm y tế phường.",
            agency="Sở Y tế",
        ),
        FaqEntry(id="gt-1", question="Đổi giấy phép lái xe ở đâu?", answer="Tại Sở GTVT.", agency="Sở GTVT"),
    ]
    await import_version(hub.sm, hub.clock, entries[:1], "Sở Y tế", activate=True)
    await import_version(hub.sm, hub.clock, entries[1:], "Sở GTVT", activate=True)
    await hub.faq.refresh()
    r = await console_client.get(
        "/api/v1/faq", params={"q": "đổi giấy phép lái xe", "limit": "1"}, headers=bearer(secret)
    )
    body = await r.json()
    assert r.status == 200 and body["available"] is True
    assert [i["id"] for i in body["items"]] == ["gt-1"] and body["items"][0]["answer"] == "Tại Sở GTVT."
