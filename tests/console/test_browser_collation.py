"""The admin page in real headless Chromium shows agencies in Vietnamese order
("Sở Du lịch" < "sở Đầu tư" < "Sở Em" < "Sở Xây dựng"), as the console API sorts them."""

from __future__ import annotations

from typing import Any

import pytest

from handoff.collation import vi_key
from tests.browser import browser
from tests.console.conftest import PASSWORD
from tests.console.test_collation_api import NAMES, VIETNAMESE

pytestmark = pytest.mark.browser

WAIT = 15000


async def test_admin_page_lists_agencies_in_vietnamese_order(console_client: Any, people: Any) -> None:
    admin = await people("admin1")
    for i, name in enumerate(NAMES):
        status, body = await admin.post("/console/api/agencies", {"code": f"vi-{i}", "name": name})
        assert status == 200, body
    base = str(console_client.make_url("")).rstrip("/")
    async with browser() as b:
        page = await (await b.new_context()).new_page()
        await page.goto(f"{base}/console/login")
        await page.fill("#username", "admin1")
        await page.fill("#password", PASSWORD)
        await page.wait_for_selector("#login-submit:not([disabled])", timeout=WAIT)
        await page.click("#login-submit")
        await page.wait_for_url(f"{base}/console/", timeout=WAIT)
        # the console page links the hub's icon, which loads
        icon = await page.eval_on_selector("link[rel=icon]", "e => e.href")
        assert icon == f"{base}/favicon.svg"
        assert (await page.request.get(icon)).headers["content-type"] == "image/svg+xml"
        await page.click("#tabs button[data-view='admin']")
        await page.wait_for_selector("#agencies-list li:has-text('Sở Xây dựng')", timeout=WAIT)
        shown = await page.eval_on_selector_all("#agencies-list li", "els => els.map(e => e.textContent)")
        names = [text.split(" · ", 1)[1] for text in shown]
        assert [n for n in names if n in NAMES] == VIETNAMESE
        departments = [n for n in names if n.startswith(("Sở", "sở"))]
        assert departments == sorted(departments, key=vi_key)
