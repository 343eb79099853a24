"""The three-pane agent screen in real headless Chromium at 1366×768: the panes side by side
with the reply box in view, taking the next conversation by keyboard, inserting an FAQ answer
with "/" and editing it before sending, and the ticket ↔ conversation round trip."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser import browser
from tests.conftest import wait_for
from tests.console.conftest import PASSWORD
from tests.console.test_browser import WAIT, _login
from tests.console.test_faq_learning import (
    Citizen,
    console_app,  # noqa: F401  (the hub's default settings, FAQ polled every 0.2 s)
    with_faq,
)

pytestmark = pytest.mark.browser
SCREEN = {"width": 1366, "height": 768}
ASK_PERSON = "Cho tôi gặp cán bộ"
XSS_NAME = '<img src=x onerror="window.__xss=1"><b id="inj">Mai</b>'
OPEN_ITEM = "#queue-list li.queue-item.on"
MINE_ITEM = "#mine-list li.queue-item"
OPERATOR = "#history li.by-operator"
NOTE = "#history li.msg-internal"


async def _waiting(people: Any, *citizens: Citizen) -> Any:
    """The operator's API session once every citizen's conversation waits in the queue."""
    api_op = await people("op1")

    async def all_waiting() -> bool:
        _, q = await api_op.get("/console/api/queue")
        return {c.conversation_id for c in citizens} <= {c["id"] for c in q["waiting"]}

    await wait_for(all_waiting, timeout=20)
    return api_op


async def _box(page: Any, selector: str) -> dict[str, float]:
    box = await page.locator(selector).bounding_box()
    assert box is not None, f"{selector} is not rendered"
    return dict(box)


async def test_three_panes_with_the_reply_box_in_view(people: Any, console_client: Any) -> None:
    citizen = await Citizen(console_client).start()
    await citizen.say(ASK_PERSON)
    for i in range(25):  # a long history: the reply box must stay in view, not below it
        await citizen.say(f"Tin nhắn số {i} của tôi về việc cấp giấy phép xây dựng nhà ở")
    api_op = await _waiting(people, citizen)
    _, detail = await api_op.get(f"/console/api/conversations/{citizen.conversation_id}")
    # a citizen-supplied name with markup: text in the queue, the title and the contact form
    status, _ = await api_op.post(f"/console/api/contacts/{detail['contact']['id']}", {"full_name": XSS_NAME})
    assert status == 200
    base = str(console_client.make_url("")).rstrip("/")
    async with browser() as b:
        page = await _login(await b.new_context(viewport=SCREEN), base, "op1")
        await page.click(f"#queue-list li.queue-item[data-id='{citizen.conversation_id}']", timeout=WAIT)
        await page.wait_for_selector("#conv-title:has-text('onerror')", timeout=WAIT)
        assert await page.input_value("#contact-full_name") == XSS_NAME
        assert XSS_NAME in await page.inner_text("#queue-list")
        assert await page.evaluate("document.querySelectorAll('main img, main script, #inj').length") == 0
        assert await page.evaluate("typeof window.__xss") == "undefined"
        await page.wait_for_selector("#history li.msg-in:has-text('Tin nhắn số 24')", timeout=WAIT)
        await page.wait_for_selector("#context:not([hidden])", timeout=WAIT)
        left, centre, right = [await _box(page, s) for s in ("#pane-queues", "#conv", "#context")]
        # three columns side by side, none overlapping, all within the screen
        assert left["x"] + left["width"] <= centre["x"] + 1
        assert centre["x"] + centre["width"] <= right["x"] + 1
        assert right["x"] + right["width"] <= SCREEN["width"]
        for box in (left, centre, right):
            assert box["y"] + box["height"] <= SCREEN["height"] + 1
        # the reply box is fixed at the bottom of the centre pane, the history scrolls above it
        composer = await _box(page, "#composer")
        assert composer["y"] + composer["height"] <= SCREEN["height"]
        assert await page.locator("#reply-text").is_visible()
        assert await page.evaluate(
            "(() => { const h = document.getElementById('history');"
            " return h.scrollHeight > h.clientHeight; })()"
        )
        # the queue item carries channel icon, name, waiting time, SLA colour and unread count
        item = page.locator(f"#queue-list li.queue-item[data-id='{citizen.conversation_id}']")
        assert await item.locator(".chan.chan-webchat").count() == 1
        assert await item.locator(".wait").count() == 1
        # the context: contact fields, the citizen's channels, tickets and "Lập phiếu"
        assert await page.locator("#contact-full_name").is_visible()
        assert "Trò chuyện trên Web" in await page.inner_text("#contact-channels")
        assert await page.locator("#ticket-form").is_visible()
        # actions that fit: a waiting conversation can be taken, not handed back
        assert await page.locator("#take").is_visible()
        assert not await page.locator("#release").is_visible()


async def test_take_the_next_conversation_by_keyboard(people: Any, console_client: Any) -> None:
    first, second = await Citizen(console_client).start(), await Citizen(console_client).start()
    await first.say(ASK_PERSON)
    await second.say(ASK_PERSON)
    api_op = await _waiting(people, first, second)
    base = str(console_client.make_url("")).rstrip("/")
    async with browser() as b:
        page = await _login(await b.new_context(viewport=SCREEN), base, "op1")
        await page.wait_for_selector("#queue-list li.queue-item >> nth=1", timeout=WAIT)
        await page.keyboard.press("Alt+N")  # the oldest waiting conversation opens
        await page.wait_for_selector(f"{OPEN_ITEM}[data-id='{first.conversation_id}']", timeout=WAIT)
        await page.wait_for_selector("#take:visible", timeout=WAIT)
        await page.keyboard.press("Alt+T")  # and is taken
        await page.wait_for_selector(f"{MINE_ITEM}[data-id='{first.conversation_id}']", timeout=WAIT)
        await page.wait_for_selector("#reply-send:not([disabled])", timeout=WAIT)
        _, q = await api_op.get("/console/api/queue")
        taken = {c["id"]: c for c in q["mine"] + q["others"]}
        assert first.conversation_id in taken and second.conversation_id in [c["id"] for c in q["waiting"]]
        # typing and Ctrl+Enter sends; the focus is in the reply box after taking
        await page.keyboard.type("Chào anh/chị, tôi là cán bộ tổng đài.")
        await page.keyboard.press("Control+Enter")
        await page.wait_for_selector(f"{OPERATOR}:has-text('tôi là cán bộ tổng đài')", timeout=WAIT)
        # Alt+N again: the next waiting conversation
        await page.keyboard.press("Alt+N")
        await page.wait_for_selector(
            f"#queue-list li.queue-item.on[data-id='{second.conversation_id}']", timeout=WAIT
        )
        # Alt+G switches the box to an internal note, which the citizen never gets
        await page.keyboard.press("Alt+G")
        await page.wait_for_selector("#mode-note.on", timeout=WAIT)
        await page.fill("#reply-text", "Ghi chú: công dân đã gọi điện trước đó")
        await page.keyboard.press("Control+Enter")
        await page.wait_for_selector(f"{NOTE}:has-text('đã gọi điện trước đó')", timeout=WAIT)


async def test_insert_an_faq_answer_and_edit_it_before_sending(people: Any, console_client: Any) -> None:
    await with_faq(console_client.app)
    citizen = await Citizen(console_client).start()
    await citizen.say(ASK_PERSON)
    api_op = await _waiting(people, citizen)
    assert (await api_op.post(f"/console/api/conversations/{citizen.conversation_id}/take"))[0] == 200
    base = str(console_client.make_url("")).rstrip("/")
    async with browser() as b:
        page = await _login(await b.new_context(viewport=SCREEN), base, "op1")
        await page.click(f"#mine-list li.queue-item[data-id='{citizen.conversation_id}']", timeout=WAIT)
        await page.wait_for_selector("#reply-send:not([disabled])", timeout=WAIT)
        await page.click("#reply-text")
        await page.keyboard.type("/bang lai het han")  # no diacritics, as operators type fast
        await page.wait_for_selector("#suggest li.suggest-item:has-text('Giấy phép lái xe')", timeout=WAIT)
        options = await page.locator("#suggest li.suggest-item").all_inner_texts()
        pick = next(i for i, text in enumerate(options) if "Giấy phép lái xe ô tô hết hạn" in text)
        for _ in range(pick):
            await page.keyboard.press("ArrowDown")
        await page.keyboard.press("Enter")
        inserted = await page.input_value("#reply-text")
        assert inserted.startswith("Cấp đổi tại Công an tỉnh")
        assert "/bang" not in inserted
        assert await page.locator("#suggest").is_hidden()
        await page.keyboard.type(" Anh/chị mang theo căn cước khi đến.")  # edited before sending
        await page.click("#reply-send")
        edited = inserted + " Anh/chị mang theo căn cước khi đến."
        await page.wait_for_selector("#history li.by-operator:has-text('mang theo căn cước')", timeout=WAIT)

    async def delivered() -> bool:
        _, conv = await api_op.get(f"/console/api/conversations/{citizen.conversation_id}")
        return any(m["sender"] == "operator" and m["text"] == edited for m in conv["messages"])

    await wait_for(delivered)


async def test_ticket_and_conversation_link_both_ways(people: Any, console_client: Any) -> None:
    citizen = await Citizen(console_client).start()
    await citizen.say(ASK_PERSON)
    api_op = await _waiting(people, citizen)
    status, body = await api_op.post(
        f"/console/api/conversations/{citizen.conversation_id}/tickets", {"content": "Hỏi về đất đai"}
    )
    assert status == 200, body
    code = body["ticket"]["code"]
    base = str(console_client.make_url("")).rstrip("/")
    async with browser() as b:
        page = await _login(await b.new_context(viewport=SCREEN), base, "op1")
        await page.click(f"#queue-list li.queue-item[data-id='{citizen.conversation_id}']", timeout=WAIT)
        await page.click(f"#conv-tickets li.ticket-link:has-text('{code}')", timeout=WAIT)
        await page.wait_for_selector(f"#ticket-code:has-text('{code}')", timeout=WAIT)
        assert await page.locator("#view-tickets").is_visible()
        assert not await page.locator("#ticket-form").is_visible()  # an open ticket: no second one
        await page.click("#ticket-conv-link")
        await page.wait_for_selector("#view-queue:visible", timeout=WAIT)
        await page.wait_for_selector(f"#history li.msg-in:has-text('{ASK_PERSON}')", timeout=WAIT)
        await page.wait_for_selector(f"#conv-tickets li.ticket-link:has-text('{code}')", timeout=WAIT)
        # and back again to the same ticket
        await page.click(f"#conv-tickets li.ticket-link:has-text('{code}')")
        await page.wait_for_selector(f"#ticket-code:has-text('{code}')", timeout=WAIT)


async def test_unread_typing_and_delivery_indicators(people: Any, console_client: Any) -> None:
    base = str(console_client.make_url("")).rstrip("/")
    api_op = await people("op1")
    async with browser() as b:
        citizen = await (await b.new_context()).new_page()
        await citizen.goto(f"{base}/webchat/")
        await citizen.fill("#text", ASK_PERSON)
        await citizen.click("#send")
        await citizen.wait_for_selector("#messages li:has-text('Xin anh/chị cho biết')", timeout=WAIT)
        _, q = await api_op.get("/console/api/queue")
        conv_id = q["waiting"][0]["id"]
        assert (await api_op.post(f"/console/api/conversations/{conv_id}/take"))[0] == 200
        await citizen.fill("#text", "Tôi cần hỏi gấp về hộ khẩu")
        await citizen.click("#send")

        page = await _login(await b.new_context(viewport=SCREEN), base, "op1")
        # the citizen's message after the last reply counts as unread in the queue
        await page.wait_for_selector(
            f"#mine-list li.queue-item[data-id='{conv_id}'] .unread-count:text-is('1')", timeout=WAIT
        )
        await page.click(f"#mine-list li.queue-item[data-id='{conv_id}']")
        await page.wait_for_selector("#reply-send:not([disabled])", timeout=WAIT)
        await page.click("#reply-text")
        reply = "Cán bộ Lan xin trả lời"
        await page.keyboard.type(reply)
        # the web chat shows that an officer is writing
        await citizen.wait_for_selector("#messages li.typing:has-text('Cán bộ đang nhập')", timeout=WAIT)
        await page.keyboard.press("Control+Enter")
        await citizen.wait_for_selector(f"#messages li.msg.out:has-text('{reply}')", timeout=WAIT)
        assert await citizen.locator("#messages li.typing:has-text('Cán bộ đang nhập')").count() == 0
        # the reply carries its delivery state in Vietnamese, and nothing is unread any more
        state = await page.inner_text(f"{OPERATOR}:has-text('{reply}') .delivery", timeout=WAIT)
        assert any(word in state for word in ("đang gửi", "đã gửi", "đã nhận", "đã xem")), state
        await page.wait_for_selector(f"#mine-list li.queue-item[data-id='{conv_id}']", timeout=WAIT)
        await page.locator(f"#mine-list li.queue-item[data-id='{conv_id}'] .unread-count").wait_for(
            state="detached", timeout=WAIT
        )


# Records the console's desktop notifications (the real API shows nothing in headless Chromium).
SPY_NOTIFICATIONS = """
window.__notes = [];
window.Notification = class {
  constructor(title, options) { window.__notes.push(title + " | " + ((options && options.body) || "")); }
  static requestPermission() { return Promise.resolve("granted"); }
};
window.Notification.permission = "default";
"""


async def test_opt_in_desktop_notification_for_a_new_waiting_conversation(
    people: Any, console_client: Any
) -> None:
    base = str(console_client.make_url("")).rstrip("/")
    async with browser() as b:
        ctx = await b.new_context(viewport=SCREEN)
        await ctx.add_init_script(SPY_NOTIFICATIONS)
        page = await _login(ctx, base, "op1")
        await page.wait_for_selector("#queue-list li.empty", timeout=WAIT)
        await page.check("#notify-toggle")  # opt in: the browser is asked for permission
        await page.evaluate("Notification.permission = 'granted'")
        citizen = await Citizen(console_client).start()
        await citizen.say(ASK_PERSON)
        await page.wait_for_selector(
            f"#queue-list li.queue-item[data-id='{citizen.conversation_id}']", timeout=WAIT
        )
        notes = await page.evaluate("window.__notes")  # set in the same redraw as the item
        assert notes and notes[0].startswith("Hội thoại mới đang chờ cán bộ | ")
        assert "Trò chuyện trên Web" in notes[0]
        assert await page.evaluate("localStorage.getItem('hc.notify')") == "1"  # kept for next time


async def test_a_conversation_link_survives_the_login(people: Any, console_client: Any) -> None:
    citizen = await Citizen(console_client).start()
    await citizen.say(ASK_PERSON)
    await _waiting(people, citizen)
    base = str(console_client.make_url("")).rstrip("/")
    async with browser() as b:
        page = await (await b.new_context(viewport=SCREEN)).new_page()
        await page.goto(f"{base}/console/#conversation={citizen.conversation_id}")  # signed out
        await page.wait_for_url(f"{base}/console/login#conversation={citizen.conversation_id}", timeout=WAIT)
        await page.fill("#username", "op1")
        await page.fill("#password", PASSWORD)
        await page.wait_for_selector("#login-submit:not([disabled])", timeout=WAIT)
        await page.click("#login-submit")
        await page.wait_for_selector(f"#history li.msg-in:has-text('{ASK_PERSON}')", timeout=WAIT)
        assert (
            await page.locator(f"#queue-list li.queue-item.on[data-id='{citizen.conversation_id}']").count()
            == 1
        )
