"""The account page's "Thông báo qua e-mail" and the link of a notice mail, in real headless
Chromium: an officer saves an address and opts out; /console/#ticket=ID opens that ticket."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from bot.hub import HUB
from storage.models_console import User
from tests.browser import browser
from tests.console.conftest import agency_id_of, new_ticket
from tests.console.test_browser import WAIT, _login

pytestmark = pytest.mark.browser
SCREEN = {"width": 1366, "height": 768}


async def test_officer_sets_notices_and_opens_a_ticket_from_a_mail_link(
    people: Any, console_client: Any, console_app: Any
) -> None:
    base = str(console_client.make_url("")).rstrip("/")
    op = await people("op1")
    tid, code = await new_ticket(people, op)
    status, _ = await op.post(
        f"/console/api/tickets/{tid}/forward", {"agency_id": await agency_id_of(console_app, "so-yte")}
    )
    assert status == 200
    async with browser() as b:
        page = await _login(await b.new_context(viewport=SCREEN), base, "yte1")
        await page.click("#tabs button[data-view='account']")
        await page.wait_for_selector("#notice-form:visible", timeout=WAIT)
        assert await page.is_checked("#notice-email-on")
        await page.fill("#notice-email", "yte1@soyte.example.vn")
        await page.uncheck("#notice-email-on")
        await page.click("#notice-save")
        await page.wait_for_selector("#flash:has-text('Đã lưu cài đặt thông báo qua e-mail')", timeout=WAIT)
        async with console_app[HUB].sm() as s:
            row = (await s.execute(select(User).where(User.username == "yte1"))).scalar_one()
        assert row.email == "yte1@soyte.example.vn" and row.email_notices is False

        await page.fill("#notice-email", "yte1@soyte")  # the browser lets it through, the hub does not
        await page.click("#notice-save")
        await page.wait_for_selector("#flash.bad:has-text('e-mail không hợp lệ')", timeout=WAIT)

        # the link a notice mail carries
        await page.goto(f"{base}/console/#ticket={tid}")
        await page.wait_for_selector(f"#ticket:visible:has-text('{code}')", timeout=WAIT)
