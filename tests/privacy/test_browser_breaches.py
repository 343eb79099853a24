# ruff: noqa: F811
"""The console's breach register page (bot/console/static/breaches.js, issue 18) in real
headless Chromium against the hub: a supervisor is told what is missing, records a breach,
sees the 72-hour clock and the notification text generated from the record, and marks it
notified.

Until the page is mounted in app.html (another helper's file), the test puts the view's empty
``<section id="view-breaches">`` and the script into the signed-in page itself; once mounted,
the page's own are used."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.browser import browser
from tests.console.conftest import (  # noqa: F401  (fixtures)
    console_app,
    console_client,
    console_clock,
)
from tests.console.test_browser import WAIT, _login

pytestmark = pytest.mark.browser
SCRIPT = Path(__file__).resolve().parents[2] / "bot" / "console" / "static" / "breaches.js"
MOUNT = """() => {
  const s = document.createElement("section");
  s.id = "view-breaches"; s.className = "view"; s.hidden = true;
  document.getElementById("view-campaigns").after(s);
}"""
SUMMARY = "Máy tính của cán bộ chứa tệp danh sách công dân bị mất cắp"


async def _show_register(page: Any) -> None:
    if not await page.evaluate("() => !!(window.HC && HC.views && HC.views.breaches)"):
        await page.evaluate(MOUNT)
        # served as the mounted page will serve it (same origin, under the page's CSP)
        await page.route(
            "**/console/static/breaches.js",
            lambda route: route.fulfill(path=str(SCRIPT), content_type="text/javascript"),
        )
        await page.add_script_tag(url="/console/static/breaches.js")
    await page.evaluate("() => HC.show('breaches')")
    await page.wait_for_selector("#breaches-list li.empty", timeout=WAIT)


async def test_a_supervisor_records_a_breach_reads_its_notification_and_marks_it_notified(
    console_client: Any,
) -> None:
    base = str(console_client.make_url("")).rstrip("/")
    async with browser() as b:
        page = await _login(await b.new_context(), base, "sv1")
        await _show_register(page)
        await page.click("#breach-new")
        await page.fill("#breach-f-discovered_at", "2027-03-02T08:00")  # an hour before the hub's clock
        await page.click(".breach-form button[type=submit]")
        await page.wait_for_selector("#flash.bad:text('Vui lòng nhập «Mô tả sự việc»')", timeout=WAIT)

        await page.fill("#breach-f-summary", SUMMARY)
        await page.fill("#breach-f-data_categories", "Họ tên, số điện thoại")
        await page.fill("#breach-f-affected_count", "420")
        await page.fill("#breach-f-consequences", "Lộ thông tin liên lạc của công dân")
        await page.fill("#breach-f-measures", "Khoá tài khoản, báo cơ quan công an")
        await page.click(".breach-form button[type=submit]")
        await page.wait_for_selector("#breach-pane .clock:text('Còn 71 giờ')", timeout=WAIT)
        text = await page.input_value("#breach-pane textarea.notification-text")
        assert SUMMARY in text and "420 người" in text and "Họ tên, số điện thoại" in text
        await page.wait_for_selector(f"#breaches-list li:has-text('{SUMMARY[:40]}')", timeout=WAIT)

        await page.fill("#breach-f-notified_at", "2027-03-02T08:45")
        await page.fill("#breach-f-reference", "CV 7/TĐ")
        await page.click(".breach-action:has(#breach-f-reference) button[type=submit]")
        await page.wait_for_selector(
            "#breach-pane h3:text('Đã thông báo cơ quan chuyên trách')", timeout=WAIT
        )
        await page.wait_for_selector("#breach-pane dd:has-text('CV 7/TĐ')", timeout=WAIT)
