"""Issue 11's walk in real headless Chromium, end to end through a real hub: the conversation
engine on the hub's own cues (``--no-rasa``'s settings), a small FAQ seeded from
``walk_faq.csv`` (``HUB_FAQ_PATH``), a citizen on the web chat and an operator logged into
the console in a second browser context.

The citizen is greeted before typing anything, gets an FAQ answer naming the agency, taps a
numbered suggestion and gets that answer, asks for a person, is asked the matter, gives it
and is asked the name; the operator already sees the conversation in the queue with the
form's progress; the citizen finishes the form (skipping the e-mail with the button) and
gets a ticket code; the ticket holds the matter; the operator takes over and closes; the
citizen is told live; a reload shows the whole history."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestServer

from actions import texts
from bot.app import create_app
from bot.auth.passwords import hash_password
from bot.config import Settings
from bot.hub import HUB
from bot.runner import without_rasa
from storage.models_console import User
from storage.record.conversations import closed_notice
from tests.browser import browser
from tests.console.conftest import PASSWORD

pytestmark = pytest.mark.browser

WAIT = 30000  # ms: the machine may be busy
FAQ = Path(__file__).with_name("walk_faq.csv")
OPERATOR = "walk-op"

QUESTION = "Cho tôi hỏi đăng ký tạm trú cần những giấy tờ gì ạ?"
VAGUE = "giấy phép lái xe"  # a short search two entries share
CHOSEN = "Cấp lại giấy phép lái xe bị mất cần làm gì?"
PERSON = "cho tôi gặp cán bộ"
MATTER = "Đèn đường trước nhà tôi ở thôn 3 bị hỏng hai tuần nay, buổi tối rất tối"
NAME, PHONE, ADDRESS = "Nguyễn Văn An", "0912345678", "Thôn 3, xã Yên Trường, huyện Yên Định"

# the citizen's n-th message has its reply: the id of the bot message right after it
REPLY_TO = """n => {
  const all = [...document.querySelectorAll('#messages > li.msg')];
  const ins = all.filter(e => e.classList.contains('in'));
  if (ins.length < n || document.querySelector('#messages .typing')) return false;
  const next = all[all.indexOf(ins[n - 1]) + 1];
  return next && next.classList.contains('out') ? next.dataset.id : false;
}"""


@pytest.fixture
async def walk(hub_settings: Settings) -> AsyncIterator[tuple[str, Any]]:
    """A hub as ``python -m bot run --no-rasa`` would build it, with the FAQ seeded and an
    operator account; its address and its Hub."""
    settings = without_rasa(replace(hub_settings, faq_path=FAQ, faq_semantic=False, faq_poll_interval=0.5))
    app = await create_app(settings)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    hub = app[HUB]
    now = hub.clock.now()
    async with hub.sm() as s, s.begin():
        s.add(
            User(
                username=OPERATOR,
                full_name="Cán bộ trực",
                password_hash=hash_password(PASSWORD),
                role="operator",
                agency_id=None,
                active=True,
                created_at=now,
                updated_at=now,
            )
        )
    yield f"http://127.0.0.1:{server.port}", hub
    await server.close()


async def _login(ctx: Any, base: str) -> Any:
    page = await ctx.new_page()
    await page.goto(f"{base}/console/login")
    await page.fill("#username", OPERATOR)
    await page.fill("#password", PASSWORD)
    await page.wait_for_selector("#login-submit:not([disabled])", timeout=WAIT)
    await page.click("#login-submit")
    await page.wait_for_url(f"{base}/console/", timeout=WAIT)
    await page.wait_for_selector("#live:text('●')", timeout=WAIT)  # live updates connected
    return page


async def _reply(page: Any, turn: int) -> Any:
    """The bot's reply to the citizen's ``turn``-th message (a locator of that message)."""
    handle = await page.wait_for_function(REPLY_TO, arg=turn, timeout=WAIT)
    return page.locator(f"#messages li.msg[data-id='{await handle.json_value()}']")


async def _say(page: Any, text: str) -> tuple[Any, str]:
    """The citizen types ``text``; the reply (locator, text) once it is shown."""
    turn = await page.locator("#messages li.msg.in").count() + 1
    await page.fill("#text", text)
    await page.click("#send")
    return await _shown_reply(page, turn, text)


async def _tap(page: Any, message: Any, title: str) -> tuple[Any, str]:
    """The citizen taps the button ``title`` of ``message`` (its payload is the same text);
    the reply once shown."""
    turn = await page.locator("#messages li.msg.in").count() + 1
    await message.get_by_role("button", name=title, exact=True).click()
    return await _shown_reply(page, turn, title)


async def _shown_reply(page: Any, turn: int, sent: str) -> tuple[Any, str]:
    reply = await _reply(page, turn)
    said = page.locator("#messages li.msg.in .text").nth(turn - 1)
    assert await said.text_content() == sent
    return reply, str(await reply.locator(".text").text_content())


async def _texts(page: Any) -> list[str]:
    shown: list[str] = await page.eval_on_selector_all(
        "#messages > li.msg", "els => els.map(e => e.querySelector('.text').textContent)"
    )
    return shown


async def test_citizen_walk_with_an_operator_in_the_console(walk: tuple[str, Any]) -> None:
    base, hub = walk
    hotline = hub.settings.hotline_name
    async with browser() as b:
        citizen_ctx, op_ctx = await b.new_context(), await b.new_context()
        op = await _login(op_ctx, base)
        await op.wait_for_selector("#queue-list li.empty", timeout=WAIT)

        # 1. the greeting, before the citizen types anything
        chat = await citizen_ctx.new_page()
        await chat.goto(f"{base}/webchat/")
        await chat.wait_for_selector("#status:text('Đã kết nối')", timeout=WAIT)
        greeting = chat.locator("#messages li.msg.out").first
        await greeting.wait_for(timeout=WAIT)
        assert await chat.locator("#messages li.msg").count() == 1
        greeting_text = str(await greeting.locator(".text").text_content())
        assert greeting_text.startswith(f"{hotline} xin chào")
        assert await greeting.get_by_role("button", name=texts.PERSON, exact=True).is_enabled()
        conv_id = await greeting.get_attribute("data-conversation")

        # 2. a question answered from the FAQ, naming the agency
        _, answer = await _say(chat, QUESTION)
        assert "chứng minh chỗ ở hợp pháp" in answer
        assert answer.endswith("(Nội dung trả lời của Công an tỉnh.)")

        # 3. numbered suggestions: one tapped, its answer shown
        offer, offered = await _say(chat, VAGUE)
        numbers = dict(re.findall(r"^(\d)\. (.+)$", offered, re.M))
        assert len(numbers) >= 2 and CHOSEN in numbers.values(), offered
        chosen = next(k for k, q in numbers.items() if q == CHOSEN)
        _, chosen_answer = await _tap(chat, offer, chosen)
        assert "bộ phận một cửa" in chosen_answer
        assert chosen_answer.endswith("(Nội dung trả lời của Sở Giao thông vận tải.)")
        assert await offer.locator(".buttons button:not([disabled])").count() == 0

        # 4. a person asked for: the matter is asked first, then the name
        _, asked = await _say(chat, PERSON)
        assert "nội dung cần cán bộ hỗ trợ" in asked
        queued = f"#queue-list li.queue-item[data-id='{conv_id}']"
        await op.wait_for_selector(
            f"{queued} .form-progress:text-is('Đang hỏi: nội dung (0/4)')", timeout=WAIT
        )
        _, asked = await _say(chat, MATTER)
        assert asked.startswith(texts.FIELD_PROMPTS["full_name"])

        # 5. the operator sees it in the queue with the form's progress, before it is finished
        await op.wait_for_selector(f"{queued} .form-progress:text-is('Đang hỏi: họ tên (1/4)')", timeout=WAIT)
        await op.click(queued)
        await op.wait_for_selector(f"#history li.msg-in:has-text('{MATTER}')", timeout=WAIT)
        await op.wait_for_selector("#conv-meta:has-text('Đang hỏi: họ tên (1/4)')", timeout=WAIT)

        # 6. the form finished (the e-mail skipped with its button): a ticket code
        _, asked = await _say(chat, NAME)
        assert asked.startswith(texts.FIELD_PROMPTS["phone"])
        _, asked = await _say(chat, PHONE)
        assert asked.startswith(texts.FIELD_PROMPTS["address"])
        email_question, asked = await _say(chat, ADDRESS)
        assert asked.startswith(texts.FIELD_PROMPTS["email"])
        ticket_reply, told = await _tap(chat, email_question, texts.SKIP)
        code = str(await ticket_reply.locator(".ticket").text_content()).removeprefix("Mã phiếu: ")
        assert re.fullmatch(r"1022-\d{4}-\d{6}", code) and f"mã phiếu: {code}" in told

        # the ticket, in the console, holds the matter and the citizen's contact
        link = await op.wait_for_selector(f"#conv-tickets li.ticket-link:has-text('{code}')", timeout=WAIT)
        await link.click()
        await op.wait_for_selector(f"#ticket-code:has-text('{code}')", timeout=WAIT)
        assert MATTER in await op.inner_text("#ticket-body")
        contact = await op.inner_text("#ticket-contact")
        assert NAME in contact and PHONE in contact

        # 7. the operator takes over and closes; the citizen is told, live
        await op.click("#tabs button[data-view='queue']")
        await op.wait_for_selector("#take:not([disabled])", timeout=WAIT)
        await op.click("#take")
        await op.wait_for_selector("#reply-send:not([disabled])", timeout=WAIT)
        await op.click("#conv-close")
        await op.wait_for_selector("#conv-meta:has-text('đã đóng')", timeout=WAIT)
        notice = chat.locator("#messages li.msg.closed-notice")
        await notice.wait_for(timeout=WAIT)
        assert await notice.locator(".text").text_content() == closed_notice(hotline)
        assert await chat.locator("#messages button:not([disabled])").count() == 0

        # 8. a reload shows the whole history: greeting, answers, ticket code, close notice
        before = await _texts(chat)
        await chat.reload()
        await chat.wait_for_function(
            "n => document.querySelectorAll('#messages > li.msg').length === n", arg=len(before), timeout=WAIT
        )
        history = await _texts(chat)
        assert history == before
        assert history[0] == greeting_text and history[-1] == closed_notice(hotline)
        assert answer in history and chosen_answer in history and told in history
        assert MATTER in history
        assert await chat.locator("#messages li.msg .ticket").all_text_contents() == [f"Mã phiếu: {code}"]
        assert await chat.locator("#messages li.msg.closed-notice").count() == 1
        for ctx in (citizen_ctx, op_ctx):
            await ctx.close()
