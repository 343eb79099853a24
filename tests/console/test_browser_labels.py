"""Vietnamese everywhere, in real headless Chromium: with tickets, history, queue and audit
rows present, the admin's and the supervisor's pages (queue, conversation, ticket list,
ticket page, audit log, report, users) show no raw English status, action, channel, role or
conversation state value: the rendered text (document.body.innerText) is scanned for each."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest

from connectors.registry import BUILTIN
from handoff import labels
from storage.models import ConversationState
from storage.models_console import Role, TicketStatus
from tests.browser import browser
from tests.conftest import wait_for, webchat_session
from tests.console.conftest import PASSWORD, agency_id_of
from tests.console.test_labels import AUDIT_CALLS, EVENT_CALLS, _literals

pytestmark = pytest.mark.browser

WAIT = 15000


def _raw_values() -> set[str]:
    """The values to look for, found apart from the table (so a value missing from the table
    is still looked for): the enums, the channels, the actions in the code; and the table's
    own keys. The scan is case-sensitive: the label "Zalo" is not the value "zalo"."""
    from bot.console.tickets_api import ACTIONS

    found = {s.value for s in TicketStatus} | {r.value for r in Role} | {c.value for c in ConversationState}
    found |= {*BUILTIN, "phone", *ACTIONS}
    found |= _literals(("bot",), AUDIT_CALLS, {"record"}) | _literals(
        ("handoff",), EVENT_CALLS, {"TicketEvent"}
    )
    found |= {k for table in labels.TABLES.values() for k in table}
    return found


RAW = sorted(_raw_values())
PATTERN = re.compile("|".join(rf"(?<![\w.]){re.escape(v)}(?![\w])" for v in RAW))


def english_in(text: str) -> list[str]:
    return sorted({m.group(0) for m in PATTERN.finditer(text)})


def test_the_scan_finds_raw_values() -> None:
    assert english_in("1022-2027-000001 · new · admin1 · webchat: 2 · view_ticket · ticket 1") == [
        "new",
        "ticket",
        "view_ticket",
        "webchat",
    ]
    assert english_in("Phiếu mới tiếp nhận · admin1 · Trò chuyện trên Web · hội thoại #3") == []


async def _citizen(people: Any, op: Any, text: str) -> int:
    citizen = await people()
    sess = await webchat_session(citizen.http, citizen.base)
    async with citizen.http.post(
        citizen.base + "/webchat/api/messages",
        json={"client_id": str(uuid.uuid4()), "text": text},
        headers={"Authorization": f"Bearer {sess['session_token']}"},
    ) as r:
        assert r.status == 200
    conv = int(sess["conversation_id"])

    async def waiting() -> bool:
        _, q = await op.get("/console/api/queue")
        return conv in [c["id"] for c in q["waiting"]]

    await wait_for(waiting)
    return conv


async def _data(people: Any, console_app: Any) -> str:
    """A ticket received, forwarded, updated and answered; a call ticket; one conversation
    still waiting in the queue. Returns the answered ticket's code."""
    op = await people("op1")
    conv = await _citizen(people, op, "Cho tôi gặp cán bộ")
    assert (await op.post(f"/console/api/conversations/{conv}/take"))[0] == 200
    _, body = await op.post(f"/console/api/conversations/{conv}/tickets", {"content": "Hỏi về học phí"})
    tid, code = body["ticket"]["id"], body["ticket"]["code"]
    yte = await agency_id_of(console_app, "so-yte")
    assert (await op.post(f"/console/api/tickets/{tid}/forward", {"agency_id": yte}))[0] == 200
    officer = await people("yte1")
    status, body = await officer.post(
        f"/console/api/tickets/{tid}/progress",
        {"text": "Đang xác minh", "appointment_at": "2027-03-05T10:00:00+07:00"},
    )
    assert status == 200, body
    status, body = await officer.post(f"/console/api/tickets/{tid}/answer", {"text": "Được miễn học phí"})
    assert status == 200, body
    status, body = await op.post("/console/api/calls", {"phone": "0912000111", "content": "Hỏi giờ làm việc"})
    assert status == 200, body
    await _citizen(people, op, "Tôi cần gặp cán bộ tổng đài")
    return str(code)


async def _login(ctx: Any, base: str, username: str) -> Any:
    page = await ctx.new_page()
    await page.goto(f"{base}/console/login")
    await page.fill("#username", username)
    await page.fill("#password", PASSWORD)
    await page.wait_for_selector("#login-submit:not([disabled])", timeout=WAIT)
    await page.click("#login-submit")
    await page.wait_for_url(f"{base}/console/", timeout=WAIT)
    await page.wait_for_selector("#live:text('●')", timeout=WAIT)  # live socket connected
    return page


async def _scan(page: Any, where: str, seen: dict[str, list[str]]) -> None:
    text = await page.evaluate("document.body.innerText")
    if found := english_in(text):
        seen[where] = found


async def _walk(page: Any, code: str, admin: bool) -> dict[str, list[str]]:
    seen: dict[str, list[str]] = {}
    await page.click("#tabs button[data-view='queue']")
    await page.wait_for_selector("#queue-list li.queue-item", timeout=WAIT)
    await _scan(page, "queue", seen)
    await page.click("#queue-list li.queue-item")
    await page.wait_for_selector("#conv-meta:has-text('Trạng thái')", timeout=WAIT)
    await _scan(page, "conversation", seen)
    await page.click("#tabs button[data-view='queue']")
    await page.click("#others-list li.queue-item")
    await page.wait_for_selector(f"#conv-tickets li:has-text('{code}')", timeout=WAIT)
    await page.wait_for_selector("#conv-tickets li:has-text('đã trả lời')", timeout=WAIT)
    await _scan(page, "conversation with a ticket", seen)

    await page.click("#tabs button[data-view='tickets']")
    await page.wait_for_selector(f"#tickets-list li:has-text('{code}')", timeout=WAIT)
    await _scan(page, "ticket list", seen)
    await page.click(f"#tickets-list li:has-text('{code}')")
    await page.wait_for_selector("#ticket-history li:has-text('cập nhật tiến độ')", timeout=WAIT)
    history = await page.inner_text("#ticket-history")
    assert "tiếp nhận" in history and "chuyển đơn vị" in history and "đã trả lời" in history
    await _scan(page, "ticket page", seen)

    await page.click("#tabs button[data-view='audit']")
    await page.wait_for_selector(f"#audit-rows td:has-text('phiếu {code}')", timeout=WAIT)
    audit = await page.inner_text("#audit-rows")
    assert "xem phiếu" in audit and "đăng nhập" in audit and "tài khoản Cán bộ op1" in audit
    await _scan(page, "audit log", seen)

    await page.click("#tabs button[data-view='report']")
    await page.wait_for_selector("#report-summary:has-text('Tổng số phiếu')", timeout=WAIT)
    assert "Trò chuyện trên Web" in await page.inner_text("#report-summary")
    await _scan(page, "report", seen)

    if admin:
        await page.click("#tabs button[data-view='admin']")
        await page.wait_for_selector("#users-list tr:has-text('yte1')", timeout=WAIT)
        assert "Cán bộ đầu mối đơn vị" in await page.inner_text("#users-list")
        await _scan(page, "users", seen)
    return seen


async def test_no_english_enum_value_on_the_rendered_console(
    console_client: Any, console_app: Any, people: Any
) -> None:
    code = await _data(people, console_app)
    base = str(console_client.make_url("")).rstrip("/")
    async with browser() as b:
        for username, admin in (("admin1", True), ("sv1", False)):
            ctx = await b.new_context()
            page = await _login(ctx, base, username)
            seen = await _walk(page, code, admin)
            assert not seen, f"English values on {username}'s pages: {seen}"
            await ctx.close()
