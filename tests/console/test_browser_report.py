"""The report page in real headless Chromium: the month's figures, the charts drawn as inline
SVG by report.js (no CDN: every request the page makes goes to the hub), the quarter preset,
the download links; a screenshot for docs/console.md (docs/img/console-report-charts.png)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from storage.clock import ManualClock
from tests.browser import browser
from tests.conftest import wait_for
from tests.console.test_browser import _login
from tests.console.test_deadlines_app import _forwarded_ticket, vn

pytestmark = pytest.mark.browser

WAIT = 15000
SCREEN = {"width": 1366, "height": 1400}  # the whole report, its four charts included
SHOT = Path(__file__).resolve().parents[2] / "docs" / "img" / "console-report-charts.png"


async def test_report_page_draws_its_charts(
    people: Any, console_client: Any, console_app: Any, console_clock: ManualClock
) -> None:
    console_clock.set(vn(2027, 3, 2, 9, 0))
    answered = await _forwarded_ticket(people, console_app)
    late = await _forwarded_ticket(people, console_app)
    await _forwarded_ticket(people, console_app, "so-gtvt")
    yte = await people("yte1")
    assert (await yte.post(f"/console/api/tickets/{answered}/answer", {"text": "Trả lời ngay"}))[0] == 200
    console_clock.set(vn(2027, 3, 3, 10, 0))
    yte = await people("yte1")
    assert (await yte.post(f"/console/api/tickets/{late}/answer", {"text": "Trả lời muộn"}))[0] == 200
    console_clock.set(vn(2027, 3, 5, 9, 0))

    base = str(console_client.make_url("")).rstrip("/")
    async with browser() as b:
        ctx = await b.new_context(viewport=SCREEN)
        page = await _login(ctx, base, "sv1")
        hosts: set[str] = set()
        page.on("request", lambda req: hosts.add(req.url.split("/")[2]))
        await page.click("#tabs button[data-view='report']")
        await page.wait_for_selector("#report-charts svg", timeout=WAIT)
        assert await page.input_value("#report-from") == "2027-03-01"
        assert await page.input_value("#report-to") == "2027-03-31"
        titles = await page.eval_on_selector_all(
            "#report-charts svg > title", "ns => ns.map(n => n.textContent)"
        )
        assert titles == [
            "Cách xử lý yêu cầu",
            "Yêu cầu theo kênh",
            "Trả lời của các đơn vị (Điều 10.3)",
            "Yêu cầu theo lĩnh vực",
        ]
        bars = await page.eval_on_selector_all(
            "#report-charts rect.bar > title", "ns => ns.map(n => n.textContent)"
        )
        assert "Trong 8 giờ làm việc: 1" in bars and "Muộn, không cập nhật: 1" in bars
        assert "Chưa trả lời, quá hạn: 1" in bars and "Chuyển đơn vị: 3" in bars
        row = await page.inner_text("#report-agency-rows tr:has-text('Sở Y tế')")
        assert [c.strip() for c in row.split("\t")] == ["Sở Y tế", "2", "1", "0", "1", "0", "0", "0"]
        assert "Tổng số phiếu: 3" in await page.inner_text("#report-summary")
        assert await page.get_attribute("#report-xlsx", "href") == (
            "/console/api/reports.xlsx?preset=custom&from=2027-03-01&to=2027-03-31"
        )
        SHOT.parent.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(SHOT), full_page=True)

        await page.select_option("#report-preset", "quarter")

        async def quarter() -> bool:
            return (await page.input_value("#report-from"), await page.input_value("#report-to")) == (
                "2027-01-01",
                "2027-03-31",
            )

        await wait_for(quarter)
        async with page.expect_download() as info:
            await page.click("#report-pdf")
        download = await info.value
        assert download.suggested_filename == "bao-cao-1022-2027-01-01-2027-03-31.pdf"
        assert hosts == {base.split("/")[2]}  # nothing from a CDN
        await ctx.close()
