# ruff: noqa: F811
"""The citizen gets the copy of their data (issue 18, "View / copy"; "each answer goes back
to the citizen"), through the running hub on SQLite and PostgreSQL.

In the web chat: a copy request answered by the supervisor reaches the citizen with a link;
the link's page lists the three files; the .xlsx, the PDF and the JSON hold what the citizen
wrote; each download is in the contact's access log; the stored answer and the console's
view of the conversation never show the token; the link dies after its downloads and after
its days. On the public form, without e-mail: the status lookup, after its proof, gives a
fresh link; the contact's anonymisation kills it."""

from __future__ import annotations

import io
import json
import re
from dataclasses import replace
from typing import Any

import pytest
from aiohttp import web
from openpyxl import load_workbook
from sqlalchemy import select

from bot.app import create_app
from bot.config import Settings
from bot.console import live
from bot.hub import HUB
from privacy.anonymise import anonymise_contact
from storage.clock import ManualClock
from storage.models_privacy import DataCopyLink, DataRequest
from tests.console.conftest import (  # noqa: F401  (fixtures)
    console_client,
    console_clock,
    new_ticket,
    people,
)
from tests.privacy.test_requests_flow import ASK, Citizen, _form, _request_of

DOWNLOADS = 4
LINK = re.compile(r"https?://[^\s]+(/yeu-cau-du-lieu/ban-sao/[A-Za-z0-9_-]{43})")


@pytest.fixture
async def console_app(hub_settings: Settings, console_clock: ManualClock) -> web.Application:
    env = {"HUB_DEADLINE_CHECK_SECONDS": "3600", "HUB_DATA_COPY_LINK_DOWNLOADS": str(DOWNLOADS)}
    return await create_app(replace(hub_settings, env=env), clock=console_clock)


async def _get(visitor: Any, path: str) -> tuple[int, bytes, Any]:
    async with visitor.http.get(visitor.base + path) as r:
        return r.status, await r.read(), r.headers


def _xlsx_text(data: bytes) -> str:
    book = load_workbook(io.BytesIO(data), read_only=True)
    return "\n".join(
        str(v) for ws in book.worksheets for row in ws.iter_rows(values_only=True) for v in row if v
    )


async def test_the_chat_answer_carries_a_link_to_the_copy(
    console_app: web.Application, console_client: Any, people: Any, console_clock: ManualClock
) -> None:
    citizen = await Citizen(console_client).start()
    await citizen.say("Tôi là Lương Văn Tâm, xóm 3 xã Quảng Tâm")
    await citizen.say(ASK["copy"])
    req = await _request_of(console_app, citizen.conversation_id)
    sv = await people("sv1")
    status, body = await sv.post(f"/console/api/data-requests/{req.id}/answer", {})
    assert status == 200 and body["status"] == "answered", body
    text = await citizen.next_text("tải tại")
    match = LINK.search(text)
    assert match is not None and "Lương Văn Tâm" not in text.split("tải tại")[1], text
    path = match.group(1)
    token = path.rsplit("/", 1)[1]
    async with console_app[HUB].sm() as s:
        stored = await s.get(DataRequest, req.id)
        assert stored is not None and stored.answer and token not in stored.answer
        link = (await s.execute(select(DataCopyLink))).scalar_one()
        assert token not in link.token_hash and link.contact_id == req.contact_id

    # staff never see the token: not the operator's history, not the supervisor's
    for who in (await people("op1"), sv):
        status, conv = await who.get(f"/console/api/conversations/{citizen.conversation_id}")
        assert status == 200 and token not in str(conv)
        assert any("ẩn với cán bộ" in (m["text"] or "") for m in conv["messages"])

    visitor = await people()
    status, page, headers = await _get(visitor, path)
    assert status == 200 and headers["Cache-Control"] == "no-store" and "noindex" in headers["X-Robots-Tag"]
    assert page.decode().count("ban-sao-du-lieu.") == 3
    status, xlsx, headers = await _get(visitor, f"{path}/ban-sao-du-lieu.xlsx")
    assert status == 200 and "attachment" in headers["Content-Disposition"]
    assert "Lương Văn Tâm, xóm 3 xã Quảng Tâm" in _xlsx_text(xlsx)
    status, pdf, _ = await _get(visitor, f"{path}/ban-sao-du-lieu.pdf")
    assert status == 200 and pdf.startswith(b"%PDF")
    status, raw, _ = await _get(visitor, f"{path}/ban-sao-du-lieu.json")
    data = json.loads(raw)
    assert status == 200 and "Lương Văn Tâm" in json.dumps(data, ensure_ascii=False)
    assert {i["channel"] for i in data["identities"]} == {"webchat"}

    status, log = await sv.get(f"/console/api/contacts/{req.contact_id}/access-log")
    downloads = [r for r in log["access_log"] if r["action"] == "copy_download"]
    assert status == 200 and len(downloads) == 3 and all(r["username"] is None for r in downloads), downloads

    status, _, _ = await _get(visitor, f"{path}/ban-sao-du-lieu.json")  # the 4th and last
    assert status == 200
    status, page, _ = await _get(visitor, f"{path}/ban-sao-du-lieu.json")
    assert status == 410 and "hết số lần" in page.decode()
    status, page, _ = await _get(visitor, path[:-1] + ("A" if path[-1] != "A" else "B"))
    assert status == 404 and "không đúng" in page.decode()


async def test_the_form_lookup_gives_a_fresh_link_until_the_contact_is_anonymised(
    console_app: web.Application, console_client: Any, people: Any, console_clock: ManualClock
) -> None:
    op = await people("op1")
    _, code = await new_ticket(people, op, "Phản ánh tiếng ồn", full_name="Đỗ Văn Hải", phone="0987 654 321")
    visitor = await people()
    status, page = await _form(visitor, method="ticket", kind="copy", code=code, phone="4321")
    assert status == 200, page
    hub = console_app[HUB]
    async with hub.sm() as s:
        req = (await s.execute(select(DataRequest))).scalar_one()
    sv = await people("sv1")
    status, body = await sv.post(f"/console/api/data-requests/{req.id}/answer", {})
    assert status == 200 and body["sent_message_id"] is None  # no e-mail on record: the lookup shows it
    status, page = await _form(visitor, method="status", reference=req.reference, code=code, phone="4321")
    links = re.findall(r'href="(/yeu-cau-du-lieu/ban-sao/[A-Za-z0-9_-]{43})"', page)
    assert status == 200 and len(links) == 1, page
    status, raw, _ = await _get(visitor, f"{links[0]}/ban-sao-du-lieu.json")
    assert status == 200 and json.loads(raw)["contact"]["full_name"] == "Đỗ Văn Hải"

    console_clock.advance(days=14, seconds=1)
    status, page_bytes, _ = await _get(visitor, links[0])
    assert status == 410 and "hết hạn" in page_bytes.decode()
    status, page = await _form(visitor, method="status", reference=req.reference, code=code, phone="4321")
    fresh = re.findall(r'href="(/yeu-cau-du-lieu/ban-sao/[A-Za-z0-9_-]{43})"', page)
    assert status == 200 and fresh and fresh != links
    assert (await _get(visitor, fresh[0]))[0] == 200
    async with hub.sm() as s, s.begin():
        await anonymise_contact(
            s, req.contact_id, hub.clock.now(), media_dir=hub.settings.media_dir, reason="test"
        )
    status, page_bytes, _ = await _get(visitor, fresh[0])
    assert status == 404 and "Đỗ Văn Hải" not in page_bytes.decode()


def test_live_events_to_the_console_hide_the_token() -> None:
    token = "A" * 42 + "z"
    text = f"Bản sao tải tại: https://1022.example/yeu-cau-du-lieu/ban-sao/{token}\nHiệu lực 14 ngày"
    event = {"type": "message", "conversation_id": 7, "message": {"act": "data_copy_link", "text": text}}
    shown = live._for_staff(event)
    assert token not in str(shown) and "/yeu-cau-du-lieu/ban-sao/…(ẩn với cán bộ)" in shown["message"]["text"]
    assert event["message"]["text"] == text  # the citizen's own view (same event) is untouched
    other = {"type": "message", "conversation_id": 7, "message": {"text": text}}
    assert live._for_staff(other) == other  # a citizen who pasted such a link: not a copy answer
