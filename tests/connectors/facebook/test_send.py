"""Sending through the simulator: window policy with a moved clock, splitting, attachments,
Graph faults mapped to our exceptions, typing indicator, profile lookup."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from connectors.base import (
    Attachment,
    AuthExpired,
    DeliveryStatus,
    OutboundMessage,
    PermanentSendError,
    QuickReply,
    RateLimited,
    SenderRole,
    SendError,
    TransientSendError,
)
from connectors.facebook import FacebookConnector, GraphError, OutsideWindow, PageTokenInvalid
from devtools.clock import FakeClock
from devtools.facebook import FacebookSimulator, Fault
from tests.connectors.facebook.conftest import PSID
from tests.connectors.fakestate import MemoryStateStore

HOUR = 3600.0


def out(
    text: str = "Tổng đài 1022 xin trả lời.",
    *,
    last_inbound: float | None,
    role: SenderRole = SenderRole.BOT,
    message_id: int = 1,
    attachments: tuple[Attachment, ...] = (),
    quick_replies: tuple[QuickReply, ...] = (),
) -> OutboundMessage:
    return OutboundMessage(
        channel="facebook",
        external_user_id=PSID,
        text=text,
        message_id=message_id,
        conversation_id=7,
        sender_role=role,
        attachments=attachments,
        quick_replies=quick_replies,
        last_inbound_at=None if last_inbound is None else datetime.fromtimestamp(last_inbound, UTC),
    )


@pytest.fixture
def citizen_wrote(sim: FacebookSimulator, clock: FakeClock) -> float:
    """The citizen writes to the Page now (the simulator records it as Facebook would)."""
    sim.text(PSID, "Cho tôi hỏi về hộ tịch")
    sim.users[PSID].first_name, sim.users[PSID].last_name = "An", "Nguyễn Văn"
    return clock()


# ------------------------------------------------------------------ the messaging window


async def test_23h_bot_reply_goes_as_response(
    connector: FacebookConnector, sim: FacebookSimulator, clock: FakeClock, citizen_wrote: float
) -> None:
    clock.advance(23 * HOUR)
    result = await connector.send(out(last_inbound=citizen_wrote))
    [sent] = sim.sent
    assert (sent.messaging_type, sent.tag) == ("RESPONSE", None)
    assert sent.message["text"] == "Tổng đài 1022 xin trả lời."
    assert sent.message["metadata"] == "hub1022:1:0"
    assert result.channel_message_ids == (sent.mid,) and result.status is DeliveryStatus.SENT


async def test_30h_operator_reply_uses_human_agent_tag(
    connector: FacebookConnector, sim: FacebookSimulator, clock: FakeClock, citizen_wrote: float
) -> None:
    clock.advance(30 * HOUR)
    await connector.send(out(last_inbound=citizen_wrote, role=SenderRole.OPERATOR))
    await connector.send(out(last_inbound=citizen_wrote, role=SenderRole.AGENCY, message_id=2))
    assert [(s.messaging_type, s.tag) for s in sim.sent] == [("MESSAGE_TAG", "HUMAN_AGENT")] * 2


async def test_30h_bot_reply_refused_without_calling_facebook(
    connector: FacebookConnector, sim: FacebookSimulator, clock: FakeClock, citizen_wrote: float
) -> None:
    clock.advance(30 * HOUR)
    with pytest.raises(OutsideWindow) as info:
        await connector.send(out(last_inbound=citizen_wrote))
    assert isinstance(info.value, PermanentSendError) and info.value.retryable is False
    assert "24 giờ" in info.value.reason and "cán bộ" in info.value.reason
    assert sim.requests == [] and sim.sent == []


async def test_8_days_refused_even_for_operators(
    connector: FacebookConnector, sim: FacebookSimulator, clock: FakeClock, citizen_wrote: float
) -> None:
    clock.advance(8 * 24 * HOUR)
    for role in (SenderRole.OPERATOR, SenderRole.BOT):
        with pytest.raises(OutsideWindow) as info:
            await connector.send(out(last_inbound=citizen_wrote, role=role))
        assert "7 ngày" in info.value.reason and "kênh khác" in info.value.reason
    assert sim.requests == []


async def test_facebook_itself_refuses_outside_window_when_hub_did_not_know(
    connector: FacebookConnector, sim: FacebookSimulator, clock: FakeClock, citizen_wrote: float
) -> None:
    clock.advance(30 * HOUR)  # the hub passed no last_inbound_at; the simulator knows better
    with pytest.raises(PermanentSendError) as info:
        await connector.send(out(last_inbound=None))
    assert info.value.code == "10/2018278" and info.value.retryable is False
    assert isinstance(info.value.__cause__, GraphError) and info.value.__cause__.subcode == 2018278


# ------------------------------------------------------------------ content


async def test_long_text_split_on_word_boundaries(
    connector: FacebookConnector, sim: FacebookSimulator, citizen_wrote: float
) -> None:
    words = [f"từ{i}" for i in range(1500)]  # ~7,000 characters
    text = " ".join(words)
    result = await connector.send(out(text, last_inbound=citizen_wrote))
    texts = [s.message["text"] for s in sim.sent]
    assert len(texts) == len(result.channel_message_ids) >= 4
    assert all(len(t) <= 2000 for t in texts)
    assert " ".join(texts).split(" ") == words  # no word cut, none lost, order kept
    assert [s.message["metadata"] for s in sim.sent] == [f"hub1022:1:{i}" for i in range(len(texts))]


async def test_attachments_by_url_upload_and_quick_replies(
    connector: FacebookConnector, sim: FacebookSimulator, citizen_wrote: float
) -> None:
    atts = (
        Attachment(kind="image", url="https://1022.thanhhoa.gov.vn/anh/so-do.png"),
        Attachment(kind="file", url="https://1022.thanhhoa.gov.vn/bieu-mau/to-khai.pdf", name="to-khai.pdf"),
        Attachment(kind="file", data=b"%PDF-1.7 noi dung", name="huong-dan.pdf", mime_type="application/pdf"),
    )
    quick = tuple(QuickReply(t, t) for t in ("Hộ tịch", "Đất đai và xây dựng nhà ở", "Gặp cán bộ"))
    await connector.send(
        out("Mời anh/chị xem tài liệu.", last_inbound=citizen_wrote, attachments=atts, quick_replies=quick)
    )
    text, image, file_, upload = sim.sent
    assert text.message["text"] == "Mời anh/chị xem tài liệu."
    assert image.message["attachment"] == {
        "type": "image",
        "payload": {"url": "https://1022.thanhhoa.gov.vn/anh/so-do.png", "is_reusable": True},
    }
    assert file_.message["attachment"]["type"] == "file"
    assert upload.upload == b"%PDF-1.7 noi dung" and upload.messaging_type == "RESPONSE"
    assert [q["title"] for q in upload.message["quick_replies"]] == [
        "Hộ tịch",
        "Đất đai và xây dựng…",
        "Gặp cán bộ",
    ]
    assert upload.message["quick_replies"][1]["payload"] == "Đất đai và xây dựng nhà ở"


async def test_empty_message_refused(
    connector: FacebookConnector, sim: FacebookSimulator, citizen_wrote: float
) -> None:
    with pytest.raises(PermanentSendError):
        await connector.send(out("   ", last_inbound=citizen_wrote))
    assert sim.requests == []


async def test_retry_after_partial_failure_does_not_resend_accepted_parts(
    connector: FacebookConnector, sim: FacebookSimulator, citizen_wrote: float, state: MemoryStateStore
) -> None:
    text = " ".join(["đoạn"] * 1000)  # 4,999 characters: three parts
    sim.fail_next(Fault.SERVER_ERROR, after=1)
    with pytest.raises(TransientSendError):
        await connector.send(out(text, last_inbound=citizen_wrote, message_id=9))
    assert len(sim.sent) == 1
    result = await connector.send(out(text, last_inbound=citizen_wrote, message_id=9))
    assert len(sim.sent) == 3
    assert result.channel_message_ids == tuple(s.mid for s in sim.sent)
    # only the parts before the last are remembered; one-part messages leave no state
    assert sorted(state.values) == ["facebook:sent:9:0", "facebook:sent:9:1"]
    await connector.send(out("ngắn", last_inbound=citizen_wrote, message_id=10))
    assert len(state.values) == 2


# ------------------------------------------------------------------ Graph errors


@pytest.mark.parametrize(
    ("fault", "exc_type", "code", "retryable"),
    [
        (Fault.RATE_LIMIT, RateLimited, "613", True),
        (Fault.HTTP_429, RateLimited, "4", True),
        (Fault.SERVER_ERROR, TransientSendError, "2", True),
        (Fault.BAD_GATEWAY, TransientSendError, "http_502", True),
        (Fault.TIMEOUT, TransientSendError, "timeout", True),
        (Fault.TOKEN_EXPIRED, PageTokenInvalid, "190/463", True),
        (Fault.UNAVAILABLE, PermanentSendError, "551/1545041", False),
        (Fault.OUTSIDE_WINDOW, PermanentSendError, "10/2018278", False),
    ],
)
async def test_scripted_faults_become_our_exceptions(
    connector: FacebookConnector,
    sim: FacebookSimulator,
    citizen_wrote: float,
    fault: Fault,
    exc_type: type[SendError],
    code: str,
    retryable: bool,
) -> None:
    sim.fail_next(fault)
    with pytest.raises(SendError) as info:
        await connector.send(out(last_inbound=citizen_wrote))
    err = info.value
    assert type(err) is exc_type
    assert (err.code, err.retryable) == (code, retryable)
    assert err.__cause__ is not None  # chained from the vendor / network error
    if fault is Fault.TIMEOUT:
        assert isinstance(err.__cause__, TimeoutError)
    else:
        assert isinstance(err.__cause__, GraphError)
    assert sim.sent == []
    # the fault was one-off: the same message now goes out
    await connector.send(out(last_inbound=citizen_wrote))
    assert len(sim.sent) == 1


async def test_rate_limit_carries_retry_time(
    connector: FacebookConnector, sim: FacebookSimulator, citizen_wrote: float
) -> None:
    sim.fail_next(Fault.RATE_LIMIT)
    sim.fail_next(Fault.HTTP_429)
    with pytest.raises(RateLimited) as first:
        await connector.send(out(last_inbound=citizen_wrote))
    with pytest.raises(RateLimited) as second:
        await connector.send(out(last_inbound=citizen_wrote))
    assert first.value.retry_after == 120.0  # estimated_time_to_regain_access: 2 minutes
    assert second.value.retry_after == 7.0  # Retry-After: 7


async def test_expired_token_tells_the_operator_it_cannot_self_refresh(
    make_connector: Callable[..., FacebookConnector], sim: FacebookSimulator, citizen_wrote: float
) -> None:
    connector = make_connector(page_access_token="a-revoked-token")
    with pytest.raises(AuthExpired) as info:
        await connector.send(out(last_inbound=citizen_wrote))
    assert isinstance(info.value, PageTokenInvalid) and info.value.code == "190"
    assert "FACEBOOK_PAGE_ACCESS_TOKEN" in info.value.reason and "không tự làm mới" in info.value.reason
    assert "a-revoked-token" not in str(info.value)


async def test_unreachable_graph_is_transient(
    make_connector: Callable[..., FacebookConnector], citizen_wrote: float
) -> None:
    connector = make_connector(graph_base="http://127.0.0.1:9/v21.0")  # discard port: refused
    with pytest.raises(TransientSendError) as info:
        await connector.send(out(last_inbound=citizen_wrote))
    assert info.value.code == "network"


async def test_unknown_psid_is_permanent(connector: FacebookConnector, sim: FacebookSimulator) -> None:
    with pytest.raises(PermanentSendError) as info:
        await connector.send(out(last_inbound=None))
    assert info.value.code == "100/2018001"


# ------------------------------------------------------------------ typing, profile


async def test_typing_on_and_off(
    connector: FacebookConnector, sim: FacebookSimulator, citizen_wrote: float
) -> None:
    await connector.typing(PSID, True)
    await connector.typing(PSID, False)
    assert sim.actions == [(PSID, "typing_on"), (PSID, "typing_off")]
    assert sim.sent == []


async def test_typing_failure_is_not_raised(
    connector: FacebookConnector, sim: FacebookSimulator, citizen_wrote: float
) -> None:
    sim.fail_next(Fault.RATE_LIMIT, scope="action")
    await connector.typing(PSID)
    assert sim.actions == [] and len(sim.requests) == 1


async def test_fetch_profile(
    connector: FacebookConnector, sim: FacebookSimulator, citizen_wrote: float
) -> None:
    profile = await connector.fetch_profile(PSID)
    assert profile is not None
    assert profile.display_name == "An Nguyễn Văn"
    assert profile.extra == {"first_name": "An", "last_name": "Nguyễn Văn"}
    assert profile.avatar_url and profile.avatar_url.endswith(f"/pics/{PSID}.jpg")
    [req] = sim.requests
    assert req.query["fields"] == "first_name,last_name,name,profile_pic"


async def test_fetch_profile_unknown_is_none_and_transient_raises(
    connector: FacebookConnector, sim: FacebookSimulator, citizen_wrote: float
) -> None:
    assert await connector.fetch_profile("1234") is None
    sim.fail_next(Fault.SERVER_ERROR, scope="profile")
    with pytest.raises(TransientSendError):
        await connector.fetch_profile(PSID)


async def test_send_through_page_id_path(
    make_connector: Callable[..., FacebookConnector], sim: FacebookSimulator, citizen_wrote: float
) -> None:
    connector = make_connector(page_id=sim.page_id)
    await connector.send(out(last_inbound=citizen_wrote))
    assert sim.requests[0].path == f"/v21.0/{sim.page_id}/messages"
