"""The web chat page in real headless Chromium: send, see the reply, reload, see the
history; a message of HTML shows as text and never runs."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestServer

from tests.browser import browser

pytestmark = pytest.mark.browser

XSS = "<img src=x onerror=alert(1)><script>window.__pwned=1</script>"


@pytest.fixture
async def server(hub_app: Any) -> Any:
    srv = TestServer(hub_app, host="127.0.0.1")
    await srv.start_server()
    yield srv
    await srv.close()


async def test_chat_page_round_trip_reload_and_escaping(server: Any) -> None:
    url = f"http://127.0.0.1:{server.port}/webchat/"
    async with browser() as b:
        page = await b.new_page()
        dialogs: list[str] = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        await page.goto(url)
        await page.wait_for_selector("text=Đã kết nối", timeout=15000)
        await page.fill("#text", "Cho tôi hỏi về thủ tục đăng ký tạm trú")
        await page.click("#send")
        await page.wait_for_selector(".msg.out >> text=Cán bộ tổng đài", timeout=15000)
        await page.fill("#text", XSS)
        await page.press("#text", "Enter")
        await page.wait_for_function("document.querySelectorAll('.msg.in').length === 2", timeout=15000)
        texts = await page.eval_on_selector_all(".msg.in .text", "els => els.map(e => e.textContent)")
        assert texts[1] == XSS
        assert await page.eval_on_selector_all(".messages img, .messages script", "els => els.length") == 0

        await page.reload()
        await page.wait_for_function("document.querySelectorAll('.msg').length === 3", timeout=15000)
        history = await page.eval_on_selector_all(".msg .text", "els => els.map(e => e.textContent)")
        assert history[0] == "Cho tôi hỏi về thủ tục đăng ký tạm trú"
        assert "Cán bộ tổng đài" in history[1]
        assert history[2] == XSS
        assert await page.evaluate("window.__pwned === undefined")
        assert dialogs == []


async def test_widget_bubble_on_another_site(server: Any) -> None:
    """A portal page on another origin embeds widget.js: the bubble opens the chat in an
    iframe on the hub's origin, and a message gets its reply there."""
    from aiohttp import web

    hub = f"http://127.0.0.1:{server.port}"
    portal = web.Application()

    async def page(_: web.Request) -> web.Response:
        script = f'<script src="{hub}/webchat/widget.js" async></script>'
        html = f"<!doctype html><html><body><h1>Cổng 1022</h1>{script}</body></html>"
        return web.Response(text=html, content_type="text/html")

    portal.router.add_get("/", page)
    site = TestServer(portal, host="localhost")  # another origin than 127.0.0.1:<hub>
    await site.start_server()
    try:
        async with browser() as b:
            p = await b.new_page()
            await p.goto(f"http://localhost:{site.port}/")
            await p.click("button[aria-label='Hỏi đáp Tổng đài 1022']")
            frame = p.frame_locator("iframe[title='Hỏi đáp Tổng đài 1022']")
            await frame.locator("text=Đã kết nối").wait_for(timeout=15000)
            await frame.locator("#text").fill("Xin chào tổng đài")
            await frame.locator("#send").click()
            await frame.locator(".msg.out >> text=Cán bộ tổng đài").wait_for(timeout=15000)
            # reload the portal: the bubble reopens the same conversation with its history
            await p.reload()
            await p.click("button[aria-label='Hỏi đáp Tổng đài 1022']")
            frame = p.frame_locator("iframe[title='Hỏi đáp Tổng đài 1022']")
            await frame.locator(".msg.in >> text=Xin chào tổng đài").wait_for(timeout=15000)
            assert await frame.locator(".msg").count() == 2
    finally:
        await site.close()
