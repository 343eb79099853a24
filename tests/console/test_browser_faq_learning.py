"""Learning from use in real headless Chromium: the operator marks a bot FAQ answer wrong and
answers with "Dùng câu trả lời này" from the FAQ search; the agency's officer sees the
proposal and the warning on the FAQ page and accepts the proposal into a new active version."""

from __future__ import annotations

from typing import Any

import pytest

from bot.faq_store import active_version
from bot.hub import HUB
from tests.browser import browser
from tests.conftest import wait_for
from tests.console.test_browser import WAIT, _login
from tests.console.test_faq_learning import (
    FAQ,
    GTVT,
    LOST,
    Citizen,
    console_app,  # noqa: F401  (the hub's default settings, FAQ polled every 0.2 s)
    feedback,
    with_faq,
)

pytestmark = pytest.mark.browser
WEATHER = "Ngày mai trời có mưa không?"


async def test_wrong_answer_used_answer_and_accepted_proposal(people: Any, console_client: Any) -> None:
    app = console_client.app
    await with_faq(app)
    citizen = await Citizen(console_client).start()
    assert (await citizen.say(LOST))["faq_id"] == "GT5"
    await citizen.say(WEATHER)
    api_op = await people("op1")
    assert (await api_op.post(f"/console/api/conversations/{citizen.conversation_id}/take"))[0] == 200

    base = str(console_client.make_url("")).rstrip("/")
    async with browser() as b:
        op = await _login(await b.new_context(), base, "op1")
        await op.click("#mine-list li.queue-item", timeout=WAIT)  # a locator: redrawn on live events
        await op.wait_for_selector("#reply-send:not([disabled])", timeout=WAIT)
        await op.click("#history li.by-bot button:has-text('Bot trả lời sai')")
        await op.wait_for_selector("#flash:has-text('câu trả lời sai')", timeout=WAIT)
        await op.fill("#faq-q", "đặt lịch đăng kiểm ô tô")
        await op.click("#faq-search")
        await op.click("#faq-results li:first-child button:has-text('Dùng câu trả lời này')")
        await op.wait_for_selector(f"#history li.by-operator:has-text('{FAQ[6].answer}')", timeout=WAIT)
        assert await feedback(app) == [
            ("marked_wrong", "GT5", GTVT, LOST),
            ("operator_used", "GT7", GTVT, WEATHER),
        ]

        officer = await _login(await b.new_context(), base, "gtvt1")
        await officer.goto(f"{base}/console/faq")
        await officer.wait_for_selector(f"#proposals li:has-text('{WEATHER}')", timeout=WAIT)
        warning = await officer.inner_text("#proposals .overlap")
        assert "trả lời sai" in warning and LOST in warning
        await officer.click(f"#proposals li:has-text('{WEATHER}') button:has-text('Chấp nhận')")
        await officer.wait_for_selector("#status:has-text('phiên bản 2')", timeout=WAIT)
        await officer.wait_for_selector("#versions tr:has-text('Đang dùng') td:has-text('2')", timeout=WAIT)

    async def accepted() -> bool:
        version = await active_version(app[HUB].sm, GTVT)
        return version is not None and version.number == 2

    assert await wait_for(accepted)
