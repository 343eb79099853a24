"""The public answers portal and the lookup in real headless Chromium (Điều 12): an officer
reviews the masked text and publishes it from the ticket page; a visitor finds it on
``/hoi-dap/`` by an accentless search and sees none of the citizen's data; the lookup by
code and the phone's last 4 digits; a wrong phone refused, then rate-limited."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser import browser
from tests.console.test_browser import WAIT, _login
from tests.public.helpers import answered_ticket

pytestmark = pytest.mark.browser

# what the ticket knows of its citizen: none of it may reach the public page
PERSONAL = ("Nguyễn Văn An", "0912", "345 678", "038090012345", "an.nguyen@gmail.com", "ngõ 5")


async def test_publish_find_and_look_up(people: Any, console_client: Any, console_app: Any) -> None:
    base = str(console_client.make_url("")).rstrip("/")
    t = await answered_ticket(people, console_app)
    async with browser() as b:
        officer_ctx, visitor_ctx = await b.new_context(), await b.new_context()
        officer = await _login(officer_ctx, base, "yte1")
        row = await officer.wait_for_selector(f"#tickets-list li:has-text('{t.code}')", timeout=WAIT)
        await row.click()
        await officer.wait_for_selector(f"#ticket-code:has-text('{t.code}')", timeout=WAIT)
        await officer.wait_for_selector("#publish-state:has-text('Chưa công khai')", timeout=WAIT)
        await officer.click("#publish-preview")
        await officer.wait_for_selector("#publish-form:not([hidden])", timeout=WAIT)
        question = await officer.input_value("#publish-question")
        # the review starts from the masked text
        assert "Tôi là [họ tên], CCCD [số giấy tờ], nhà ở [địa chỉ]" in question
        assert "[số điện thoại]" in question
        assert not any(d in question for d in PERSONAL), question
        assert (await officer.input_value("#publish-answer")).startswith("Chào anh [họ tên],")
        # the officer's edit that brings the phone back is refused, and said why
        await officer.fill("#publish-question", question + " Gọi lại 0912 345 678.")
        await officer.click("#publish-send")
        await officer.wait_for_selector("#flash.bad:has-text('còn chứa số điện thoại')", timeout=WAIT)
        reviewed = question.replace("Xin hỏi", "Cho hỏi")
        await officer.fill("#publish-question", reviewed)
        await officer.click("#publish-send")
        link = await officer.wait_for_selector("#publish-link", timeout=WAIT)
        url = await link.get_attribute("href")
        assert url and url.startswith("/hoi-dap/")
        await officer.wait_for_selector("#ticket-history li:has-text('công khai câu trả lời')", timeout=WAIT)

        # a visitor, without login, searches without diacritics
        visitor = await visitor_ctx.new_page()
        await visitor.goto(f"{base}/hoi-dap/")
        await visitor.fill("#q", "ho tro hoc phi lop 10")
        await visitor.click("form.search button")
        item = await visitor.wait_for_selector(f"#answers li.qa-answer a[href='{url}']", timeout=WAIT)
        assert "Cho hỏi con tôi học lớp 10" in await item.inner_text()
        page_text = await visitor.inner_text("body")
        assert "Sở Y tế" in page_text and not any(d in page_text for d in PERSONAL), page_text
        html = await visitor.content()
        assert not any(d in html for d in PERSONAL)
        await item.click()
        await visitor.wait_for_selector("#qa h1:has-text('Cho hỏi con tôi')", timeout=WAIT)
        html = await visitor.content()
        assert not any(d in html for d in PERSONAL)
        # a phone-sized screen: nothing wider than the page
        await visitor.set_viewport_size({"width": 360, "height": 740})
        assert await visitor.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

        # the lookup: code and the last 4 digits of the phone given on the ticket
        await visitor.goto(f"{base}/tra-cuu/")
        await visitor.fill("#code", t.code)
        await visitor.fill("#phone", "5678")
        await visitor.click("form.lookup button")
        await visitor.wait_for_selector("#result:has-text('đã trả lời')", timeout=WAIT)
        assert "Sở Y tế" in await visitor.inner_text("#result")
        assert "hỗ trợ 50% học phí" in await visitor.inner_text("#answer")

        # a wrong phone is refused; after 5 wrong guesses the code is locked, the right one too
        for _ in range(5):
            await visitor.goto(f"{base}/tra-cuu/")
            await visitor.fill("#code", t.code)
            await visitor.fill("#phone", "0000")
            await visitor.click("form.lookup button")
            await visitor.wait_for_selector("#error:has-text('không đúng')", timeout=WAIT)
            assert await visitor.query_selector("#result") is None
        await visitor.fill("#phone", "5678")
        await visitor.click("form.lookup button")
        await visitor.wait_for_selector("#error:has-text('Hãy thử lại sau')", timeout=WAIT)
        assert await visitor.query_selector("#result") is None
        for ctx in (officer_ctx, visitor_ctx):
            await ctx.close()
