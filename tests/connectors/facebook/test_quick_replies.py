"""Suggestions on Messenger, over real HTTP against the simulator: quick replies out (titles
shortened, payloads kept), a tap back in (signed webhook) read as the payload, and the Page's
Get Started button and greeting set through the Messenger Profile API."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime

import aiohttp
import pytest
from aiohttp.test_utils import TestClient

from connectors.base import EventKind, InboundMessage, OutboundMessage, PermanentSendError, QuickReply
from connectors.facebook import FacebookConnector, PageTokenInvalid
from connectors.facebook.client import GraphClient
from connectors.facebook.profile import MessengerProfile, ProfileInvalid, run, set_messenger_profile
from devtools.clock import FakeClock
from devtools.facebook import FacebookSimulator
from tests.connectors.facebook.conftest import PSID
from tests.connectors.facebook.test_signature import Client, webhook_app

SUGGESTIONS = (
    QuickReply("1. Đăng ký khai sinh cho con ở phường nào", "1"),
    QuickReply("2. Lệ phí làm căn cước", "2"),
    QuickReply("Không phải các câu trên", "Không phải các câu trên"),
)


def suggest(text: str, replies: tuple[QuickReply, ...], *, last_inbound: float) -> OutboundMessage:
    return OutboundMessage(
        channel="facebook",
        external_user_id=PSID,
        text=text,
        message_id=41,
        conversation_id=7,
        quick_replies=replies,
        last_inbound_at=datetime.fromtimestamp(last_inbound, UTC),
    )


@pytest.fixture
def received() -> list[InboundMessage]:
    return []


@pytest.fixture
async def hub_url(
    aiohttp_client: Client, connector: FacebookConnector, received: list[InboundMessage]
) -> str:
    """The connector's webhook on a real loopback server, the way the hub mounts it."""
    host: TestClient = await aiohttp_client(webhook_app(connector, received))
    return str(host.make_url("/webhooks/facebook"))


@pytest.fixture
def citizen_wrote(sim: FacebookSimulator, clock: FakeClock) -> float:
    sim.text(PSID, "đăng ký khai sinh ở đâu")
    return clock()


async def test_titles_are_shortened_and_payloads_kept(
    connector: FacebookConnector, sim: FacebookSimulator, citizen_wrote: float
) -> None:
    await connector.send(suggest("Có phải anh/chị muốn hỏi:", SUGGESTIONS, last_inbound=citizen_wrote))
    [sent] = sim.sent  # the simulator refuses titles over 20 characters: it accepted these
    quick = sent.message["quick_replies"]
    assert [q["title"] for q in quick] == ["1. Đăng ký khai…", "2. Lệ phí làm căn…", "Không phải các câu…"]
    assert all(len(q["title"]) <= 20 for q in quick)
    assert [q["payload"] for q in quick] == ["1", "2", "Không phải các câu trên"]
    assert {q["content_type"] for q in quick} == {"text"}


async def test_at_most_13_and_only_on_the_last_part(
    connector: FacebookConnector, sim: FacebookSimulator, citizen_wrote: float
) -> None:
    many = tuple(QuickReply(f"Lựa chọn {i}", str(i)) for i in range(1, 16))
    long_text = ("Câu trả lời dài. " * 150).strip()  # > 2,000 characters: two parts
    await connector.send(suggest(long_text, many, last_inbound=citizen_wrote))
    first, last = sim.sent
    assert "quick_replies" not in first.message
    assert [q["payload"] for q in last.message["quick_replies"]] == [str(i) for i in range(1, 14)]


async def test_a_payload_messenger_cannot_carry_is_left_out_not_cut(
    connector: FacebookConnector, sim: FacebookSimulator, citizen_wrote: float
) -> None:
    replies = (QuickReply("Dài", "x" * 1001), QuickReply("Gặp cán bộ", "Gặp cán bộ"))
    await connector.send(suggest("Mời chọn", replies, last_inbound=citizen_wrote))
    assert [q["payload"] for q in sim.sent[0].message["quick_replies"]] == ["Gặp cán bộ"]


async def test_a_tap_comes_back_as_the_payload_text(
    connector: FacebookConnector,
    sim: FacebookSimulator,
    citizen_wrote: float,
    hub_url: str,
    received: list[InboundMessage],
) -> None:
    await connector.send(suggest("Có phải anh/chị muốn hỏi:", SUGGESTIONS, last_inbound=citizen_wrote))
    for which in (0, "Không phải các câu…"):
        status, _ = await sim.post(hub_url, sim.delivery(sim.entry(sim.tap(PSID, which))))
        assert status == 200
    first, second = received
    assert (first.kind, first.text, first.raw["message"]["text"]) == (
        EventKind.MESSAGE,
        "1",
        "1. Đăng ký khai…",
    )
    assert second.text == "Không phải các câu trên" and second.raw_type == "quick_reply"


async def test_no_quick_replies_means_no_tap(sim: FacebookSimulator) -> None:
    with pytest.raises(LookupError):
        sim.tap(PSID)


# ------------------------------------------------------------------ Messenger Profile


def graph(sim: FacebookSimulator, session: aiohttp.ClientSession) -> GraphClient:
    return GraphClient(
        session, graph_base=sim.graph_base, access_token=sim.page_access_token, app_secret=sim.app_secret
    )


async def test_get_started_and_greeting_set_and_tap_reads_as_greeting(
    sim: FacebookSimulator,
    session: aiohttp.ClientSession,
    hub_url: str,
    received: list[InboundMessage],
) -> None:
    greeting = (
        "Chào {{user_first_name}}! Tổng đài giải đáp thủ tục hành chính; nhắn “gặp cán bộ” để gặp người."
    )
    await set_messenger_profile(graph(sim, session), MessengerProfile(greeting=greeting))
    assert sim.profile == {
        "get_started": {"payload": "Xin chào"},
        "greeting": [{"locale": "default", "text": greeting}],
    }
    status, _ = await sim.post(hub_url, sim.delivery(sim.entry(sim.get_started(PSID))))
    assert status == 200
    [tap] = received
    assert (tap.kind, tap.text, tap.raw["postback"]["title"]) == (EventKind.POSTBACK, "Xin chào", "Bắt đầu")


async def test_profile_checked_before_facebook_is_called(
    sim: FacebookSimulator, session: aiohttp.ClientSession
) -> None:
    with pytest.raises(ProfileInvalid):
        await set_messenger_profile(graph(sim, session), MessengerProfile(greeting="x" * 161))
    with pytest.raises(ProfileInvalid):
        await set_messenger_profile(graph(sim, session), MessengerProfile(greeting="Chào", get_started=" "))
    assert sim.requests == [] and sim.profile == {}


async def test_graph_refusal_becomes_our_error(
    sim: FacebookSimulator, session: aiohttp.ClientSession
) -> None:
    bad = GraphClient(session, graph_base=sim.graph_base, access_token="wrong", app_secret=sim.app_secret)
    with pytest.raises(PageTokenInvalid) as info:
        await set_messenger_profile(bad, MessengerProfile(greeting="Chào anh/chị"))
    assert info.value.code == "190" and sim.profile == {}


async def test_the_simulator_refuses_what_messenger_refuses(
    sim: FacebookSimulator, session: aiohttp.ClientSession
) -> None:
    body = {"greeting": [{"locale": "vi_VN", "text": "Chào"}]}  # no default locale
    with pytest.raises(PermanentSendError) as info:
        await graph(sim, session).post_json("me/messenger_profile", body)
    assert info.value.code == "100" and "default locale" in info.value.reason
    assert sim.requests[-1].status == 400


async def test_command_line_sets_the_profile(
    sim: FacebookSimulator, capsys: pytest.CaptureFixture[str]
) -> None:
    args = argparse.Namespace(greeting="Chào anh/chị", get_started="Xin chào", graph_base=None)
    env = {
        "FACEBOOK_PAGE_ACCESS_TOKEN": sim.page_access_token,
        "FACEBOOK_APP_SECRET": sim.app_secret,
        "FACEBOOK_GRAPH_BASE": sim.graph_base,
    }
    assert await run(args, env) == 0
    assert sim.profile["get_started"] == {"payload": "Xin chào"}
    assert await run(args, {"FACEBOOK_GRAPH_BASE": sim.graph_base}) == 2
    assert "FACEBOOK_PAGE_ACCESS_TOKEN" in capsys.readouterr().err
    assert await run(argparse.Namespace(**{**vars(args), "greeting": "x" * 200}), env) == 2
    assert await run(args, {**env, "FACEBOOK_PAGE_ACCESS_TOKEN": "wrong"}) == 1


async def test_demo_control_taps_a_quick_reply(
    connector: FacebookConnector,
    sim: FacebookSimulator,
    citizen_wrote: float,
    session: aiohttp.ClientSession,
    hub_url: str,
    received: list[InboundMessage],
) -> None:
    sim.webhook_url = hub_url
    await connector.send(suggest("Có phải anh/chị muốn hỏi:", SUGGESTIONS, last_inbound=citizen_wrote))
    async with session.post(f"{sim.base_url}/_sim/tap", json={"psid": PSID, "button": "2"}) as resp:
        assert resp.status == 200 and (await resp.json())["hub_status"] == 200
    assert [m.text for m in received] == ["2"]
    async with session.post(f"{sim.base_url}/_sim/tap", json={"psid": "999", "button": 0}) as resp:
        assert resp.status == 400  # the Page sent that person no quick replies
