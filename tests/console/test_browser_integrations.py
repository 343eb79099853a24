"""The console's "Tích hợp" page (issue 17) in real headless Chromium, against a hub whose own
workers deliver webhooks to a real receiver on loopback (it checks each signature with its own
HMAC code). A token's name with markup stays text. An admin is refused a token without a
scope, in Vietnamese; creates a token, which the page shows once (copied to the clipboard)
and which works on /api/v1; after a reload the page shows only its start; revokes it
(confirmed) and /api/v1 refuses it. The admin is refused an ftp URL; adds a webhook endpoint
(its secret shown once); a ticket is opened, the failing receiver leaves a failed delivery in
the page's log (filters, paging), "Gửi lại" delivers it signed; the endpoint is paused and
deleted, its log kept. An operator has no "Tích hợp" entry and the APIs answer 403."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp import web
from sqlalchemy import select

from bot.hub import HUB
from storage.models_webhooks import WebhookDelivery
from tests.browser import browser
from tests.conftest import wait_for
from tests.console.test_browser import WAIT, _login
from tests.console.test_browser_labels import english_in
from tests.webhooks.conftest import Receiver, console_app, receiver  # noqa: F401  (fixtures)
from tests.webhooks.test_console_admin import _ticket

pytestmark = pytest.mark.browser
SCREEN = {"width": 1366, "height": 900}
TOKENS = "/console/api/integrations/tokens"
MARKUP = '<img src=x onerror="window.__xss=1"><b id="inj">Ứng dụng</b>'


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def _delivery_status(app: web.Application) -> str | None:
    async with app[HUB].sm() as s:
        rows = (await s.execute(select(WebhookDelivery.status))).scalars().all()
    return rows[0] if len(rows) == 1 else None


async def _tokens(page: Any, console_client: Any) -> None:
    await page.click("#tabs button[data-view='integrations']")
    # a name with markup (made through the API) stays text
    await page.wait_for_selector("#tokens-rows tr.token", timeout=WAIT)
    assert MARKUP in await page.inner_text("#tokens-rows")
    assert await page.evaluate("document.querySelectorAll('main img, #inj').length") == 0
    # no scope chosen: the API's Vietnamese refusal is shown, nothing is created
    await page.fill("#token-name", "Phản hồi Thanh Hóa")
    await page.click("#token-create")
    await page.wait_for_selector("#flash.bad:has-text('Cần ít nhất một phạm vi')", timeout=WAIT)
    assert await page.is_hidden("#token-secret")

    await page.check("#token-scopes input[value='faq:read']")
    await page.check("#token-scopes input[value='tickets:read']")
    await page.click("#token-create")
    await page.wait_for_selector("#token-secret:visible", timeout=WAIT)
    assert "Mã chỉ hiển thị một lần" in await page.inner_text("#token-secret")
    token = await page.input_value("#token-secret-value")
    assert token.startswith("h1022_")
    row = "#tokens-rows tr.token:has-text('Phản hồi Thanh Hóa')"
    await page.wait_for_selector(row, timeout=WAIT)
    text = await page.inner_text(row)
    assert token not in text and token[:12] in text and "Tra cứu bộ câu hỏi (FAQ)" in text
    await page.click("#token-secret-copy")
    await page.wait_for_selector("#flash:has-text('Đã sao chép')", timeout=WAIT)
    assert await page.evaluate("navigator.clipboard.readText()") == token
    # the token shown is the real one
    r = await console_client.get("/api/v1/faq?q=tiem+vac+xin", headers=bearer(token))
    assert r.status == 200, await r.text()

    await page.click("#token-secret-done")
    assert await page.is_hidden("#token-secret") and await page.input_value("#token-secret-value") == ""
    # after a reload only its start is left
    await page.reload()
    await page.wait_for_selector("#live:text('●')", timeout=WAIT)
    await page.click("#tabs button[data-view='integrations']")
    await page.wait_for_selector(row, timeout=WAIT)
    assert await page.is_hidden("#token-secret")
    assert token not in await page.content()
    assert "chưa dùng" not in await page.inner_text(row)  # its use above is recorded

    # revoke, after a confirmation
    dialogs: list[str] = []

    async def accept(dialog: Any) -> None:
        dialogs.append(dialog.message)
        await dialog.accept()

    page.once("dialog", accept)
    await page.click(f"{row} button:has-text('Thu hồi')")
    await page.wait_for_selector(f"{row}:has-text('đã thu hồi')", timeout=WAIT)
    assert dialogs and "Thu hồi mã truy cập" in dialogs[0]
    assert await page.locator(f"{row} button").count() == 0
    r = await console_client.get("/api/v1/faq?q=tiem+vac+xin", headers=bearer(token))
    assert r.status == 401


async def _webhooks(page: Any, app: web.Application, receiver: Receiver) -> None:  # noqa: F811
    await page.fill("#webhook-url", "ftp://127.0.0.1/hook")
    await page.click("#webhook-create")
    await page.wait_for_selector("#flash.bad:has-text('phải là URL http(s)')", timeout=WAIT)
    assert await page.is_hidden("#webhook-secret")
    assert await page.locator("#webhooks-rows tr.endpoint").count() == 0
    await page.fill("#webhook-name", "Smart Thanh Hóa")
    await page.fill("#webhook-url", receiver.url)
    await page.check("#webhook-events input[value='ticket.created']")
    await page.click("#webhook-create")
    await page.wait_for_selector("#webhook-secret:visible", timeout=WAIT)
    assert "chỉ hiển thị một lần" in await page.inner_text("#webhook-secret")
    receiver.secret = await page.input_value("#webhook-secret-value")
    assert receiver.secret.startswith("whsec_")
    endpoint = "#webhooks-rows tr.endpoint:has-text('Smart Thanh Hóa')"
    await page.wait_for_selector(f"{endpoint}:has-text('đang bật')", timeout=WAIT)
    assert receiver.secret not in await page.inner_text("#webhooks-rows")

    receiver.fail_next = 2  # down for both attempts (HUB_WEBHOOK_MAX_ATTEMPTS=2)
    code = await _ticket(app)
    await wait_for(lambda: _is(app, "failed"), timeout=15)
    await page.click("#deliveries-refresh")
    failed = f"#deliveries-rows tr.wh-row-failed:has-text('{code}')"
    await page.wait_for_selector(failed, timeout=WAIT)
    text = await page.inner_text(failed)
    assert "Phiếu mới" in text and "Smart Thanh Hóa" in text and "HTTP 500" in text and "thất bại" in text
    # the filters: nothing delivered yet; the failed one by its ticket's code
    await page.select_option("#delivery-status", "delivered")
    await page.wait_for_selector("#deliveries-rows td.empty", timeout=WAIT)
    await page.select_option("#delivery-status", "failed")
    await page.fill("#delivery-ticket", code)
    await page.click("#delivery-filter")
    await page.wait_for_selector(failed, timeout=WAIT)
    assert await page.inner_text("#deliveries-page") == "Trang 1/1 · 1 lần gửi"
    assert english_in(await page.evaluate("document.body.innerText")) == []  # Vietnamese only

    await page.click(f"{failed} button:has-text('Gửi lại')")
    await page.wait_for_selector("#flash:has-text('để gửi lại')", timeout=WAIT)
    await wait_for(lambda: receiver.accepted, timeout=15)
    assert receiver.types() == ["ticket.created"] and receiver.accepted[0].signature_ok
    assert receiver.accepted[0].body["ticket"]["code"] == code
    await wait_for(lambda: _is(app, "delivered"), timeout=15)
    await page.select_option("#delivery-status", "")
    await page.wait_for_selector(f"#deliveries-rows tr.wh-row-delivered:has-text('{code}')", timeout=WAIT)

    # paging, newest first (20 a page): 20 more tickets put the first one on page 2
    for _ in range(20):
        await _ticket(app)
    await page.fill("#delivery-ticket", "")
    await page.click("#delivery-filter")
    await page.wait_for_selector("#deliveries-page:has-text('Trang 1/2 · 21 lần gửi')", timeout=WAIT)
    assert code not in await page.inner_text("#deliveries-rows")
    assert await page.is_disabled("#deliveries-prev")
    await page.click("#deliveries-next")
    await page.wait_for_selector("#deliveries-page:has-text('Trang 2/2 · 21 lần gửi')", timeout=WAIT)
    assert code in await page.inner_text("#deliveries-rows")
    assert await page.is_disabled("#deliveries-next")

    await page.click(f"{endpoint} button:has-text('Tạm dừng')")
    await page.wait_for_selector(f"{endpoint}:has-text('tạm dừng')", timeout=WAIT)
    page.once("dialog", lambda d: d.accept())
    await page.click(f"{endpoint} button:has-text('Xoá')")
    await page.wait_for_selector("#webhooks-rows td.empty", timeout=WAIT)
    await page.wait_for_selector("#deliveries-rows tr:has-text('Smart Thanh Hóa (đã xoá)')", timeout=WAIT)


async def _is(app: web.Application, status: str) -> bool:
    return await _delivery_status(app) == status


async def test_admin_manages_tokens_and_webhooks(
    people: Any,
    console_client: Any,
    console_app: web.Application,  # noqa: F811
    receiver: Receiver,  # noqa: F811
) -> None:
    base = str(console_client.make_url("")).rstrip("/")
    admin = await people("admin1")
    assert (await admin.post(TOKENS, {"name": MARKUP, "scopes": ["answers:read"]}))[0] == 201
    async with browser() as b:
        ctx = await b.new_context(viewport=SCREEN, permissions=["clipboard-read", "clipboard-write"])
        errors: list[str] = []
        ctx.on("weberror", lambda e: errors.append(str(e.error)))
        page = await _login(ctx, base, "admin1")
        await _tokens(page, console_client)
        await _webhooks(page, console_app, receiver)

        op_page = await _login(await b.new_context(viewport=SCREEN), base, "op1")
        assert await op_page.is_hidden("#tabs button[data-view='integrations']")
        assert await op_page.is_visible("#tabs button[data-view='queue']")
        assert await page.is_visible("#tabs button[data-view='integrations']")
        assert errors == []  # no script error in the admin's page
        assert await page.evaluate("typeof window.__xss") == "undefined"
    op = await people("op1")
    assert (await op.get(TOKENS))[0] == 403
    assert (await op.post(TOKENS, {"name": "x", "scopes": ["faq:read"]}))[0] == 403
    assert (await op.get("/console/api/webhooks"))[0] == 403
    assert (await op.get("/console/api/webhooks/deliveries"))[0] == 403
