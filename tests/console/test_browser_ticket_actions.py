"""Only the actions that fit a ticket's status and the user's role are shown, in real
Chromium (issue 14): a ticket walked new → forwarded → phone answered → answered, and
others through unclear and refused; at each step the forms that may be used are visible
and all the others hidden. The "Lập phiếu" form is gone once the conversation has a
ticket being handled."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser import browser
from tests.console.test_browser import WAIT, _login
from tests.console.test_ticket_actions import new_ticket

pytestmark = pytest.mark.browser

CONTROLS = (
    "#forward-form",
    "#unclear-form",
    "#refuse-form",
    "#assign-form",
    "#progress-form",
    "#answer-form",
    "#answer-send",
    "#phone-answered",
    "#moreinfo-form",
    "#sendback-form",
)


async def _open(page: Any, code: str, status: str) -> None:
    await page.click("#tabs button[data-view='tickets']")
    await page.click(f"#tickets-list li.ticket-item:has-text('{code}')", timeout=WAIT)
    await page.wait_for_selector(f"#ticket-code:has-text('{code}')", timeout=WAIT)
    await page.wait_for_selector(f"#ticket-status:text-is('{status}')", timeout=WAIT)


async def _shown(page: Any, *visible: str) -> None:
    """Exactly these action controls are visible on the open ticket."""
    seen = [c for c in CONTROLS if await page.is_visible(c)]
    assert seen == list(visible)


async def test_only_fitting_actions_are_shown(people: Any, console_app: Any, console_client: Any) -> None:
    base = str(console_client.make_url("")).rstrip("/")
    op_api = await people("op1")
    _, code = await new_ticket(people, op_api)
    _, code2 = await new_ticket(people, op_api, "Không rõ đơn vị")
    _, code3 = await new_ticket(people, op_api, "Xin số đề")
    async with browser() as b:
        op_ctx, yte_ctx, sv_ctx = [await b.new_context() for _ in range(3)]
        op = await _login(op_ctx, base, "op1")

        # the conversation already has a ticket being handled: no second "Lập phiếu" form
        await op.click("#queue-list li.queue-item", timeout=WAIT)
        await op.wait_for_selector("#conv-tickets li.ticket-link", timeout=WAIT)
        assert not await op.is_visible("#ticket-form")

        await _open(op, code, "mới tiếp nhận")
        await _shown(op, "#forward-form", "#unclear-form", "#refuse-form")
        await op.select_option("#forward-agency", label="Sở Y tế")
        await op.click("#forward-send")
        await op.wait_for_selector("#ticket-status:has-text('đã chuyển đơn vị')", timeout=WAIT)
        await _shown(op)  # at the agency now: nothing for the operator

        officer = await _login(yte_ctx, base, "yte1")
        await _open(officer, code, "đã chuyển đơn vị")
        await _shown(
            officer,
            "#progress-form",
            "#answer-form",
            "#answer-send",
            "#phone-answered",
            "#moreinfo-form",
            "#sendback-form",
        )
        await officer.click("#phone-answered")
        await officer.wait_for_selector("#ticket-status:has-text('chờ cập nhật')", timeout=WAIT)
        await _shown(officer, "#answer-form", "#answer-send")  # the write-up is all that is left
        await officer.fill("#answer-text", "Anh/chị thuộc diện được hỗ trợ.")
        await officer.click("#answer-send")
        await officer.wait_for_selector("#ticket-status:text-is('đã trả lời')", timeout=WAIT)
        await _shown(officer)
        await _open(op, code, "đã trả lời")
        await _shown(op)  # no forward, unclear or refuse on an answered ticket

        # new ──unclear──▶ unclear: the operator may still refuse; the supervisor assigns
        await _open(op, code2, "mới tiếp nhận")
        await op.fill("#unclear-note", "Không rõ thẩm quyền")
        await op.click("#unclear-send")
        await op.wait_for_selector("#ticket-status:has-text('chờ Sở TT')", timeout=WAIT)
        await _shown(op, "#refuse-form")
        sv = await _login(sv_ctx, base, "sv1")
        await _open(sv, code2, "chờ Sở TT&TT xác định thẩm quyền")
        await _shown(sv, "#forward-form", "#refuse-form", "#assign-form")

        # new ──refuse──▶ refused: nothing left to do in the forms
        await _open(op, code3, "mới tiếp nhận")
        await op.fill("#refuse-reason", "Ngoài phạm vi tiếp nhận")
        await op.click("#refuse-send")
        await op.wait_for_selector("#ticket-status:text-is('từ chối')", timeout=WAIT)
        await _shown(op)
        for ctx in (op_ctx, yte_ctx, sv_ctx):
            await ctx.close()
