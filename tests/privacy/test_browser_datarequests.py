# ruff: noqa: F811
"""The console's data requests page (bot/console/static/datarequests.js, issue 18) in real
headless Chromium against the hub, the clock on Thursday 28/01/2027 before Tết: a citizen asks
"xem dữ liệu của tôi" in the web chat and is acknowledged with the due date; a second request
of the same citizen is recorded unacknowledged (as the domain records one); the supervisor
sees both in the list with their due dates, acknowledges the second, answers the first with
the export links offered; the citizen's chat receives both; the contact's access log lists
the supervisor's views; an operator has no "Yêu cầu dữ liệu" entry. Deletions: one the kept
ticket forbids is refused with the records' legal bases shown; one with nothing kept is
answered in the chat, then anonymised only after the reference is typed as confirmation; a
request past its due date is flagged late."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from aiohttp import web
from sqlalchemy import select

from bot.hub import HUB
from privacy import requests
from storage.clock import ManualClock
from storage.models import Conversation, Message, OutboxItem
from storage.models_privacy import DataRequest
from tests.browser import browser
from tests.conftest import wait_for
from tests.console.conftest import (  # noqa: F401  (fixtures)
    console_app,
    console_client,
    new_ticket,
    people,
)
from tests.console.test_browser import WAIT, _login
from tests.privacy.test_requests_flow import Citizen, _form

pytestmark = pytest.mark.browser
BEFORE_TET = datetime(2027, 1, 28, 3, 0, tzinfo=UTC)  # Thu 28/01/2027 10:00 in Việt Nam
# hand-checked on the project's calendar: Tết 2027 closes 04–12/02 (Thu–Fri of the next week)
VIEW_DUE = "18/02/2027"  # view: 10 working days
ACK_DUE = "01/02/2027"  # acknowledgement: 2 working days (Fri 29/01, Mon 01/02)
RESTRICT_DUE = "25/02/2027"  # restrict: 15 working days
EXTENDED_DUE = "18/03/2027"  # 15 more from 25/02: Fri 26/02, 01–05/03, 08–12/03, 15–18/03


@pytest.fixture
def console_clock() -> ManualClock:
    return ManualClock(BEFORE_TET)


async def _chat_request(app: web.Application) -> tuple[DataRequest, DataRequest]:
    """The chat's request, and a second one of the same contact recorded unacknowledged."""
    hub = app[HUB]
    async with hub.sm() as s, s.begin():
        chat = (await s.execute(select(DataRequest))).scalar_one()
        conv = await s.get(Conversation, chat.conversation_id)
        assert conv is not None
        second = await requests.create(
            s,
            contact_id=chat.contact_id,
            kind="restrict",
            channel="webchat",
            conversation_id=conv.id,
            now=hub.clock.now(),
            calendar=hub.pipeline.applier.calendar,
            deadlines=requests.Deadlines.from_env(hub.settings.env),
            verification="channel",
            text="Đừng gửi tin thông báo cho tôi nữa",
            acknowledged=False,
        )
    return chat, second


async def test_a_supervisor_handles_a_citizens_request_in_the_console(
    console_client: Any, console_app: web.Application
) -> None:
    base = str(console_client.make_url("")).rstrip("/")
    async with browser() as b:
        citizen_ctx, sv_ctx, op_ctx = [await b.new_context() for _ in range(3)]
        citizen = await citizen_ctx.new_page()
        await citizen.goto(f"{base}/webchat/")
        await citizen.fill("#text", "xem dữ liệu của tôi")
        await citizen.click("#send")
        await citizen.wait_for_selector(f"#messages li:has-text('chậm nhất ngày {VIEW_DUE}')", timeout=WAIT)
        chat, second = await _chat_request(console_app)
        assert chat.kind == "view" and second.status == "received"

        sv = await _login(sv_ctx, base, "sv1")
        await sv.click("#tabs button[data-view=datarequests]")
        row = await sv.wait_for_selector(f"#dr-rows tr:has-text('{chat.reference}')", timeout=WAIT)
        cells = await row.inner_text()
        assert "xem dữ liệu cá nhân" in cells and VIEW_DUE in cells and "Trò chuyện trên Web" in cells
        other = await sv.inner_text(f"#dr-rows tr:has-text('{second.reference}')")
        assert RESTRICT_DUE in other and ACK_DUE in other and "Đã tiếp nhận" in other
        assert await sv.locator("#dr-rows td.late").count() == 0  # nothing late on 28/01

        # the unacknowledged one: acknowledged, the citizen told its due date
        await sv.click(f"#dr-rows tr:has-text('{second.reference}')")
        await sv.wait_for_selector("#dr-pane dd:text('Đừng gửi tin thông báo cho tôi nữa')", timeout=WAIT)
        await sv.click("#dr-pane button.dr-ack")
        await sv.wait_for_selector("#dr-pane h3:has-text('Đã xác nhận')", timeout=WAIT)
        await citizen.wait_for_selector(
            f"#messages li:has-text('{second.reference}'):has-text('{RESTRICT_DUE}')", timeout=WAIT
        )
        # an extension needs its reason: the server's Vietnamese error is shown
        await sv.click("#dr-pane .dr-extend button[type=submit]")
        await sv.wait_for_selector("#flash.bad:text('Cần nêu lý do gia hạn')", timeout=WAIT)
        await sv.fill("#dr-extend-reason", "Cần đối chiếu hồ sơ lưu trữ")
        await sv.click("#dr-pane .dr-extend button[type=submit]")
        await sv.wait_for_selector("#dr-pane h3:has-text('Đã gia hạn')", timeout=WAIT)
        assert await sv.locator("#dr-pane .dr-extend").count() == 0  # once only
        assert f"{EXTENDED_DUE} (đã gia hạn)" in await sv.inner_text("#dr-pane dl.facts")
        await citizen.wait_for_selector(
            f"#messages li:has-text('Cần đối chiếu hồ sơ lưu trữ'):has-text('{EXTENDED_DUE}')", timeout=WAIT
        )

        # the view request: answered, the export offered for staff, the answer in the chat
        await sv.click(f"#dr-rows tr:has-text('{chat.reference}')")
        await sv.wait_for_selector(f"#dr-pane h3:has-text('{chat.reference}')", timeout=WAIT)
        href = await sv.get_attribute("#dr-pane .dr-export a:text('XLSX')", "href")
        assert href == f"/console/api/contacts/{chat.contact_id}/export.xlsx"
        facts = await sv.inner_text("#dr-pane dl.facts")
        assert f"(liên hệ số {chat.contact_id})" in facts and "Mở hội thoại số" in facts
        await sv.fill("#dr-answer-text", "Kính gửi anh/chị, tổng đài gửi dữ liệu đang lưu")
        await sv.click("#dr-pane .dr-answer button[type=submit]")
        await sv.wait_for_selector("#dr-pane h3:has-text('Đã trả lời')", timeout=WAIT)
        await citizen.wait_for_selector("#messages li:has-text('Dữ liệu tổng đài đang lưu')", timeout=WAIT)
        chat_text = await citizen.inner_text("#messages")
        assert "Kính gửi anh/chị" in chat_text and "/yeu-cau-du-lieu/ban-sao/" in chat_text

        # the access log: the supervisor's views of the requests, with role and IP
        await sv.click("#dr-pane button.dr-access-load")
        await sv.wait_for_selector("#dr-pane table.dr-access tbody tr", timeout=WAIT)
        lines = [
            await r.inner_text() for r in await sv.query_selector_all("#dr-pane table.dr-access tbody tr")
        ]
        views = [line for line in lines if "xem yêu cầu về dữ liệu cá nhân" in line]
        assert views and all("sv1" in line and "127.0.0.1" in line for line in views), lines
        assert any("xuất bản sao dữ liệu của công dân" in line for line in lines), lines

        op = await _login(op_ctx, base, "op1")
        assert await op.locator("#tabs button[data-view=datarequests]").is_hidden()
        assert await op.evaluate("() => !document.getElementById('dr-rows')")


async def test_deletions_refused_with_the_kept_records_or_anonymised_after_a_typed_confirmation(
    console_client: Any, console_app: web.Application, people: Any, console_clock: ManualClock
) -> None:
    hub = console_app[HUB]
    op = await people("op1")
    _, code = await new_ticket(people, op, "Phản ánh tiếng ồn", full_name="Đỗ Văn Hải", phone="0987 654 321")
    visitor = await people()
    status, page = await _form(visitor, method="ticket", kind="delete", code=code, phone="4321")
    assert status == 200, page
    async with hub.sm() as s, s.begin():  # a view of 28/01 (due 18/02) still open on 19/02: late
        contact_id = (await s.execute(select(DataRequest.contact_id))).scalar_one()
        late = await requests.create(
            s,
            contact_id=contact_id,
            kind="view",
            channel="web_form",
            now=hub.clock.now(),
            calendar=hub.pipeline.applier.calendar,
            deadlines=requests.Deadlines.from_env(hub.settings.env),
            verification="ticket_phone",
        )
    console_clock.set(datetime(2027, 2, 19, 3, 0, tzinfo=UTC))  # Fri 19/02 10:00
    citizen = await Citizen(console_client).start()
    await citizen.say("Tôi tên Lương Thị Hoa, số nhà 7 phố Hàng Bạc")
    await citizen.say("Xoá toàn bộ dữ liệu cá nhân của tôi")
    async with hub.sm() as s:
        kept_req = (
            await s.execute(
                select(DataRequest).where(DataRequest.channel == "web_form", DataRequest.kind == "delete")
            )
        ).scalar_one()
        chat_req = (await s.execute(select(DataRequest).where(DataRequest.channel == "webchat"))).scalar_one()

    base = str(console_client.make_url("")).rstrip("/")
    async with browser() as b:
        sv = await _login(await b.new_context(), base, "sv1")
        await sv.click("#tabs button[data-view=datarequests]")
        await sv.wait_for_selector("#dr-late:text('1 yêu cầu quá hạn')", timeout=WAIT)
        row = sv.locator(f"#dr-rows tr.dr-late:has-text('{late.reference}')")
        assert await row.locator("td.late").inner_text() == "Quá hạn"
        assert await sv.locator("#dr-rows tr.dr-late").count() == 1
        await sv.click(f"#dr-rows tr:has-text('{kept_req.reference}')")
        await sv.click("#dr-pane .dr-answer button[type=submit]")
        await sv.wait_for_selector("#dr-pane h3:has-text('Từ chối')", timeout=WAIT)
        kept = await sv.inner_text("#dr-pane .dr-kept")
        assert code in kept and "đang được giải quyết" in kept, kept
        assert await sv.locator("#dr-pane .dr-anonymise").count() == 0  # nothing to anonymise

        await sv.click(f"#dr-rows tr:has-text('{chat_req.reference}')")
        await sv.wait_for_selector(f"#dr-pane h3:has-text('{chat_req.reference}')", timeout=WAIT)
        await sv.click("#dr-pane .dr-answer button[type=submit]")
        await sv.wait_for_selector("#dr-pane h3:has-text('Đã trả lời')", timeout=WAIT)
        await citizen.next_text("đồng ý xoá")
        go = sv.locator("#dr-pane .dr-anonymise button[type=submit]")
        await sv.fill("#dr-anonymise-confirm", "có")
        assert await go.is_disabled()
        await sv.fill("#dr-anonymise-confirm", chat_req.reference)

        async def delivered() -> bool:  # the answer went out before the conversation is cleared
            async with hub.sm() as s:
                q = select(OutboxItem.done).join(Message, Message.id == OutboxItem.message_id)
                q = q.where(Message.conversation_id == chat_req.conversation_id, Message.direction == "out")
                return all((await s.execute(q)).scalars())

        await wait_for(delivered, timeout=30)
        await go.click()
        await sv.wait_for_selector("#flash:text('Đã ẩn danh hoá dữ liệu của công dân')", timeout=WAIT)
        await sv.wait_for_selector("#dr-pane:not(:has(.dr-anonymise))", timeout=WAIT)
        shown = await sv.inner_text("#view-datarequests")
        assert "Lương Thị Hoa" not in shown and "Hàng Bạc" not in shown
    async with hub.sm() as s:
        req = await s.get(DataRequest, chat_req.id)
        texts = [m.text or "" for m in (await s.execute(select(Message))).scalars()]
    assert req is not None and req.anonymised_at is not None
    assert not any("Lương Thị Hoa" in t for t in texts)
