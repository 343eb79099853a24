"""The console's admin and ticket pages in real headless Chromium: an admin edits a user's
name, role, agency and active state and resets the password; the ticket list filters and
searches without diacritics and shows the citizen's name; the domain's default agency is
pre-selected for forwarding; citizen-supplied names stay text on every new page."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from bot.hub import HUB
from storage.models_console import Domain, User
from tests.browser import browser
from tests.console.conftest import PASSWORD
from tests.console.test_browser import WAIT, XSS, _login

pytestmark = pytest.mark.browser
SCREEN = {"width": 1366, "height": 768}
NEW_PASSWORD = "mat-khau-moi-rat-dai-456"


async def test_admin_edits_a_user(people: Any, console_client: Any) -> None:
    base = str(console_client.make_url("")).rstrip("/")
    op2 = await people("op2")
    async with browser() as b:
        page = await _login(await b.new_context(viewport=SCREEN), base, "admin1")
        await page.click("#tabs button[data-view='admin']")
        row = "#users-list tr:has-text('op2')"
        await page.click(f"{row} button:has-text('Sửa')", timeout=WAIT)
        await page.wait_for_selector("#user-edit-form:visible", timeout=WAIT)
        assert await page.input_value("#user-edit-fullname") == "Cán bộ op2"
        await page.fill("#user-edit-fullname", "Trần Thị Bình")
        await page.select_option("#user-edit-role", "agency")
        await page.select_option("#user-edit-agency", label="Sở Y tế")
        await page.click("#user-edit-save")
        await page.wait_for_selector("#flash:has-text('Đã lưu tài khoản op2')", timeout=WAIT)
        await page.wait_for_selector(f"{row}:has-text('Trần Thị Bình')", timeout=WAIT)
        text = await page.inner_text(row)
        assert "Cán bộ đầu mối đơn vị" in text and "Sở Y tế" in text
        # the role changed: op2's session ended
        assert (await op2.get("/console/api/me"))[0] == 401

        # an agency officer without an agency is refused, in Vietnamese, naming no CLI flag
        await page.click(f"{row} button:has-text('Sửa')")
        await page.select_option("#user-edit-agency", "")
        await page.click("#user-edit-save")
        await page.wait_for_selector("#flash.bad:has-text('phải thuộc một đơn vị')", timeout=WAIT)
        assert "--" not in await page.inner_text("#flash")

        # reset the password, then lock the account
        await page.fill("#user-edit-password", NEW_PASSWORD)
        await page.click("#user-edit-reset")
        await page.wait_for_selector("#flash:has-text('Đã đặt lại mật khẩu cho op2')", timeout=WAIT)
        fresh = await people()
        assert (await fresh.login("op2", PASSWORD))[0] == 401
        assert (await fresh.login("op2", NEW_PASSWORD))[0] == 200
        await page.click("#user-edit-cancel")
        await page.click(f"{row} button:has-text('Khóa')")
        await page.wait_for_selector(f"{row}:has-text('đã khóa')", timeout=WAIT)
        assert (await fresh.get("/console/api/me"))[0] == 401
    async with console_client.app[HUB].sm() as s:
        user = (await s.execute(select(User).where(User.username == "op2"))).scalar_one()
        assert (user.full_name, user.role, user.active) == ("Trần Thị Bình", "agency", False)


async def _domain_id(app: Any, code: str) -> int:
    async with app[HUB].sm() as s:
        return int((await s.execute(select(Domain.id).where(Domain.code == code))).scalar_one())


async def test_ticket_list_filters_search_and_default_agency(people: Any, console_client: Any) -> None:
    app = console_client.app
    op = await people("op1")
    y_te = await _domain_id(app, "y-te")
    calls = [
        ("Nguyễn Văn Đức", "0912000111", "Hỏi về tiêm chủng cho trẻ", y_te),
        ("Lê Thị Hoa", "0912000222", "Hỏi về cấp đổi giấy phép lái xe", None),
        (XSS, "0912000333", "Phản ánh tiếng ồn ban đêm", None),
    ]
    codes = []
    for caller, phone, content, domain in calls:
        body: dict[str, Any] = {"caller": caller, "phone": phone, "content": content}
        if domain:
            body["domain_id"] = domain
        status, created = await op.post("/console/api/calls", body)
        assert status == 200, created
        codes.append(created["ticket"]["code"])
    base = str(console_client.make_url("")).rstrip("/")
    async with browser() as b:
        page = await _login(await b.new_context(viewport=SCREEN), base, "op1")
        await page.click("#tabs button[data-view='tickets']")
        for code in codes:
            await page.wait_for_selector(f"#tickets-list li.ticket-item:has-text('{code}')", timeout=WAIT)
        # the citizen's name on each row; a name with markup stays text
        assert "Nguyễn Văn Đức" in await page.inner_text("#tickets-list")
        assert await page.evaluate("document.querySelectorAll('main img, main script, #inj').length") == 0
        assert await page.evaluate("typeof window.__xss") == "undefined"
        # search without diacritics: "duc" finds "Đức", "giay phep" finds "giấy phép"
        await page.fill("#ticket-search", "nguyen van duc")
        await page.wait_for_selector(f"#tickets-list li.ticket-item:has-text('{codes[1]}')", state="detached")
        assert await page.locator("#tickets-list li.ticket-item").count() == 1
        await page.fill("#ticket-search", "giay phep lai xe")
        await page.wait_for_selector(f"#tickets-list li.ticket-item:has-text('{codes[1]}')", timeout=WAIT)
        assert await page.locator("#tickets-list li.ticket-item").count() == 1
        await page.fill("#ticket-search", "")
        await page.select_option("#ticket-domain-filter", str(y_te))
        await page.wait_for_selector(f"#tickets-list li.ticket-item:has-text('{codes[2]}')", state="detached")
        assert await page.locator("#tickets-list li.ticket-item").count() == 1
        # the ticket of the health domain: forwarding proposes the domain's agency
        await page.click(f"#tickets-list li.ticket-item:has-text('{codes[0]}')")
        await page.wait_for_selector(f"#ticket-code:has-text('{codes[0]}')", timeout=WAIT)
        chosen = await page.eval_on_selector("#forward-agency", "s => s.options[s.selectedIndex].text")
        assert chosen == "Sở Y tế"
        # urgent: marked from the ticket page, then found by the urgent filter
        await page.click("#urgent-toggle")
        await page.wait_for_selector("#ticket-urgent-badge:visible", timeout=WAIT)
        await page.select_option("#ticket-domain-filter", "")
        await page.check("#ticket-urgent")
        await page.wait_for_selector(f"#tickets-list li.ticket-item:has-text('{codes[1]}')", state="detached")
        assert await page.locator("#tickets-list li.ticket-item").count() == 1
        assert "Khẩn" in await page.inner_text("#tickets-list")


async def test_forwarding_classifies_the_ticket_by_domain(people: Any, console_client: Any) -> None:
    op = await people("op1")
    status, created = await op.post(
        "/console/api/calls",
        {"caller": "Lê Thị Hoa", "phone": "0912000222", "content": "Hỏi về cấp đổi bằng lái"},
    )
    assert status == 200, created
    code = created["ticket"]["code"]
    traffic = await _domain_id(console_client.app, "giao-thong")
    base = str(console_client.make_url("")).rstrip("/")
    async with browser() as b:
        page = await _login(await b.new_context(viewport=SCREEN), base, "op1")
        await page.click("#tabs button[data-view='tickets']")
        await page.click(f"#tickets-list li.ticket-item:has-text('{code}')", timeout=WAIT)
        await page.wait_for_selector(f"#ticket-code:has-text('{code}')", timeout=WAIT)
        assert await page.input_value("#forward-domain") == ""  # a call without a domain yet
        await page.select_option("#forward-domain", str(traffic))  # proposes the domain's agency
        chosen = await page.eval_on_selector("#forward-agency", "s => s.options[s.selectedIndex].text")
        assert chosen == "Sở Giao thông vận tải"
        await page.click("#forward-send")
        await page.wait_for_selector("#ticket-status:has-text('đã chuyển đơn vị')", timeout=WAIT)
        await page.wait_for_selector("#ticket-domain-name:has-text('Giao thông vận tải')", timeout=WAIT)
