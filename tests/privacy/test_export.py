# ruff: noqa: F811
"""The copy export of a contact and its access log (issue 18, "View / copy" and "Access log"),
through the running hub on SQLite and PostgreSQL.

One citizen wrote on Zalo (with a photo), Facebook, e-mail and the web chat; an operator
merged the four contacts into one, corrected the name, opened a ticket on the web chat and
the citizen opted out of Zalo announcements. The supervisor's export (JSON, .xlsx, PDF)
holds every channel's message; the access log names who looked at the ticket and the
conversations, when and from where, and the export itself, but not another citizen's views.
An operator is refused both."""

from __future__ import annotations

import io
import re
import zlib
from datetime import timedelta
from typing import Any

import pytest
from aiohttp import web
from openpyxl import load_workbook
from sqlalchemy import select

from bot.auth import api_tokens
from bot.console.core import CONSOLE
from bot.hub import HUB
from campaigns.opt_out import opt_out
from connectors.base import Attachment, ContactProfile, EventKind, InboundMessage
from privacy import requests
from privacy.export import contact_export
from storage.clock import ManualClock
from storage.models import Conversation, Message
from storage.record.ingest import ingest_one
from tests.conftest import wait_for

# the console fixtures, imported: their names are then the test functions' parameters
from tests.console.conftest import (  # noqa: F401  (fixtures)
    citizen_waiting,
    console_app,
    console_client,
    console_clock,
    people,
)

FULL_NAME = "Nguyễn Thị Hồng Nhung"
TEXTS = {
    "zalo": "Đường Lê Lợi bị ngập sâu, xin hỏi khi nào khắc phục",
    "facebook": "Tôi muốn hỏi thủ tục cấp lại căn cước",
    "email": "Kính gửi tổng đài: phản ánh tiếng ồn công trình ban đêm",
}
EXTERNAL = {"zalo": "zalo-user-771", "facebook": "psid-88123", "email": "nhung.nguyen@example.vn"}
PHOTO = Attachment(
    kind="image", url="http://127.0.0.1:9/anh.jpg", name="anh-ngap.jpg", size=48213, mime_type="image/jpeg"
)


async def _ingest(app: web.Application, channel: str, external: str, text: str, n: int, **kw: Any) -> int:
    """A citizen's message stored as the channel's webhook or poller stores it: its conversation."""
    hub = app[HUB]
    event = InboundMessage(
        channel=channel,
        kind=EventKind.MESSAGE,
        external_user_id=external,
        channel_message_id=f"{channel}-{external}-{n}",
        text=text,
        sent_at=hub.clock.now(),
        **kw,
    )
    result = await ingest_one(hub.sm, event, hub.clock)
    assert result.conversation_id is not None
    return int(result.conversation_id)


async def _contact_of(app: web.Application, conv_id: int) -> int:
    async with app[HUB].sm() as s:
        conv = await s.get(Conversation, conv_id)
        assert conv is not None
        return conv.contact_id


async def _answered(app: web.Application, conv_ids: list[int]) -> bool:
    """The pipeline has answered every citizen message of these conversations."""
    async with app[HUB].sm() as s:
        waiting = await s.execute(
            select(Message.id).where(Message.conversation_id.in_(conv_ids), Message.processed.is_(False))
        )
        return waiting.first() is None


def _pdf_text(pdf: bytes) -> str:
    """The PDF's shown text, decoded through its ToUnicode map (as a reader's copy does)."""
    streams = [zlib.decompress(m.group(1)) for m in re.finditer(rb"stream\n(.*?)\nendstream", pdf, re.S)]
    cmap = next(s for s in streams if b"beginbfchar" in s)
    glyphs = {int(g, 16): chr(int(u, 16)) for g, u in re.findall(rb"<([0-9A-F]{4})> <([0-9A-F]{4})>", cmap)}
    shown = [m for s in streams if b" Tj" in s for m in re.findall(rb"<([0-9A-F]+)> Tj", s)]
    return "\n".join(
        "".join(glyphs.get(int(h[i : i + 4], 16), "?") for i in range(0, len(h), 4)) for h in shown
    )


async def _citizen(people: Any, app: web.Application) -> dict[str, Any]:
    """The citizen on four channels, merged into the web chat's contact, with a ticket and an
    opt-out: {"contact": id, "convs": {channel: id}, "ticket": id, "code": str}."""
    op = await people("op1")
    web_conv = await citizen_waiting(people, op)  # "Cho tôi gặp cán bộ" on the web chat
    convs = {"webchat": web_conv}
    profile = ContactProfile(display_name="Hồng Nhung")
    convs["zalo"] = await _ingest(
        app, "zalo", EXTERNAL["zalo"], TEXTS["zalo"], 1, attachments=(PHOTO,), profile=profile
    )
    convs["facebook"] = await _ingest(app, "facebook", EXTERNAL["facebook"], TEXTS["facebook"], 1)
    convs["email"] = await _ingest(
        app, "email", EXTERNAL["email"], TEXTS["email"], 1, subject="Phản ánh tiếng ồn"
    )
    await wait_for(lambda: _answered(app, list(convs.values())))  # the operator merges later
    target = await _contact_of(app, web_conv)
    for channel in ("zalo", "facebook", "email"):
        source = await _contact_of(app, convs[channel])
        status, body = await op.post(
            "/console/api/contacts/merge", {"source_id": source, "target_id": target}
        )
        assert status == 200, body
    status, body = await op.post(f"/console/api/contacts/{target}", {"full_name": FULL_NAME})
    assert status == 200, body
    status, body = await op.post(
        f"/console/api/conversations/{web_conv}/tickets", {"content": "Cần gặp cán bộ về ngập úng"}
    )
    assert status == 200, body
    async with app[HUB].sm() as s, s.begin():
        zalo_conv = await s.get(Conversation, convs["zalo"])
        assert zalo_conv is not None
        assert await opt_out(s, zalo_conv.identity_id, app[HUB].clock.now())
    return {
        "contact": target,
        "convs": convs,
        "ticket": int(body["ticket"]["id"]),
        "code": body["ticket"]["code"],
    }


async def test_export_holds_every_channel_and_the_access_log_names_who_looked(
    people: Any, console_app: web.Application, console_clock: ManualClock
) -> None:
    app = console_app
    c = await _citizen(people, app)
    contact, convs = c["contact"], c["convs"]
    other_conv = await _ingest(app, "zalo", "zalo-someone-else", "Hỏi giờ làm việc của phường", 1)
    other = await _contact_of(app, other_conv)

    console_clock.advance(minutes=5)
    look_at = console_clock.now()
    op = await people("op1")
    assert (await op.get(f"/console/api/tickets/{c['ticket']}"))[0] == 200
    assert (await op.get(f"/console/api/conversations/{convs['facebook']}"))[0] == 200
    status, found = await op.get("/console/api/contacts?q=Hồng Nhung")
    assert status == 200 and [x["id"] for x in found["contacts"]] == [contact]
    status, body = await op.post(f"/console/api/contacts/{contact}", {"full_name": FULL_NAME})
    assert status == 200 and body["changed"] == []  # no change, but the answer shows the contact
    async with app[HUB].sm() as s, s.begin():  # another app reads the ticket through /api/v1
        token, secret = await api_tokens.create_token(
            s, name="Cổng phản ánh", scopes=["tickets:read"], now=look_at
        )
    app_reader = await people()
    for code in (c["code"], c["code"] + "9"):
        async with app_reader.http.get(
            app_reader.base + f"/api/v1/tickets/{code}", headers={"Authorization": f"Bearer {secret}"}
        ) as r:
            assert r.status == (200 if code == c["code"] else 404)
    async with app[HUB].sm() as s, s.begin():  # the citizen asked for a copy; the supervisor opens it
        req = await requests.create(
            s,
            contact_id=contact,
            kind="copy",
            channel="zalo",
            now=look_at,
            calendar=app[CONSOLE].calendar,
            deadlines=requests.Deadlines(),
            verification="channel",
            text="Cho tôi xin bản sao dữ liệu",
        )
        req_id, reference = req.id, req.reference
    sv = await people("sv1")
    assert (await sv.get(f"/console/api/data-requests/{req_id}"))[0] == 200
    op2 = await people("op2")  # another citizen's data: not in this contact's log
    assert (await op2.get(f"/console/api/conversations/{other_conv}"))[0] == 200
    assert (await op2.get("/console/api/contacts?q=someone"))[0] == 200

    console_clock.advance(minutes=5)
    status, data = await sv.get(f"/console/api/contacts/{contact}/export.json")
    assert status == 200, data
    assert data["contact"]["full_name"] == FULL_NAME
    assert {i["channel"] for i in data["identities"]} == {"webchat", "zalo", "facebook", "email"}
    assert len(data["merged_contacts"]) == 3
    shown = {(m["channel"], m["text"]) for conv in data["conversations"] for m in conv["messages"]}
    for channel, text in TEXTS.items():
        assert (channel, text) in shown, channel
    assert ("webchat", "Cho tôi gặp cán bộ") in shown
    (mail,) = [m for conv in data["conversations"] for m in conv["messages"] if m["text"] == TEXTS["email"]]
    assert (
        mail["subject"] == "Phản ánh tiếng ồn"
        and mail["direction"] == "in"
        and mail["sender_role"] == "citizen"
    )
    assert {i["external_id"] for i in data["identities"]} >= set(EXTERNAL.values())
    (photo,) = data["attachments"]
    assert (photo["name"], photo["mime_type"], photo["size"], photo["channel"]) == (
        "anh-ngap.jpg",
        "image/jpeg",
        48213,
        "zalo",
    )
    (ticket,) = data["tickets"]
    assert ticket["code"] == c["code"] and ticket["events"][0]["action"] == "received"
    assert ticket["content"] == "Cần gặp cán bộ về ngập úng"
    assert len(data["announcements"]["opt_outs"]) == 1
    (asked,) = data["data_requests"]
    assert (asked["table"], asked["reference"], asked["kind"]) == ("data_requests", reference, "copy")
    assert "someone" not in str(data) and "Hỏi giờ làm việc" not in str(data)

    log = data["access_log"]
    assert log[0]["action"] == "contact_export" and log[0]["username"] == "sv1"
    assert log[0]["at"] == console_clock.now().isoformat() and log[0]["ip"] == "127.0.0.1"
    seen = {(r["username"], r["action"], r["object_type"], r["object_id"]) for r in log}
    assert ("op1", "view_ticket", "ticket", str(c["ticket"])) in seen
    assert ("op1", "view_conversation", "conversation", str(convs["facebook"])) in seen
    assert ("op1", "search_contacts", "contact", None) in seen
    assert ("op1", "merge_contacts", "contact", str(contact)) in seen
    assert ("op1", "view_contact", "contact", str(contact)) in seen
    (api,) = [r for r in log if r["action"] == "api_request"]
    assert (api["object_id"], api["detail"]["path"], api["at"]) == (
        str(token.id),
        f"/api/v1/tickets/{c['code']}",
        look_at.isoformat(),
    )
    assert ("sv1", "data_request_view", "data_request", str(req_id)) in seen
    search = next(r for r in log if r["action"] == "search_contacts")
    assert search["detail"] is None  # the words typed and the other contacts shown stay in the audit log
    view = next(r for r in log if r["action"] == "view_ticket")
    assert (view["role"], view["at"], view["ip"]) == ("operator", look_at.isoformat(), "127.0.0.1")
    assert not any(r["username"] == "op2" for r in log)
    assert str(other_conv) not in {r["object_id"] for r in log if r["object_type"] == "conversation"}

    # the .xlsx opens and holds the same texts; the PDF shows the name with its diacritics
    async with sv.http.get(sv.base + f"/console/api/contacts/{contact}/export.xlsx") as r:
        assert r.status == 200 and f"du-lieu-lien-he-{contact}.xlsx" in r.headers["Content-Disposition"]
        wb = load_workbook(io.BytesIO(await r.read()))
    cells = {str(v) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for v in row if v}
    assert {*TEXTS.values(), FULL_NAME, "anh-ngap.jpg", c["code"], reference, "Phản ánh tiếng ồn"} <= cells
    assert "Tin nhắn" in wb.sheetnames and "Nhật ký truy cập" in wb.sheetnames
    assert "Ứng dụng: Cổng phản ánh" in cells and "Cán bộ trực tổng đài" in cells
    async with sv.http.get(sv.base + f"/console/api/contacts/{contact}/export.pdf") as r:
        assert r.status == 200 and r.content_type == "application/pdf"
        pdf = await r.read()
    assert pdf.startswith(b"%PDF-1.4") and pdf.rstrip().endswith(b"%%EOF")
    text = _pdf_text(pdf)
    assert FULL_NAME in text and TEXTS["email"] in text.replace("\n", " ")

    # every export is in the access log, and the log answers over HTTP too
    status, body = await sv.get(f"/console/api/contacts/{contact}/access-log")
    assert status == 200
    formats = [r["detail"]["format"] for r in body["access_log"] if r["action"] == "contact_export"]
    assert formats == ["pdf", "xlsx", "json"]
    status, body = await sv.get(f"/console/api/contacts/{other}/access-log")
    assert {r["username"] for r in body["access_log"]} == {"op2", "sv1"}

    for path in ("export.json", "export.xlsx", "export.pdf", "access-log"):
        status, body = await op.get(f"/console/api/contacts/{contact}/{path}")
        assert status == 403 and body["error"] == "Vai trò của bạn không được truy cập chức năng này"
    assert (await (await people("yte1")).get(f"/console/api/contacts/{contact}/export.json"))[0] == 403
    assert (await sv.get("/console/api/contacts/999999/export.json"))[0] == 404
    assert (await sv.get(f"/console/api/contacts/{contact}/access-log?limit=abc"))[0] == 400


async def test_a_merged_contact_is_exported_as_the_one_it_was_merged_into(
    people: Any, console_app: web.Application, console_clock: ManualClock
) -> None:
    app = console_app
    c = await _citizen(people, app)
    zalo_contact = await _contact_of(app, c["convs"]["zalo"])  # moved: the conversation names the survivor
    assert zalo_contact == c["contact"]
    async with app[HUB].sm() as s:
        data = await contact_export(s, c["contact"], console_clock.now())
        source = data["merged_contacts"][0]["id"]
        again = await contact_export(s, source, console_clock.now() + timedelta(minutes=1))
    assert again["contact_id"] == c["contact"] and again["requested_contact_id"] == source
    assert {m["text"] for conv in again["conversations"] for m in conv["messages"]} >= set(TEXTS.values())


@pytest.mark.parametrize("bad", ['=HYPERLINK("http://x")', "+1", "\x07chuông"])
def test_xlsx_cells_are_text(bad: str) -> None:
    from privacy.export_files import safe_cell

    cell = safe_cell(bad)
    assert not cell.startswith(("=", "+")) and "\x07" not in cell
