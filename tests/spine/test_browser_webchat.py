"""The web chat page in real headless Chromium: the greeting, send, see the reply, reload,
see the history; a message of HTML shows as text and never runs; a suggestion tapped; a
close told to the citizen; the history kept across the close."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiohttp.test_utils import TestServer
from sqlalchemy import select

from bot.hub import HUB
from storage.models import Conversation
from storage.record import conversations
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
        await page.wait_for_selector(".msg.out", timeout=15000)
        assert await page.locator(".msg").count() == 1  # the greeting, before anything is said
        await page.fill("#text", "Cho tôi hỏi về thủ tục đăng ký tạm trú")
        await page.click("#send")
        await _replied(page, 1)
        await page.fill("#text", XSS)
        await page.press("#text", "Enter")
        await page.wait_for_function("document.querySelectorAll('.msg.in').length === 2", timeout=15000)
        texts = await page.eval_on_selector_all(".msg.in .text", "els => els.map(e => e.textContent)")
        assert texts[1] == XSS
        assert await page.eval_on_selector_all(".messages img, .messages script", "els => els.length") == 0
        await _replied(page, 2)
        before = await page.eval_on_selector_all(".msg .text", "els => els.map(e => e.textContent)")

        await page.reload()
        await page.wait_for_function(
            f"document.querySelectorAll('.msg').length === {len(before)}", timeout=15000
        )
        history = await page.eval_on_selector_all(".msg .text", "els => els.map(e => e.textContent)")
        assert history == before
        assert history[1] == "Cho tôi hỏi về thủ tục đăng ký tạm trú" and XSS in history
        assert await page.evaluate("window.__pwned === undefined")
        assert dialogs == []


async def _replied(page: Any, turns: int) -> None:
    """The bot has answered the citizen's ``turns``-th message: a reply follows it."""
    await page.wait_for_function(
        "n => { const all = [...document.querySelectorAll('.msg')];"
        " const ins = all.filter(e => e.classList.contains('in'));"
        " return ins.length >= n && all.indexOf(ins[n - 1]) < all.length - 1"
        " && !document.querySelector('.typing'); }",
        arg=turns,
        timeout=15000,
    )


async def test_buttons_close_and_whole_history(server: Any, hub_app: Any) -> None:
    """A suggestion is tapped (its payload goes as the citizen's message); a close is told;
    after a reload the whole history is there, and the next message goes on below a divider."""
    url = f"http://127.0.0.1:{server.port}/webchat/"
    hub = hub_app[HUB]
    async with browser() as b:
        page = await b.new_page()
        await page.goto(url)
        await page.wait_for_selector("text=Đã kết nối", timeout=15000)
        button = page.locator(".msg.out .buttons button:not([disabled])").first
        await button.wait_for(timeout=15000)
        payload = await page.evaluate(
            "() => fetch('api/messages', {headers: {Authorization: 'Bearer ' +"
            " localStorage.getItem('hub1022.webchat.session')}}).then(r => r.json())"
            ".then(j => j.messages[j.messages.length - 1].buttons[0].payload)"
        )
        await button.click()
        await page.wait_for_selector(f".msg.in >> text={payload}", timeout=15000)
        await _replied(page, 1)
        conv_id = int(await page.get_attribute(".msg.in", "data-conversation") or 0)
        async with hub.sm() as s, s.begin():
            conv = await s.get(Conversation, conv_id)
            await conversations.close(s, conv, hub.clock.now(), hotline_name=hub.settings.hotline_name)
        hub.relay.notify()
        notice = conversations.closed_notice(hub.settings.hotline_name)
        await page.wait_for_selector(".msg.closed-notice", timeout=15000)  # live, over the WebSocket
        assert await page.inner_text(".msg.closed-notice .text") == notice
        assert await page.locator(".buttons button:not([disabled])").count() == 0

        await page.reload()
        await page.wait_for_selector(".msg.closed-notice", timeout=15000)
        assert await page.locator(".msg.in >> text=" + payload).count() == 1
        await page.fill("#text", "Tôi muốn hỏi thêm")
        await page.click("#send")
        await page.wait_for_selector(".divider >> text=Cuộc trò chuyện mới", timeout=15000)
        await _replied(page, 2)
        order = await page.eval_on_selector_all(
            "#messages > li",
            "els => els.map(e => e.classList.contains('divider') ? 'divider' : e.dataset.conversation)",
        )
        cut = order.index("divider")
        assert set(order[:cut]) == {str(conv_id)} and str(conv_id) not in order[cut + 1 :]


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
            await frame.locator(".msg.in >> text=Xin chào tổng đài").wait_for(timeout=15000)
            shown = await frame.locator(".msg").count()
            assert shown >= 2  # the greeting, the message (and its reply when it came)
            # reload the portal: the bubble reopens the same conversation with its history
            await p.reload()
            await p.click("button[aria-label='Hỏi đáp Tổng đài 1022']")
            frame = p.frame_locator("iframe[title='Hỏi đáp Tổng đài 1022']")
            await frame.locator(".msg.in >> text=Xin chào tổng đài").wait_for(timeout=15000)
            assert await frame.locator(".msg.out").first.inner_text() != ""  # the greeting came back too
    finally:
        await site.close()


async def test_a_message_sent_before_the_session_is_ready_waits_for_it(server: Any, hub_app: Any) -> None:
    """A citizen who types before the page has its session (a slow network): the message waits
    for the session instead of going out without one (which made a second session whose
    replies the page never heard); one conversation, the reply shown live."""
    url = f"http://127.0.0.1:{server.port}/webchat/"
    async with browser() as b:
        page = await b.new_page()
        release = asyncio.Event()

        async def slow_session(route: Any) -> None:
            await release.wait()
            await route.continue_()

        await page.route("**/webchat/api/session", slow_session)
        await page.goto(url)
        await page.fill("#text", "Cho tôi hỏi về thủ tục đăng ký tạm trú")
        await page.click("#send")
        release.set()
        await _replied(page, 1)
        texts = await page.eval_on_selector_all(".msg .text", "els => els.map(e => e.textContent)")
        assert texts[1] == "Cho tôi hỏi về thủ tục đăng ký tạm trú" and len(texts) >= 3
        assert await page.locator(".divider").count() == 0
    async with hub_app[HUB].sm() as s:
        convs = (await s.execute(select(Conversation.identity_id))).scalars().all()
    assert len(convs) == 1  # one session, one conversation
