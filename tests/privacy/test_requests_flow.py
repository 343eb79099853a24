# ruff: noqa: F811
"""Citizens' data requests through the running hub (SQLite and PostgreSQL, real workers, the
web chat's public API, the public form, the console's API), the clock on Thursday 28
January 2027 before Tết: each kind asked in the chat is recorded and acknowledged with its
deadline in working days; the supervisor's answer reaches the citizen in the chat; a view
sends what is held; a correction is audited; restriction silences the bot and drops the
contact from a campaign audience; the public form refuses and counts a wrong phone, records
a deletion that a kept ticket refuses with its legal basis; a deletion with nothing kept is
answered in the chat, then anonymised."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from aiohttp import web
from sqlalchemy import select

from bot.hub import HUB
from campaigns.audience import RESTRICTED, members
from handoff.lookup import SCOPE_CODE, failures_count
from storage.clock import ManualClock
from storage.models import Contact, Conversation, Message, OutboxItem
from storage.models_console import AuditLog
from storage.models_privacy import DataRequest
from tests.conftest import wait_for
from tests.console.conftest import (  # noqa: F401  (fixtures)
    console_app,
    console_client,
    new_ticket,
    people,
)

BEFORE_TET = datetime(2027, 1, 28, 3, 0, tzinfo=UTC)  # Thu 28/01/2027 10:00 in Việt Nam
DUE = {
    "view": "18/02/2027",
    "copy": "18/02/2027",
    "correct": "18/02/2027",
    "withdraw_consent": "25/02/2027",
    "restrict": "25/02/2027",
    "object": "25/02/2027",
    "delete": "04/03/2027",
}
ASK = {
    "view": "Tôi muốn xem dữ liệu cá nhân của tôi",
    "copy": "cho minh xin ban sao du lieu ca nhan",
    "correct": "Sửa thông tin cá nhân giúp tôi ạ",
    "withdraw_consent": "tôi rút lại sự đồng ý",
    "restrict": "hạn chế xử lý dữ liệu cá nhân",
    "object": "tôi phản đối việc xử lý dữ liệu cá nhân",
    "delete": "Xoá toàn bộ dữ liệu cá nhân của tôi",
}


@pytest.fixture
def console_clock() -> ManualClock:
    return ManualClock(BEFORE_TET)


class Citizen:
    """One web chat session through the public API."""

    def __init__(self, client: Any) -> None:
        self.client, self.token, self.conversation_id, self.seq = client, "", 0, 0

    async def start(self) -> Citizen:
        body = await (await self.client.post("/webchat/api/session", json={})).json()
        self.token, self.conversation_id = body["session_token"], body["conversation_id"]
        return self

    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    async def send(self, text: str) -> int:
        r = await self.client.post(
            "/webchat/api/messages", headers=self._auth(), json={"client_id": str(uuid.uuid4()), "text": text}
        )
        assert r.status == 200
        self.seq = int((await r.json())["seq"])
        return self.seq

    async def outbound(self, after: int) -> list[str]:
        got = await self.client.get(f"/webchat/api/messages?after={after}", headers=self._auth())
        return [m["text"] for m in (await got.json())["messages"] if m["direction"] == "out"]

    async def say(self, text: str) -> str:
        seq = await self.send(text)

        async def reply() -> str | None:
            out = await self.outbound(seq)
            return out[-1] if out else None

        found: str = await wait_for(reply, timeout=30)
        return found

    async def next_text(self, containing: str) -> str:
        async def found() -> str | None:
            return next((t for t in await self.outbound(0) if containing in t), None)

        text: str = await wait_for(found, timeout=30)
        return text


async def _request_of(app: web.Application, conversation_id: int) -> DataRequest:
    async with app[HUB].sm() as s:
        q = select(DataRequest).where(DataRequest.conversation_id == conversation_id)
        return (await s.execute(q)).scalar_one()


async def test_each_kind_in_the_chat_is_recorded_with_its_deadline(
    console_app: web.Application, console_client: Any, people: Any
) -> None:
    for kind, text in ASK.items():
        citizen = await Citizen(console_client).start()
        reply = await citizen.say(text)
        req = await _request_of(console_app, citizen.conversation_id)
        assert req.kind == kind and req.status == "acknowledged" and req.verification == "channel"
        assert req.reference in reply and f"chậm nhất ngày {DUE[kind]}" in reply, reply
        assert req.channel == "webchat"
        assert await citizen.say(text) == reply  # asked again: the same request, not a second one
    sv = await people("sv1")
    status, body = await sv.get("/console/api/data-requests")
    assert status == 200 and len(body["items"]) == len(ASK) and body["late"] == 0
    op = await people("op1")
    assert (await op.get("/console/api/data-requests"))[0] == 403


async def test_view_answered_in_the_chat_and_lateness(
    console_app: web.Application, console_client: Any, people: Any, console_clock: ManualClock
) -> None:
    citizen = await Citizen(console_client).start()
    await citizen.say(ASK["view"])
    req = await _request_of(console_app, citizen.conversation_id)
    sv = await people("sv1")
    console_clock.set(datetime(2027, 2, 19, 3, 0, tzinfo=UTC))  # past 18/02
    assert (await sv.login("sv1"))[0] == 200  # the console session expired meanwhile
    status, body = await sv.get("/console/api/data-requests?open=1")
    assert status == 200 and body["late"] == 1 and body["items"][0]["late"]
    status, body = await sv.post(f"/console/api/data-requests/{req.id}/answer", {"text": "Kính gửi anh/chị"})
    assert status == 200, body
    assert body["status"] == "answered" and body["sent_message_id"] and body["export"]["conversations"]
    text = await citizen.next_text("Dữ liệu tổng đài đang lưu")
    assert "Kính gửi anh/chị" in text and "Cuộc hội thoại: 1" in text
    async with console_app[HUB].sm() as s:
        actions = set((await s.execute(select(AuditLog.action))).scalars())
    assert {"data_request_answer", "contact_export"} <= actions
    status, body = await sv.post(f"/console/api/data-requests/{req.id}/answer", {"text": "lần nữa"})
    assert status == 409 and "đã được trả lời" in body["error"]


async def test_correct_is_applied_with_an_audit_entry(
    console_app: web.Application, console_client: Any, people: Any
) -> None:
    citizen = await Citizen(console_client).start()
    await citizen.say(ASK["correct"])
    req = await _request_of(console_app, citizen.conversation_id)
    sv = await people("sv1")
    status, body = await sv.post(
        f"/console/api/data-requests/{req.id}/answer", {"changes": {"phone": "không có số"}}
    )
    assert status == 400 and "Số điện thoại không hợp lệ" in body["error"]
    status, body = await sv.post(
        f"/console/api/data-requests/{req.id}/answer", {"changes": {"full_name": "Phạm Thị Thu"}}
    )
    assert status == 200 and body["changed"] == ["full_name"], body
    await citizen.next_text("đã được chỉnh sửa")
    async with console_app[HUB].sm() as s:
        contact = await s.get(Contact, req.contact_id)
        assert contact is not None and contact.full_name == "Phạm Thị Thu"
        row = (await s.execute(select(AuditLog).where(AuditLog.action == "data_request_answer"))).scalar_one()
        assert row.detail is not None and row.detail["fields"] == ["full_name"]


async def test_restriction_stops_the_bot_and_campaigns(
    console_app: web.Application, console_client: Any, people: Any
) -> None:
    hub = console_app[HUB]
    citizen = await Citizen(console_client).start()
    other = await Citizen(console_client).start()
    await citizen.say(ASK["restrict"])
    assert await other.say("xin chào")  # the other citizen is answered by the bot
    req = await _request_of(console_app, citizen.conversation_id)
    sv = await people("sv1")
    status, body = await sv.post(f"/console/api/data-requests/{req.id}/answer", {})
    assert status == 200, body
    await citizen.next_text("đã hạn chế xử lý")
    seq = await citizen.send("xin chào")

    async def waiting() -> bool:
        async with hub.sm() as s:
            conv = await s.get(Conversation, citizen.conversation_id)
            msg = (
                await s.execute(select(Message).where(Message.conversation_id == conv.id, Message.seq == seq))
            ).scalar_one()
            return bool(msg.processed) and conv.state == "waiting_human"

    await wait_for(waiting, timeout=30)
    assert await citizen.outbound(seq) == []  # the bot did not answer: an operator will
    async with hub.sm() as s:
        found = await members(s, "webchat", {"kind": "interaction", "days": 30}, hub.clock.now(), ())
    skip = {m.skip for m in found}
    assert RESTRICTED in skip and len(found) == 2 and None in skip
    status, _ = await sv.post(f"/console/api/data-requests/restrictions/{req.contact_id}/lift", {})
    assert status == 200
    async with hub.sm() as s:
        found = await members(s, "webchat", {"kind": "interaction", "days": 30}, hub.clock.now(), ())
    assert RESTRICTED not in {m.skip for m in found}


async def _form(visitor: Any, **data: str) -> tuple[int, str]:
    async with visitor.http.post(visitor.base + "/yeu-cau-du-lieu/", data=data) as r:
        return r.status, await r.text()


async def test_public_form_delete_refused_where_the_ticket_is_kept(
    console_app: web.Application, console_client: Any, people: Any
) -> None:
    op = await people("op1")
    _, code = await new_ticket(people, op, "Phản ánh tiếng ồn", full_name="Đỗ Văn Hải", phone="0987 654 321")
    visitor = await people()
    async with visitor.http.get(visitor.base + "/yeu-cau-du-lieu/") as r:
        page = await r.text()
        assert r.status == 200 and "SMS" in page and r.headers["X-Frame-Options"] == "DENY"
    status, page = await _form(visitor, method="ticket", kind="delete", code=code, phone="1111")
    assert status == 403 and "không đúng" in page
    async with console_app[HUB].sm() as s:
        assert await failures_count(s, SCOPE_CODE, code) == 1
        assert (await s.execute(select(DataRequest))).first() is None
    status, page = await _form(visitor, method="ticket", kind="delete", code=code, phone="4321")
    assert status == 200 and "04/03/2027" in page and "YCDL-2027-" in page, page
    async with console_app[HUB].sm() as s:
        req = (await s.execute(select(DataRequest))).scalar_one()
    assert req.channel == "web_form" and req.verification == "ticket_phone" and req.kind == "delete"
    sv = await people("sv1")
    status, body = await sv.post(f"/console/api/data-requests/{req.id}/answer", {})
    assert status == 200 and body["status"] == "refused", body
    assert code in body["refusal_basis"] and "đang được giải quyết" in body["refusal_basis"]
    assert "hạn chế xử lý" in body["answer"] and body["kept"]
    async with console_app[HUB].sm() as s:
        contact = await s.get(Contact, req.contact_id)
        assert contact is not None and contact.full_name == "Đỗ Văn Hải"  # nothing deleted
    # no e-mail on record: the answer is shown on the form's status lookup, for the same proof
    status, page = await _form(visitor, method="status", reference=req.reference, code=code, phone="1112")
    assert status == 403 and "đang được giải quyết" not in page
    status, page = await _form(visitor, method="status", reference=req.reference, code=code, phone="4321")
    assert status == 200 and "Từ chối" in page and "đang được giải quyết" in page, page
    status, page = await _form(
        visitor, method="status", reference="YCDL-2027-999999", code=code, phone="4321"
    )
    assert status == 404


async def test_delete_answered_in_the_chat_then_anonymised(
    console_app: web.Application, console_client: Any, people: Any
) -> None:
    hub = console_app[HUB]
    citizen = await Citizen(console_client).start()
    await citizen.say("Tôi tên Lương Thị Hoa, số nhà 7 phố Hàng Bạc")
    await citizen.say(ASK["delete"])
    req = await _request_of(console_app, citizen.conversation_id)
    sv = await people("sv1")
    status, body = await sv.post(f"/console/api/data-requests/{req.id}/answer", {})
    assert status == 200 and body["status"] == "answered" and body["anonymise_next"], body
    await citizen.next_text("đồng ý xoá")

    async def sent() -> bool:
        async with hub.sm() as s:
            q = select(OutboxItem.done).where(OutboxItem.message_id == body["sent_message_id"])
            return bool((await s.execute(q)).scalar_one())

    await wait_for(sent, timeout=30)
    status, body = await sv.post(f"/console/api/data-requests/{req.id}/anonymise", {})
    assert status == 200 and body["counts"]["conversations"] == 1, body
    async with hub.sm() as s:
        texts = [m.text or "" for m in (await s.execute(select(Message))).scalars()]
    assert not any("Lương Thị Hoa" in t or "Hàng Bạc" in t for t in texts)
    status, body = await sv.post(f"/console/api/data-requests/{req.id}/anonymise", {})
    assert status == 409
