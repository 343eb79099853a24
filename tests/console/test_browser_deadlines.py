"""Deadline marks in real Chromium, with a moved clock: the agency inbox shows a ticket
approaching, then (live, after the periodic check) overdue and in breach of Điều 10.3;
the supervisor sees the notice; the supervisor assigns an unclear ticket."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.console.live import run_deadline_check
from bot.hub import HUB
from storage.clock import ManualClock
from tests.browser import browser
from tests.console.test_browser import WAIT, _login
from tests.console.test_deadlines_app import _forwarded_ticket

pytestmark = pytest.mark.browser
VN = ZoneInfo("Asia/Ho_Chi_Minh")


async def test_inbox_marks_and_supervisor_notice(
    people: Any, console_app: Any, console_client: Any, console_clock: ManualClock
) -> None:
    base = str(console_client.make_url("")).rstrip("/")
    console_clock.set(datetime(2027, 3, 5, 15, 0, tzinfo=VN))  # Friday: due Monday 15:00
    await _forwarded_ticket(people, console_app)
    console_clock.set(datetime(2027, 3, 8, 13, 30, tzinfo=VN))  # Monday, 1.5 working hours left
    async with browser() as b:
        yte_ctx, sv_ctx = await b.new_context(), await b.new_context()
        officer = await _login(yte_ctx, base, "yte1")
        row = await officer.wait_for_selector("#tickets-list li.ticket-item", timeout=WAIT)
        assert "sắp đến hạn" in await row.inner_text()
        assert "deadline-approaching" in (await row.get_attribute("class") or "")
        sv = await _login(sv_ctx, base, "sv1")

        console_clock.set(datetime(2027, 3, 8, 15, 1, tzinfo=VN))
        assert await run_deadline_check(console_app[HUB], console_app) == 3
        # pushed live: no reload in either browser
        await officer.wait_for_selector("#tickets-list li.deadline-overdue:has-text('quá hạn')", timeout=WAIT)
        await officer.wait_for_selector("#tickets-list li:has-text('vi phạm Điều 10.3')", timeout=WAIT)
        await sv.wait_for_selector("#notice-count:has-text('(2)')", timeout=WAIT)
        await sv.click("#tabs button[data-view='notices']")
        await sv.wait_for_selector("#notices-list li:has-text('vi phạm Điều 10.3')", timeout=WAIT)
        await sv.wait_for_selector("#notices-list li:has-text('quá hạn')", timeout=WAIT)
        await sv.click("#tabs button[data-view='report']")
        row = await sv.wait_for_selector("#report-rows tr:has-text('Sở Y tế')", timeout=WAIT)
        assert [c.strip() for c in (await row.inner_text()).split("\t")] == [
            "Sở Y tế",
            "1",
            "0",
            "0",
            "1",
            "1",
        ]
        await yte_ctx.close()
        await sv_ctx.close()


async def test_supervisor_assigns_an_unclear_ticket(
    people: Any, console_app: Any, console_client: Any
) -> None:
    base = str(console_client.make_url("")).rstrip("/")
    tid = await _forwarded_ticket(people, console_app, "so-gtvt")
    gtvt = await people("gtvt1")
    assert (await gtvt.post(f"/console/api/tickets/{tid}/send_back", {"reason": "Việc của Công an"}))[
        0
    ] == 200
    async with browser() as b:
        ctx = await b.new_context()
        sv = await _login(ctx, base, "sv1")
        await sv.click("#tabs button[data-view='unclear']")
        await sv.click("#unclear-list li.ticket-item", timeout=WAIT)  # a locator: the list may be redrawn
        await sv.wait_for_selector("#ticket-code:has-text('1022-2027-000001')", timeout=WAIT)
        assert "Việc của Công an" in await sv.inner_text("#ticket-history")
        await sv.select_option("#assign-agency", label="Công an tỉnh")
        await sv.click("#assign-send")
        await sv.wait_for_selector("#ticket-agency:has-text('Công an tỉnh')", timeout=WAIT)
        await sv.wait_for_selector("#ticket-status:has-text('đã chuyển đơn vị')", timeout=WAIT)
        await ctx.close()
