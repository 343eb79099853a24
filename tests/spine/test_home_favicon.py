"""``/`` redirects to the citizen's chat page or the console as ``HUB_HOME`` says, and the
hub has an icon (``/favicon.svg``, ``/favicon.ico`` redirecting to it) that its pages link."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from bot.app import create_app
from bot.config import Settings


async def _client(settings: Settings, aiohttp_client: Any) -> Any:
    return await aiohttp_client(await create_app(settings))


@pytest.mark.parametrize(("home", "target"), [("webchat", "/webchat/"), ("console", "/console/")])
async def test_root_redirects_as_configured(
    hub_settings: Settings, aiohttp_client: Any, home: str, target: str
) -> None:
    client = await _client(replace(hub_settings, home=home), aiohttp_client)
    r = await client.get("/", allow_redirects=False)
    assert r.status == 302 and r.headers["Location"] == target
    r = await client.get("/")  # followed: the page itself answers
    assert r.status == 200 and r.url.path.startswith(target.rstrip("/"))


async def test_root_defaults_to_the_web_chat(client: Any) -> None:
    r = await client.get("/", allow_redirects=False)
    assert r.status == 302 and r.headers["Location"] == "/webchat/"


def test_hub_home_setting() -> None:
    assert Settings.from_env({}).home == "webchat"
    assert Settings.from_env({"HUB_HOME": ""}).home == "webchat"
    assert Settings.from_env({"HUB_HOME": " Console "}).home == "console"
    with pytest.raises(ValueError, match="HUB_HOME"):
        Settings.from_env({"HUB_HOME": "faq"})


async def test_favicon(client: Any) -> None:
    r = await client.get("/favicon.svg")
    assert r.status == 200
    assert r.content_type == "image/svg+xml"
    assert r.headers["Cache-Control"] == "no-cache"
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    body = await r.text()
    assert body.lstrip().startswith("<svg") and "1022" in body
    r = await client.get("/favicon.ico", allow_redirects=False)
    assert r.status == 301 and r.headers["Location"] == "/favicon.svg"
    r = await client.get("/favicon.ico")
    assert r.status == 200 and r.content_type == "image/svg+xml"


@pytest.mark.parametrize("page", ["/webchat/", "/console/login"])
async def test_pages_link_the_icon(client: Any, page: str) -> None:
    r = await client.get(page)
    assert r.status == 200
    assert '<link rel="icon" href="/favicon.svg" type="image/svg+xml">' in await r.text()


async def test_the_chat_page_and_widget_name_the_configured_hotline(
    hub_settings: Settings, aiohttp_client: Any
) -> None:
    name = 'Đường dây nóng 1022 Nghệ An <b>"x"</b>'
    client = await _client(replace(hub_settings, hotline_name=name), aiohttp_client)
    page = await (await client.get("/webchat/")).text()
    assert "Tổng đài 1022" not in page
    escaped = "Đường dây nóng 1022 Nghệ An &lt;b&gt;&quot;x&quot;&lt;/b&gt;"
    assert f"<title>Trò chuyện với {escaped}</title>" in page
    widget = await (await client.get("/webchat/widget.js")).text()
    assert "Tổng đài 1022" not in widget
    assert 'Hỏi đáp Đường dây nóng 1022 Nghệ An <b>\\"x\\"<\\/b>' in widget
