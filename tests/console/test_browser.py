"""The console in real headless Chromium against the hub on loopback: a citizen on the web
chat, an operator taking over and forwarding, the agency officer answering, another
agency's officer locked out; and citizen HTML never running in the operator's page."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser import browser
from tests.console.conftest import PASSWORD, agency_id_of

pytestmark = pytest.mark.browser

XSS = 'Cần hỗ trợ <img src=x onerror="window.__xss=1"><script>window.__xss=2</script><b id="inj">đậm</b>'
WAIT = 15000


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


async def test_operator_to_agency_end_to_end(console_client: Any, console_app: Any) -> None:
    base = str(console_client.make_url("")).rstrip("/")
    async with browser() as b:
        citizen_ctx, op_ctx, yte_ctx, gtvt_ctx = [await b.new_context() for _ in range(4)]
        op = await _login(op_ctx, base, "op1")
        await op.wait_for_selector("#queue-list li.empty", timeout=WAIT)

        citizen = await citizen_ctx.new_page()
        await citizen.goto(f"{base}/webchat/")
        await citizen.fill("#text", XSS)
        await citizen.click("#send")
        await citizen.fill("#text", "Cho tôi gặp cán bộ")
        await citizen.click("#send")
        # asking for a person puts the conversation in the queue while the bot asks the details
        await citizen.wait_for_selector("#messages li:has-text('Xin anh/chị cho biết')", timeout=WAIT)

        # arrives live in the operator's queue (no reload)
        item = await op.wait_for_selector("#queue-list li.queue-item", timeout=WAIT)
        assert "Web" in (await item.inner_text())
        await item.click()
        await op.wait_for_selector("#history li.msg-in", timeout=WAIT)
        shown = await op.inner_text("#history li.msg-in .msg-text")
        assert shown == XSS  # rendered as text, exactly
        assert (
            await op.evaluate("document.querySelectorAll('#history img, #history script, #inj').length") == 0
        )
        assert await op.evaluate("typeof window.__xss") == "undefined"

        await op.click("#take")
        await op.wait_for_selector("#reply-send:not([disabled])", timeout=WAIT)
        await op.fill("#reply-text", "Chào anh/chị, cán bộ tổng đài đang xem yêu cầu.")
        await op.click("#reply-send")
        await citizen.wait_for_selector(
            "#messages li:has-text('cán bộ tổng đài đang xem yêu cầu')", timeout=WAIT
        )
        # the citizen's next message shows up live in the operator's open conversation
        await citizen.fill("#text", "Tôi ở phường Điện Biên")
        await citizen.click("#send")
        await op.wait_for_selector("#history li.msg-in:has-text('Tôi ở phường Điện Biên')", timeout=WAIT)

        await op.fill("#ticket-content", "Hỏi về chính sách hỗ trợ người lao động. " + XSS)
        await op.fill("#ticket-name", "Nguyễn Văn Dân")
        await op.fill("#ticket-phone", "0912345678")
        await op.click("#ticket-create")
        await op.wait_for_selector("#flash:has-text('Đã lập phiếu 1022-2027-000001')", timeout=WAIT)
        await citizen.wait_for_selector("#messages li:has-text('mã phiếu 1022-2027-000001')", timeout=WAIT)
        await op.click("#conv-tickets li.ticket-link")
        await op.wait_for_selector("#ticket-code:has-text('1022-2027-000001')", timeout=WAIT)
        await op.select_option("#forward-agency", label="Sở Y tế")
        await op.fill("#forward-note", "Đề nghị Sở Y tế trả lời")
        await op.click("#forward-send")
        await op.wait_for_selector("#ticket-status:has-text('đã chuyển đơn vị')", timeout=WAIT)
        await citizen.wait_for_selector("#messages li:has-text('đã được chuyển tới Sở Y tế')", timeout=WAIT)
        ticket_id = await op.evaluate("document.querySelector('#tickets-list li.ticket-item').dataset.id")

        officer = await _login(yte_ctx, base, "yte1")
        row = await officer.wait_for_selector("#tickets-list li:has-text('1022-2027-000001')", timeout=WAIT)
        await row.click()
        await officer.wait_for_selector("#ticket-code:has-text('1022-2027-000001')", timeout=WAIT)
        # ticket content (citizen-supplied) is text in the agency's inbox as well
        assert (await officer.inner_text("#ticket-body")).endswith(XSS)
        assert await officer.evaluate("document.querySelectorAll('main img, main script, #inj').length") == 0
        assert await officer.evaluate("typeof window.__xss") == "undefined"
        await officer.fill("#progress-text", "Đang xác minh với phòng chuyên môn")
        await officer.fill("#progress-at", "2027-03-05T10:00")
        await officer.click("#progress-send")
        await officer.wait_for_selector("#ticket-status:has-text('đang xử lý')", timeout=WAIT)
        await citizen.wait_for_selector(
            "#messages li:has-text('Đang xác minh với phòng chuyên môn')", timeout=WAIT
        )
        await citizen.wait_for_selector("#messages li:has-text('10:00 ngày 05/03/2027')", timeout=WAIT)
        await officer.fill("#answer-text", "Anh/chị thuộc diện được hỗ trợ 1.500.000 đồng.")
        await officer.click("#answer-send")
        await officer.wait_for_selector("#ticket-status:has-text('đã trả lời')", timeout=WAIT)
        await citizen.wait_for_selector("#messages li:has-text('1.500.000 đồng')", timeout=WAIT)

        # an officer of another agency: not in the inbox, and the API says 403
        other = await _login(gtvt_ctx, base, "gtvt1")
        await other.wait_for_selector("#tickets-list li", timeout=WAIT)
        assert "1022-2027-000001" not in await other.inner_text("#tickets-list")
        status = await other.evaluate(f"fetch('/console/api/tickets/{ticket_id}').then(r => r.status)")
        assert status == 403
        assert await agency_id_of(console_app, "so-gtvt") != await agency_id_of(console_app, "so-yte")
        for ctx in (citizen_ctx, op_ctx, yte_ctx, gtvt_ctx):
            await ctx.close()
