"""Publishing an answer (Điều 12) through the console's API and the public pages that show
it, without login: masking reviewed, personal data refused, roles, the citizen's wish, a
withdrawal, accentless search and filters, JSON, markup escaped, security headers; the
lookup page over HTTP with its rate limit."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from bot.app import create_app
from bot.faq_store import import_version
from bot.hub import HUB
from faq.model import FaqEntry
from storage.clock import ManualClock
from tests.console.conftest import T0
from tests.public.helpers import answered_ticket, open_ticket

PERSONAL = ("0912", "345 678", "Nguyễn Văn An", "Nguyen Van An", "038090012345", "an.nguyen", "ngõ 5")


async def _public(who: Any, path: str) -> tuple[int, str, Any]:
    async with who.http.get(who.base + path) as r:
        return r.status, await r.text(), r.headers


async def test_publish_review_and_the_public_pages(people: Any, console_app: Any) -> None:
    t = await answered_ticket(people, console_app)
    officer = t.officer
    status, state = await officer.get(f"/console/api/tickets/{t.id}/publication")
    assert status == 200 and state == {
        "no_publish": False,
        "can_publish": True,
        "reason": None,
        "published": None,
    }
    status, p = await officer.get(f"/console/api/tickets/{t.id}/publication/preview")
    assert status == 200, p
    assert p["question"].startswith("Tôi là [họ tên], CCCD [số giấy tờ], nhà ở [địa chỉ], phường Điện Biên.")
    assert p["question"].endswith("Số điện thoại [số điện thoại].")
    assert p["answer"].startswith("Chào anh [họ tên], học sinh lớp 10")
    assert p["agency"] == "Sở Y tế"
    # an edit that puts the citizen's data back is refused, naming what is left
    status, body = await officer.post(
        f"/console/api/tickets/{t.id}/publish",
        {"question": p["question"] + " Gọi 0912.345.678 (anh An Nguyễn Văn An)", "answer": p["answer"]},
    )
    assert status == 400 and "số điện thoại" in body["error"] and "họ tên" in body["error"], body
    reviewed = p["question"].replace("Xin hỏi", "Cho hỏi")
    status, body = await officer.post(
        f"/console/api/tickets/{t.id}/publish", {"question": reviewed, "answer": p["answer"]}
    )
    assert status == 200, body
    pub = body["published"]
    assert pub["url"] == f"/hoi-dap/{pub['id']}" and pub["public"] and pub["question"] == reviewed

    anonymous = await people()
    status, page, headers = await _public(anonymous, "/hoi-dap/?q=ho%20tro%20hoc%20phi")
    assert status == 200 and "Cho hỏi con tôi học lớp 10" in page and f'href="/hoi-dap/{pub["id"]}"' in page
    assert "script-src" not in headers["Content-Security-Policy"]  # no script at all: default-src 'none'
    assert "default-src 'none'" in headers["Content-Security-Policy"] and headers["X-Frame-Options"] == "DENY"
    for datum in PERSONAL:
        assert datum not in page, datum
    status, page, _ = await _public(anonymous, f"/hoi-dap/{pub['id']}")
    assert status == 200 and "Sở Y tế" in page and "Tổng đài 1022" in page
    assert not any(d in page for d in PERSONAL)
    status, page, _ = await _public(anonymous, "/hoi-dap/?q=khong%20co%20cau%20nay")
    assert status == 200 and "Cho hỏi con tôi" not in page

    status, data = await anonymous.get("/api/public/answers?q=HOC%20PHI&agency=S%E1%BB%9F%20Y%20t%E1%BA%BF")
    assert status == 200 and data["total"] == 1 and data["hotline"] == "Tổng đài 1022"
    item = data["items"][0]
    assert item["kind"] == "answer" and item["id"] == str(pub["id"]) and item["url"] == pub["url"]
    assert item["question"] == reviewed and item["agency"] == "Sở Y tế" and item["published_at"]
    assert "Sở Y tế" in data["agencies"]
    assert (await anonymous.get("/api/public/answers?agency=S%E1%BB%9F%20GTVT"))[1]["total"] == 0

    # withdrawn: gone from the portal; published again: back at the same address
    status, body = await officer.post(f"/console/api/tickets/{t.id}/withdraw")
    assert status == 200 and body["published"]["withdrawn_at"] and not body["published"]["public"]
    assert (await _public(anonymous, pub["url"]))[0] == 404
    assert (await anonymous.get("/api/public/answers"))[1]["total"] == 0
    assert (await officer.post(f"/console/api/tickets/{t.id}/withdraw"))[0] == 409
    status, body = await officer.post(
        f"/console/api/tickets/{t.id}/publish", {"question": reviewed, "answer": "Đã trả lời."}
    )
    assert status == 200 and body["published"]["id"] == pub["id"]
    assert "Đã trả lời." in (await _public(anonymous, pub["url"]))[1]

    _, detail = await officer.get(f"/console/api/tickets/{t.id}")
    actions = [h["action"] for h in detail["history"]]
    assert actions[-3:] == ["published", "publication_withdrawn", "published"]
    sv = await people("sv1")
    _, audit = await sv.get("/console/api/audit")
    assert {"publish_answer", "withdraw_answer"} <= {e["action"] for e in audit["entries"]}


async def test_who_may_publish(people: Any, console_app: Any) -> None:
    t = await answered_ticket(people, console_app)
    body = {"question": "Hỏi về học phí", "answer": "Được hỗ trợ."}
    # the operator sees the ticket but does not publish; another agency's officer sees nothing
    status, state = await t.op.get(f"/console/api/tickets/{t.id}/publication")
    assert status == 200 and not state["can_publish"] and "Chỉ cán bộ đầu mối" in state["reason"]
    assert (await t.op.get(f"/console/api/tickets/{t.id}/publication/preview"))[0] == 403
    assert (await t.op.post(f"/console/api/tickets/{t.id}/publish", body))[0] == 403
    gtvt = await people("gtvt1")
    for path in ("publication", "publication/preview"):
        assert (await gtvt.get(f"/console/api/tickets/{t.id}/{path}"))[0] == 403
    assert (await gtvt.post(f"/console/api/tickets/{t.id}/publish", body))[0] == 403
    assert (await gtvt.post(f"/console/api/tickets/{t.id}/no_publish", {"no_publish": True}))[0] == 403
    assert (await (await people()).get(f"/console/api/tickets/{t.id}/publication"))[0] == 401
    # the supervisor may; a ticket not answered yet may not be published by anyone
    sv = await people("sv1")
    status, out = await sv.post(f"/console/api/tickets/{t.id}/publish", body)
    assert status == 200, out
    assert (await t.op.post(f"/console/api/tickets/{t.id}/withdraw"))[0] == 403
    tid, _ = await open_ticket(people, t.op, "Hỏi về lịch tiêm")
    status, out = await sv.post(f"/console/api/tickets/{tid}/publish", body)
    assert status == 409 and out["error"] == "Chỉ công khai được phiếu đã trả lời"
    # no CSRF token, no publishing
    assert (await sv.post(f"/console/api/tickets/{t.id}/publish", body, csrf="forged"))[0] == 403


async def test_the_citizens_wish_not_to_be_published(people: Any, console_app: Any) -> None:
    t = await answered_ticket(people, console_app)
    body = {"question": "Hỏi về học phí lớp 10", "answer": "Được hỗ trợ."}
    assert (await t.officer.post(f"/console/api/tickets/{t.id}/publish", body))[0] == 200
    # the operator who took the call records the wish: the published answer comes down
    status, out = await t.op.post(f"/console/api/tickets/{t.id}/no_publish", {"no_publish": True})
    assert status == 200 and out["no_publish"] and not out["published"]["public"], out
    anonymous = await people()
    assert (await anonymous.get("/api/public/answers"))[1]["total"] == 0
    status, out = await t.officer.post(f"/console/api/tickets/{t.id}/publish", body)
    assert status == 409 and out["error"] == "Công dân không muốn công khai yêu cầu này"
    _, state = await t.officer.get(f"/console/api/tickets/{t.id}/publication")
    assert state["no_publish"] and not state["can_publish"]
    assert (await t.op.post(f"/console/api/tickets/{t.id}/no_publish", {"no_publish": "có"}))[0] == 400
    assert (await t.officer.post(f"/console/api/tickets/{t.id}/no_publish", {"no_publish": False}))[0] == 200
    assert (await t.officer.post(f"/console/api/tickets/{t.id}/publish", body))[0] == 200
    _, detail = await t.officer.get(f"/console/api/tickets/{t.id}")
    actions = [h["action"] for h in detail["history"]]
    assert actions[-5:] == [
        "published",
        "no_publish_set",
        "publication_withdrawn",
        "no_publish_cleared",
        "published",
    ]


async def test_markup_in_a_question_stays_text(people: Any, console_app: Any) -> None:
    xss = 'Học phí <script>alert(1)</script><img src=x onerror="alert(2)"> & "trích dẫn"?'
    t = await answered_ticket(people, console_app, content=xss, answer="<b>Được</b> hỗ trợ")
    status, out = await t.officer.post(
        f"/console/api/tickets/{t.id}/publish", {"question": xss, "answer": "<b>Được</b> hỗ trợ"}
    )
    assert status == 200, out
    anonymous = await people()
    for path in ("/hoi-dap/?q=hoc%20phi", out["published"]["url"]):
        status, page, _ = await _public(anonymous, path)
        assert status == 200
        assert "<script>alert" not in page and "<img" not in page and "<b>Được" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=&quot;alert(2)&quot;&gt;" in page
    status, page, _ = await _public(anonymous, '/hoi-dap/?q="><script>x</script>')
    assert (
        status == 200
        and "<script>x" not in page
        and 'value="&quot;&gt;&lt;script&gt;x&lt;/script&gt;"' in page
    )


async def test_lookup_page(people: Any, console_app: Any, console_clock: ManualClock) -> None:
    t = await answered_ticket(people, console_app)
    visitor = await people()
    status, page, headers = await _public(visitor, f"/tra-cuu/?ma={t.code}")
    assert status == 200 and f'value="{t.code}"' in page and headers["Cache-Control"] == "no-store"

    async def lookup(code: str, phone: str, **headers: str) -> tuple[int, str, Any]:
        async with visitor.http.post(
            visitor.base + "/tra-cuu/", data={"code": code, "phone": phone}, headers=headers
        ) as r:
            return r.status, await r.text(), r.headers

    status, page, _ = await lookup(t.code, "5678")
    assert status == 200 and "đã trả lời" in page and "Sở Y tế" in page and "hỗ trợ 50% học phí" in page
    status, page, _ = await lookup(t.code, "5678", Origin="https://evil.example")
    assert status == 403 and "hỗ trợ 50%" not in page
    for _ in range(5):
        status, page, _ = await lookup(t.code, "1111")
        assert status == 403 and "không đúng" in page and "hỗ trợ 50%" not in page
    status, page, headers = await lookup(t.code, "5678")
    assert status == 429 and "Hãy thử lại sau 10:00 ngày 02/03/2027" in page
    assert int(headers["Retry-After"]) == 3600
    status, page, _ = await lookup("", "12")
    assert status == 400 and "Hãy nhập mã phiếu" in page
    console_clock.advance(hours=1, seconds=1)
    assert (await lookup(t.code.lower(), "5678"))[0] == 200


async def test_the_active_faq_is_listed(hub_settings: Any, aiohttp_client: Any) -> None:
    app = await create_app(
        replace(hub_settings, faq_semantic=False, public_page_size=2), clock=ManualClock(T0)
    )
    client = await aiohttp_client(app)
    hub = app[HUB]
    entries = [
        FaqEntry(
            id=f"yt-{i}",
            question=f"Câu hỏi số {i} về tiêm chủng?",
            answer=f"Trả lời {i}.",
            domain="Y tế",
            agency="Sở Y tế",
        )
        for i in range(3)
    ] + [
        FaqEntry(
            id="gt/1",
            question="Đổi giấy phép lái xe ở đâu?",
            answer="Tại Sở GTVT.",
            domain="Giao thông",
            agency="Sở GTVT",
        )
    ]
    await import_version(hub.sm, hub.clock, entries[:3], "Sở Y tế", activate=True)
    await import_version(hub.sm, hub.clock, entries[3:], "Sở GTVT", activate=True)
    r = await client.get("/api/public/answers", params={"q": "tiem chung"})
    data = await r.json()
    assert data["total"] == 3 and data["pages"] == 2 and len(data["items"]) == 2
    assert {i["kind"] for i in data["items"]} == {"faq"} and data["domains"] == ["Giao thông", "Y tế"]
    r = await client.get("/api/public/answers", params={"q": "tiem chung", "page": "2"})
    assert [i["id"] for i in (await r.json())["items"]] == ["yt-2"]
    r = await client.get("/api/public/answers", params={"domain": "Giao thông"})
    item = (await r.json())["items"][0]
    assert item["url"] == "/hoi-dap/cau-hoi/gt%2F1"
    r = await client.get(item["url"])
    assert r.status == 200 and "Đổi giấy phép lái xe ở đâu?" in await r.text()
    r = await client.get("/hoi-dap/", params={"page": "99"})
    text = await r.text()
    assert r.status == 200 and "Trang 2/2" in text and re.search(r'rel="prev" href="/hoi-dap/\?page=1"', text)
    assert (await client.get("/hoi-dap/cau-hoi/khong-co")).status == 404
