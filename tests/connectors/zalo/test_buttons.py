"""Suggestions as Zalo OA buttons, over real HTTP against the simulator: the text-with-button-
template shape goes out and is accepted, what Zalo refuses is refused with Zalo's codes, and a
tap comes back as a signed ``user_send_text`` whose text is the button's payload."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from connectors.base import Attachment, EventKind, OutboundMessage, QuickReply
from connectors.zalo import ZaloConnector
from connectors.zalo.client import ZaloClient
from connectors.zalo.errors import ZaloAPIError
from devtools.zalo import ZaloSimulator
from tests.connectors.zalo.conftest import USER_ID
from tests.connectors.zalo.test_signature import Server, serve

SUGGESTIONS = (
    QuickReply("1. " + "Đăng ký khai sinh cho con khi cha mẹ chưa đăng ký kết hôn " * 3, "1"),
    QuickReply("2. Lệ phí cấp căn cước", "2"),
    QuickReply("Không phải các câu trên", "Không phải các câu trên"),
)


def suggest(
    text: str, replies: tuple[QuickReply, ...] = SUGGESTIONS, *, attachments: tuple[Attachment, ...] = ()
) -> OutboundMessage:
    return OutboundMessage(
        channel="zalo",
        external_user_id=USER_ID,
        text=text,
        message_id=501,
        conversation_id=1,
        attachments=attachments,
        quick_replies=replies,
    )


def buttons(sent_message: dict[str, Any]) -> list[dict[str, Any]]:
    template = sent_message["attachment"]
    assert template["type"] == "template" and set(template["payload"]) == {"buttons"}
    found: list[dict[str, Any]] = template["payload"]["buttons"]
    return found


async def test_text_with_buttons_is_sent_and_accepted(sim: ZaloSimulator, connector: ZaloConnector) -> None:
    result = await connector.send(suggest("Có phải anh/chị muốn hỏi:"))
    [sent] = sim.sent
    assert result.channel_message_ids == (sent.message_id,)
    assert sent.message["text"] == "Có phải anh/chị muốn hỏi:"
    shown = buttons(sent.message)
    assert [b["type"] for b in shown] == ["oa.query.show"] * 3
    assert [b["payload"] for b in shown] == ["1", "2", "Không phải các câu trên"]
    assert len(shown[0]["title"]) <= 100 and shown[0]["title"].endswith("…")
    assert [b["title"] for b in shown[1:]] == ["2. Lệ phí cấp căn cước", "Không phải các câu trên"]


async def test_at_most_five_buttons_on_the_last_text_part_only(
    sim: ZaloSimulator, connector: ZaloConnector
) -> None:
    many = tuple(QuickReply(f"Lựa chọn {i}", str(i)) for i in range(1, 9))
    long_text = ("Câu trả lời dài về thủ tục hành chính. " * 80).strip()  # > 2,000: split
    await connector.send(suggest(long_text, many))
    *first, last = sim.sent
    assert first and all("attachment" not in s.message for s in first)
    assert [b["payload"] for b in buttons(last.message)] == ["1", "2", "3", "4", "5"]


async def test_buttons_without_text_get_a_short_prompt(sim: ZaloSimulator, connector: ZaloConnector) -> None:
    image = Attachment(kind="image", url="https://1022.thanhhoa.gov.vn/anh/so-do.png")
    await connector.send(suggest("", (QuickReply("Gặp cán bộ", "Gặp cán bộ"),), attachments=(image,)))
    prompt, picture = sim.sent
    assert (
        prompt.message["text"] == "Mời anh/chị chọn:"
        and buttons(prompt.message)[0]["payload"] == "Gặp cán bộ"
    )
    assert picture.message["attachment"]["payload"]["template_type"] == "media"


# --------------------------------------------------------------------------- what Zalo refuses


def with_buttons(items: list[dict[str, Any]], text: str | None = "Mời chọn") -> dict[str, Any]:
    message: dict[str, Any] = {"attachment": {"type": "template", "payload": {"buttons": items}}}
    if text is not None:
        message["text"] = text
    return {"recipient": {"user_id": USER_ID}, "message": message}


def query(title: str = "Gặp cán bộ", payload: str = "Gặp cán bộ") -> dict[str, Any]:
    return {"title": title, "type": "oa.query.show", "payload": payload}


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (with_buttons([query(payload=str(i)) for i in range(6)]), -210),  # six buttons
        (with_buttons([query(title="x" * 101)]), -210),  # title over 100 characters
        (with_buttons([query(payload="x" * 1001)]), -210),  # query payload over 1,000
        (with_buttons([query()], text=None), -201),  # the text is required
        (with_buttons([]), -201),
        (with_buttons([{"title": "Gọi", "type": "oa.call", "payload": "1022"}]), -201),  # no such type
        (with_buttons([{"title": "Trang", "type": "oa.open.url", "payload": "https://x.vn"}]), -201),
        (with_buttons([query(title=" ")]), -201),
    ],
)
async def test_the_simulator_refuses_what_zalo_refuses(
    sim: ZaloSimulator, session: aiohttp.ClientSession, body: dict[str, Any], code: int
) -> None:
    client = ZaloClient(session, api_base=sim.base_url, oauth_base=sim.base_url, timeout=5)
    with pytest.raises(ZaloAPIError) as info:
        await client.send_cs(sim.access_token, body)
    assert info.value.code == code and sim.sent == []


async def test_the_simulator_accepts_zalos_other_button_types(
    sim: ZaloSimulator, session: aiohttp.ClientSession
) -> None:
    items = [
        query(),
        {"title": "Ẩn", "type": "oa.query.hide", "payload": "Bỏ qua"},
        {"title": "Trang", "type": "oa.open.url", "payload": {"url": "https://1022.thanhhoa.gov.vn"}},
        {"title": "Gọi", "type": "oa.open.phone", "payload": {"phone_code": "02373851022"}},
        {"title": "Nhắn", "type": "oa.open.sms", "payload": {"content": "1022", "phone_code": "02373851022"}},
    ]
    client = ZaloClient(session, api_base=sim.base_url, oauth_base=sim.base_url, timeout=5)
    assert await client.send_cs(sim.access_token, with_buttons(items))
    with pytest.raises(LookupError):
        sim.tap_event(USER_ID, "Trang")  # opens a page: sends the OA nothing
    assert sim.tap_event(USER_ID, "Ẩn")["message"]["text"] == "Bỏ qua"


# --------------------------------------------------------------------------- the tap comes back


async def test_a_tap_comes_back_signed_as_the_payload_text(
    sim: ZaloSimulator, connector: ZaloConnector, aiohttp_server: Server
) -> None:
    endpoint, url = await serve(aiohttp_server, connector)
    await connector.send(suggest("Có phải anh/chị muốn hỏi:"))
    first = await sim.tap(USER_ID, 1, url=url)
    second = await sim.tap(USER_ID, "Không phải các câu trên", url=url)
    assert first.status == second.status == 200 and endpoint.refused == []
    assert [(m.kind, m.raw_type, m.text) for m in endpoint.received] == [
        (EventKind.MESSAGE, "user_send_text", "2"),
        (EventKind.MESSAGE, "user_send_text", "Không phải các câu trên"),
    ]
    assert {m.external_user_id for m in endpoint.received} == {USER_ID}


async def test_demo_control_taps_and_the_echo_of_a_button_message_is_text(
    sim: ZaloSimulator, connector: ZaloConnector, aiohttp_server: Server, session: aiohttp.ClientSession
) -> None:
    endpoint, url = await serve(aiohttp_server, connector)
    sim.webhook_url, sim.receipt_delay = url, 0.0
    result = await connector.send(suggest("Có phải anh/chị muốn hỏi:"))
    await endpoint.wait_for(2)  # the echo and the delivery receipt
    echo = next(m for m in endpoint.received if m.kind is EventKind.ECHO)
    assert (echo.raw_type, echo.text, echo.channel_message_id) == (
        "oa_send_text",
        "Có phải anh/chị muốn hỏi:",
        result.channel_message_ids[0],
    )
    async with session.post(f"{sim.base_url}/_sim/tap", json={"user_id": USER_ID, "button": 0}) as resp:
        assert resp.status == 200 and (await resp.json())["hub_status"] == 200
    await endpoint.wait_for(3)
    assert endpoint.received[-1].text == "1"
    async with session.post(f"{sim.base_url}/_sim/tap", json={"user_id": "1", "button": 0}) as resp:
        assert resp.status == 400  # the OA sent that person no buttons
