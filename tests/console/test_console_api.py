"""Console API paths beyond the browser test: hand back to the bot, internal notes, refusal,
unclear authority → supervisor, phone calls with a recording, merging contacts."""

from __future__ import annotations

import uuid
from dataclasses import replace
from typing import Any

import aiohttp
from aiohttp import FormData
from sqlalchemy import select

from bot.app import create_app
from bot.config import Settings
from bot.engine import EngineReply, EngineRequest, EngineResult, conversation_of
from bot.hub import HUB
from storage.clock import ManualClock
from storage.models import ChannelIdentity, Contact, Conversation
from tests.conftest import wait_for, webchat_session
from tests.console.conftest import T0, Browserless, agency_id_of


class ResumeRecordingEngine:
    """A dialogue engine (the Rasa stand-in): hands off, records resumes, fails on demand."""

    name = "recording"

    def __init__(self) -> None:
        self.resumed: list[str] = []
        self.fail = False

    async def respond(self, req: EngineRequest) -> EngineResult:
        return EngineResult(
            [EngineReply("Chuyển cán bộ")], handoff=True, handoff_reason="Người dân muốn gặp cán bộ"
        )

    async def resume(self, sender_id: str) -> None:
        self.resumed.append(sender_id)
        if self.fail:
            raise ConnectionError("rasa down")


async def _citizen(people: Any, op: Any, text: str = "Cho tôi gặp cán bộ") -> tuple[Any, dict[str, Any]]:
    """A web chat citizen whose conversation is in the operator queue (asking for a person
    puts it there at once)."""
    citizen = await people()
    sess = await webchat_session(citizen.http, citizen.base)
    async with citizen.http.post(
        citizen.base + "/webchat/api/messages",
        json={"client_id": str(uuid.uuid4()), "text": text},
        headers={"Authorization": f"Bearer {sess['session_token']}"},
    ) as r:
        assert r.status == 200

    async def waiting() -> bool:
        _, q = await op.get("/console/api/queue")
        return sess["conversation_id"] in [c["id"] for c in q["waiting"]]

    await wait_for(waiting)
    return citizen, sess


async def _citizen_sees(citizen: Any, sess: dict[str, Any]) -> list[str]:
    async with citizen.http.get(
        citizen.base + "/webchat/api/messages", headers={"Authorization": f"Bearer {sess['session_token']}"}
    ) as r:
        return [m["text"] for m in (await r.json())["messages"]]


async def test_hand_back_tells_the_engine_and_survives_its_failure(
    console_client: Any, hub_settings: Settings, aiohttp_client: Any
) -> None:
    engine = ResumeRecordingEngine()
    app = await create_app(
        replace(hub_settings, env={"HUB_DEADLINE_CHECK_SECONDS": "3600"}),
        clock=ManualClock(T0),
        engine_factory=lambda hub: engine,
    )
    client = await aiohttp_client(app)
    base = str(client.make_url("")).rstrip("/")
    async with (
        aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as h1,
        aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as h2,
    ):
        op = Browserless(h1, base)
        assert (await op.login("op1"))[0] == 200

        async def people(_: str | None = None) -> Browserless:
            return Browserless(h2, base)

        citizen, sess = await _citizen(people, op)
        conv = sess["conversation_id"]
        _, q = await op.get("/console/api/queue")
        # queued (by this hub's engine or by the console fixture's hub on the same database,
        # whichever worker answered first: the reason's wording is theirs)
        assert conv in [c["id"] for c in q["waiting"]]
        assert (await op.post(f"/console/api/conversations/{conv}/take"))[0] == 200
        assert (await op.post(f"/console/api/conversations/{conv}/note", {"text": "Ghi chú nội bộ XYZ"}))[
            0
        ] == 200
        assert (await op.post(f"/console/api/conversations/{conv}/release"))[0] == 200
        assert [conversation_of(x) for x in engine.resumed] == [conv]
        assert "Ghi chú nội bộ XYZ" not in await _citizen_sees(citizen, sess)
        async with app[HUB].sm() as s:
            c = await s.get(Conversation, conv)
            assert c is not None and c.state == "bot" and c.assignee_id is None
        # handed off again, taken, handed back while the engine is down: still handed back
        engine.fail = True
        async with citizen.http.post(
            citizen.base + "/webchat/api/messages",
            json={"client_id": str(uuid.uuid4()), "text": "Lại hỏi"},
            headers={"Authorization": f"Bearer {sess['session_token']}"},
        ) as r:
            assert r.status == 200

        async def waiting_again() -> bool:
            _, q = await op.get("/console/api/queue")
            return conv in [c["id"] for c in q["waiting"]]

        await wait_for(waiting_again)
        assert (await op.post(f"/console/api/conversations/{conv}/take"))[0] == 200
        assert (await op.post(f"/console/api/conversations/{conv}/release"))[0] == 200
        assert [conversation_of(x) for x in engine.resumed] == [conv, conv]


async def test_refuse_and_unclear_authority_through_the_api(people: Any, console_app: Any) -> None:
    op = await people("op1")
    citizen, sess = await _citizen(people, op)
    conv = sess["conversation_id"]
    assert (await op.post(f"/console/api/conversations/{conv}/take"))[0] == 200
    _, body = await op.post(f"/console/api/conversations/{conv}/tickets", {"content": "Xin số đề"})
    t1 = body["ticket"]["id"]
    status, body = await op.post(
        f"/console/api/tickets/{t1}/refuse", {"reason": "Không thuộc phạm vi tiếp nhận"}
    )
    assert status == 200 and body["ticket"]["status"] == "refused"
    assert (await op.post(f"/console/api/tickets/{t1}/refuse", {"reason": "lần nữa"}))[0] == 409
    _, body = await op.post(f"/console/api/conversations/{conv}/tickets", {"content": "Phản ánh ô nhiễm"})
    t2 = body["ticket"]["id"]
    assert (await op.post(f"/console/api/tickets/{t2}/unclear", {"note": "Không rõ đơn vị"}))[0] == 200
    sv = await people("sv1")
    _, unclear = await sv.get("/console/api/tickets/unclear")
    assert [t["id"] for t in unclear["tickets"]] == [t2]
    assert (await op.get("/console/api/tickets/unclear"))[0] == 403
    police = await agency_id_of(console_app, "cong-an-tinh")
    assert (await op.post(f"/console/api/tickets/{t2}/assign", {"agency_id": police}))[0] == 403
    status, body = await sv.post(
        f"/console/api/tickets/{t2}/assign", {"agency_id": police, "note": "CA xử lý"}
    )
    assert status == 200 and body["ticket"]["agency"] == "Công an tỉnh"
    seen = "\n".join(await _citizen_sees(citizen, sess))
    assert "Lý do: Không thuộc phạm vi tiếp nhận" in seen
    assert "Sở Thông tin và Truyền thông xác định" in seen
    assert "đã được chuyển tới Công an tỉnh" in seen
    _, detail = await sv.get(f"/console/api/tickets/{t2}")
    assert [h["action"] for h in detail["history"]] == ["received", "unclear", "assigned"]
    assert (await op.post(f"/console/api/tickets/{t2}/forward", {"agency_id": "x"}))[0] == 400


async def test_phone_call_with_recording(people: Any, console_app: Any) -> None:
    op = await people("op1")
    form = FormData()
    form.add_field("line", "02371022")
    form.add_field("caller", "Trần Thị Gọi")
    form.add_field("phone", "0987654321")
    form.add_field("content", "Hỏi lịch tiêm chủng")
    form.add_field("answer", "Đã hướng dẫn liên hệ trạm y tế phường")
    wav = b"RIFF\x24\x00\x00\x00WAVEfmt " + bytes(28)
    form.add_field("recording", wav, filename="cuoc-goi.wav", content_type="audio/wav")
    async with op.http.post(
        op.base + "/console/api/calls", data=form, headers={"X-CSRF-Token": op.csrf}
    ) as r:
        body = await r.json()
        assert r.status == 200, body
    t = body["ticket"]
    assert t["kind"] == "call" and t["status"] == "answered" and t["channel"] == "phone:02371022"
    assert t["caller_phone"] == "0987654321" and t["answer"] == "Đã hướng dẫn liên hệ trạm y tế phường"
    _, detail = await op.get(f"/console/api/tickets/{t['id']}")
    (f,) = detail["files"]
    async with op.http.get(op.base + f"/console/api/tickets/{t['id']}/files/{f['id']}") as r:
        assert r.status == 200 and await r.read() == wav
    bad = FormData()
    bad.add_field("phone", "0987654321")
    bad.add_field("content", "x")
    bad.add_field("recording", b"<html>", filename="x.html", content_type="text/html")
    async with op.http.post(op.base + "/console/api/calls", data=bad, headers={"X-CSRF-Token": op.csrf}) as r:
        assert r.status == 400
    status, body = await op.post("/console/api/calls", {"phone": "", "content": "x"})
    assert status == 400 and "điện thoại" in body["error"]
    yte = await people("yte1")
    assert (await yte.get(f"/console/api/tickets/{t['id']}/files/{f['id']}"))[0] == 403


async def test_merge_contacts_history_across_channels(people: Any, console_app: Any) -> None:
    op = await people("op1")
    _, sess = await _citizen(people, op, "Tin nhắn trên web: cho tôi gặp cán bộ")
    conv = sess["conversation_id"]
    hub = console_app[HUB]
    now = hub.clock.now()
    async with hub.sm() as s, s.begin():  # the same person on Zalo (stored as the Zalo ingest would)
        zc = Contact(display_name="Zalo Dân", phone="0911222333", created_at=now, updated_at=now)
        s.add(zc)
        await s.flush()
        zi = ChannelIdentity(contact_id=zc.id, channel="zalo", external_id="zalo-123", created_at=now)
        s.add(zi)
        await s.flush()
        s.add(
            Conversation(
                contact_id=zc.id,
                identity_id=zi.id,
                channel="zalo",
                state="closed",
                last_seq=0,
                created_at=now,
                updated_at=now,
            )
        )
        web_contact = (
            await s.execute(select(Conversation.contact_id).where(Conversation.id == conv))
        ).scalar_one()
    _, found = await op.get("/console/api/contacts?q=0911222")
    assert [c["id"] for c in found["contacts"]] == [zc.id]
    status, body = await op.post(
        "/console/api/contacts/merge", {"source_id": zc.id, "target_id": web_contact}
    )
    assert status == 200, body
    assert body["contact"]["phone"] == "0911222333"
    _, detail = await op.get(f"/console/api/conversations/{conv}")
    assert sorted(i["channel"] for i in detail["identities"]) == ["webchat", "zalo"]
    assert sorted(c["channel"] for c in detail["conversations"]) == ["webchat", "zalo"]
    assert (await op.post("/console/api/contacts/merge", {"source_id": zc.id, "target_id": web_contact}))[
        0
    ] == 409
    sv = await people("sv1")
    _, log = await sv.get("/console/api/audit?object_type=contact")
    assert any(e["action"] == "merge_contacts" and e["username"] == "op1" for e in log["entries"])


async def test_faq_search_for_operators(people: Any, console_app: Any) -> None:
    from bot.faq_store import import_entries_by_agency
    from faq.model import FaqEntry

    hub = console_app[HUB]
    op = await people("op1")
    _, body = await op.get("/console/api/faq?q=tiêm")
    assert body == {"available": False, "results": []}
    entries = [
        FaqEntry(
            id="yt-1",
            question="Lịch tiêm vắc xin cho trẻ em ở đâu?",
            answer="Xem tại trạm y tế xã.",
            domain="y tế",
            agency="Sở Y tế",
        ),
        FaqEntry(
            id="gt-1",
            question="Xe khách liên tỉnh có chạy không?",
            answer="Có, theo lịch của bến xe.",
            domain="giao thông",
            agency="Sở Giao thông vận tải",
        ),
    ]
    await import_entries_by_agency(hub.sm, hub.clock, entries, None, activate=True, created_by="test")
    await hub.faq.refresh()
    _, body = await op.get("/console/api/faq?q=" + "lịch tiêm cho trẻ")
    assert body["available"] is True
    assert body["results"][0]["id"] == "yt-1" and body["results"][0]["answer"] == "Xem tại trạm y tế xã."
    yte = await people("yte1")
    assert (await yte.get("/console/api/faq?q=x"))[0] == 403


async def test_records_export_scoped_by_agency(people: Any, console_app: Any) -> None:
    op = await people("op1")
    _, sess = await _citizen(people, op)
    conv = sess["conversation_id"]
    await op.post(f"/console/api/conversations/{conv}/take")
    _, body = await op.post(
        f"/console/api/conversations/{conv}/tickets",
        {"content": 'Hỏi, có dấu phẩy; và "ngoặc"', "full_name": "Lê Thị Xuất", "phone": "0900000001"},
    )
    tid = body["ticket"]["id"]
    await op.post(
        f"/console/api/tickets/{tid}/forward", {"agency_id": await agency_id_of(console_app, "so-yte")}
    )
    import csv
    import io

    async def export(who: Any, query: str = "") -> tuple[int, list[list[str]]]:
        async with who.http.get(who.base + "/console/api/tickets/export.csv" + query) as r:
            if r.status != 200:
                return r.status, []
            raw = await r.read()
            assert raw.startswith("\ufeff".encode())
            return 200, list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))

    sv, yte, gtvt = await people("sv1"), await people("yte1"), await people("gtvt1")
    status, rows = await export(sv)
    assert status == 200 and rows[0][0] == "Mã phiếu"
    assert rows[1][:3] == ["1022-2027-000001", "Lê Thị Xuất", "0900000001"]
    assert rows[1][5] == 'Hỏi, có dấu phẩy; và "ngoặc"' and rows[1][7] == "Sở Y tế"
    assert len((await export(yte))[1]) == 2
    assert len((await export(gtvt))[1]) == 1  # header only: not their agency
    assert len((await export(sv, "?from=2027-03-03"))[1]) == 1  # created on 2 March
    assert (await export(sv, "?from=03/03/2027"))[0] == 400
    assert (await export(op))[0] == 403


async def test_call_put_through_to_the_agency_has_four_working_hours(people: Any, console_app: Any) -> None:
    from datetime import datetime

    op = await people("op1")
    status, body = await op.post(
        "/console/api/calls", {"phone": "0912000111", "content": "Hỏi về giấy đi đường"}
    )
    assert status == 200 and body["ticket"]["status"] == "new"
    tid = body["ticket"]["id"]
    yte = await agency_id_of(console_app, "so-yte")
    status, body = await op.post(
        f"/console/api/tickets/{tid}/forward", {"agency_id": yte, "call_transferred": True}
    )
    assert status == 200, body
    t = body["ticket"]
    assert t["status"] == "phone_answered"
    # T0 is Tuesday 09:00 in Việt Nam: 4 working hours → 14:30 (lunch 11:30–13:00 excluded)
    assert datetime.fromisoformat(t["due_at"]) == datetime.fromisoformat("2027-03-02T14:30:00+07:00")
    officer = await people("yte1")
    status, body = await officer.post(
        f"/console/api/tickets/{tid}/answer", {"text": "Đã hướng dẫn qua điện thoại"}
    )
    assert status == 200 and body["ticket"]["status"] == "answered"
    _, sess = await _citizen(people, op)
    conv = sess["conversation_id"]
    await op.post(f"/console/api/conversations/{conv}/take")
    _, body = await op.post(f"/console/api/conversations/{conv}/tickets", {"content": "Qua web"})
    status, body = await op.post(
        f"/console/api/tickets/{body['ticket']['id']}/forward", {"agency_id": yte, "call_transferred": True}
    )
    assert status == 400


async def test_agency_asks_the_citizen_for_missing_information(people: Any, console_app: Any) -> None:
    op = await people("op1")
    citizen, sess = await _citizen(people, op)
    conv = sess["conversation_id"]
    await op.post(f"/console/api/conversations/{conv}/take")
    _, body = await op.post(f"/console/api/conversations/{conv}/tickets", {"content": "Xin hỗ trợ"})
    tid = body["ticket"]["id"]
    await op.post(
        f"/console/api/tickets/{tid}/forward", {"agency_id": await agency_id_of(console_app, "so-ldtbxh")}
    )
    officer = await people("gtvt1")
    assert (await officer.post(f"/console/api/tickets/{tid}/more_info", {"text": "x"}))[0] == 403
    status, body = await op.post(f"/console/api/tickets/{tid}/more_info", {"text": "x"})
    assert status == 403
    from storage.models import Conversation as _C  # noqa: F401
    from storage.models_console import Role, User

    hub = console_app[HUB]
    ldtbxh = await agency_id_of(console_app, "so-ldtbxh")
    async with hub.sm() as s, s.begin():  # an officer of Sở LĐTBXH
        gt = (await s.execute(select(User).where(User.username == "gtvt1"))).scalar_one()
        s.add(
            User(
                username="ldtbxh1",
                full_name="",
                password_hash=gt.password_hash,
                role=Role.AGENCY.value,
                agency_id=ldtbxh,
                active=True,
                created_at=hub.clock.now(),
                updated_at=hub.clock.now(),
            )
        )
    ld = await people("ldtbxh1")
    status, body = await ld.post(
        f"/console/api/tickets/{tid}/more_info", {"text": "Số CCCD và địa chỉ thường trú"}
    )
    assert status == 200, body
    assert body["ticket"]["status"] == "forwarded" and body["ticket"]["due_at"]  # the deadline stands
    seen = "\n".join(await _citizen_sees(citizen, sess))
    assert "đề nghị anh/chị bổ sung thông tin: Số CCCD và địa chỉ thường trú" in seen
