"""Golden payloads: every Messenger event the connector handles, parsed field by field."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from connectors.base import EventKind, PayloadError
from connectors.facebook.connector import FacebookConnector
from connectors.facebook.parse import ParseOptions, parse_delivery
from tests.connectors.facebook.conftest import APP_ID, PAGE_ID, PSID, payload_bytes

T = datetime(2025, 11, 23, 8, 40, tzinfo=UTC)
OPTS = ParseOptions(app_id=APP_ID)


def one(name: str, opts: ParseOptions = OPTS) -> list:
    events = parse_delivery(payload_bytes(name), opts)
    assert events, name
    return events


def test_text_message() -> None:
    [ev] = one("message_text")
    assert ev.channel == "facebook"
    assert ev.kind is EventKind.MESSAGE
    assert ev.external_user_id == PSID
    assert ev.channel_message_id == "m_text_0001"
    assert ev.text == "Cho tôi hỏi thủ tục cấp lại căn cước công dân?"
    assert ev.sent_at == T and ev.sent_at.tzinfo is not None
    assert ev.reply_to_ids == ("m_prev_0000",)
    assert ev.raw_type == "message" and ev.auto_generated is False
    assert ev.raw["message"]["mid"] == "m_text_0001"


def test_media_attachments_of_every_type() -> None:
    [ev] = one("message_attachments")
    assert ev.kind is EventKind.MESSAGE and ev.text == "" and ev.raw_type == "attachments"
    assert [a.kind for a in ev.attachments] == ["image", "video", "audio", "file"]
    assert ev.attachments[3].url == "https://cdn.fbsbx.com/v/t59.2708-21/don-de-nghi.pdf"


def test_location() -> None:
    [ev] = one("message_location")
    [loc] = ev.attachments
    assert loc.kind == "location"
    assert loc.meta == {"latitude": 19.8075, "longitude": 105.7764}
    assert loc.name == "Vị trí của tôi"


def test_fallback_link() -> None:
    [ev] = one("message_fallback")
    [link] = ev.attachments
    assert (link.kind, link.url, link.name) == (
        "link",
        "https://thanhhoa.gov.vn/thong-bao",
        "Thông báo của UBND tỉnh",
    )
    assert ev.text == "https://thanhhoa.gov.vn/thong-bao"


def test_sticker() -> None:
    [ev] = one("message_sticker")
    [st] = ev.attachments
    assert st.kind == "sticker" and st.meta["sticker_id"] == "369239263222822"


def test_quick_reply_tap_reads_as_its_payload() -> None:
    """The title shown ("1. Đăng ký khai sinh…", shortened) is not what the bot reads: the
    payload is ("1", plain text the citizen could have typed)."""
    [ev] = one("message_quick_reply")
    assert ev.kind is EventKind.MESSAGE
    assert ev.text == "1" and ev.postback_payload == "1"
    assert ev.raw["message"]["text"] == "1. Đăng ký khai sinh…"
    assert ev.raw_type == "quick_reply"


def test_postback_reads_as_its_payload() -> None:
    [ev] = one("postback")
    assert ev.kind is EventKind.POSTBACK
    assert (ev.text, ev.postback_payload, ev.channel_message_id) == ("Gặp cán bộ", "Gặp cán bộ", "m_pb_0001")


def test_postback_without_payload_reads_as_its_title() -> None:
    data = json.loads(payload_bytes("postback"))
    data["entry"][0]["messaging"][0]["postback"] = {"title": "Bắt đầu", "mid": "m_pb_0002"}
    [ev] = parse_delivery(json.dumps(data).encode(), OPTS)
    assert (ev.text, ev.postback_payload) == ("Bắt đầu", None)


def test_postback_without_mid_gets_a_stable_id() -> None:
    a = one("postback_legacy")[0]
    b = one("postback_legacy")[0]
    assert a.channel_message_id == b.channel_message_id == f"postback:{PSID}:{int(T.timestamp() * 1000)}"
    assert a.postback_payload == a.text == "GET_STARTED"  # a button set up by another tool


def test_echo_of_our_own_send_is_echo() -> None:
    [ev] = one("echo_own")
    assert ev.kind is EventKind.ECHO
    assert ev.external_user_id == PSID  # the citizen (the recipient), not the Page
    assert ev.channel_message_id == "m_echo_own_0001"


def test_our_echo_recognised_by_metadata_without_app_id_setting() -> None:
    [ev] = one("echo_own", ParseOptions(app_id=None))
    assert ev.kind is EventKind.ECHO


def test_our_echo_recognised_by_app_id_without_metadata() -> None:
    data = json.loads(payload_bytes("echo_own"))
    del data["entry"][0]["messaging"][0]["message"]["metadata"]
    [ev] = parse_delivery(json.dumps(data).encode(), OPTS)
    assert ev.kind is EventKind.ECHO
    [other] = parse_delivery(json.dumps(data).encode(), ParseOptions(app_id="111"))
    assert other.kind is EventKind.OPERATOR_MESSAGE


def test_reply_typed_in_page_inbox_is_operator_message() -> None:
    [ev] = one("echo_page_inbox")
    assert ev.kind is EventKind.OPERATOR_MESSAGE
    assert ev.external_user_id == PSID
    assert ev.text.startswith("Cán bộ trực xin trả lời")


def test_delivery_receipt() -> None:
    [ev] = one("delivery")
    assert ev.kind is EventKind.DELIVERY
    assert ev.refers_to == ("m_out_0001", "m_out_0002")
    assert ev.watermark == datetime(2025, 11, 23, 8, 39, 59, tzinfo=UTC)
    # no event timestamp in a delivery: the entry's time is used
    assert ev.sent_at == datetime.fromtimestamp((int(T.timestamp() * 1000) + 50) / 1000, UTC)


def test_read_receipt() -> None:
    [ev] = one("read")
    assert ev.kind is EventKind.READ
    assert ev.watermark == datetime(2025, 11, 23, 8, 39, 59, 500000, tzinfo=UTC)
    assert ev.refers_to == ()


def test_standby_events_are_parsed_and_marked() -> None:
    msg, pb = one("standby")
    assert (msg.kind, msg.raw_type, msg.text) == (
        EventKind.MESSAGE,
        "standby:message",
        "Tôi vẫn đang chờ trả lời",
    )
    assert msg.auto_generated and pb.auto_generated  # another app owns the thread: store, don't answer
    assert (pb.kind, pb.raw_type, pb.text, pb.postback_payload) == (
        EventKind.POSTBACK,
        "standby:postback",
        "Gặp cán bộ",
        None,
    )


def test_unknown_event_kept_raw() -> None:
    [ev] = one("unknown_reaction")
    assert ev.kind is EventKind.UNKNOWN and ev.raw_type == "reaction"
    assert ev.raw["reaction"]["emoji"] == "👍"


def test_multi_entry_multi_event_delivery_keeps_every_event_in_order() -> None:
    events = one("multi_entry")
    assert [(e.kind, e.external_user_id, e.raw_type) for e in events] == [
        (EventKind.MESSAGE, PSID, "message"),
        (EventKind.MESSAGE, "24968543219999999", "message"),
        (EventKind.READ, PSID, "read"),
        (EventKind.DELIVERY, PSID, "delivery"),
        (EventKind.ECHO, PSID, "echo"),
        (EventKind.MESSAGE, PSID, "standby:message"),
    ]
    assert [e.channel_message_id for e in events if e.kind is EventKind.MESSAGE] == [
        "m_multi_1",
        "m_multi_2",
        "m_multi_sb",
    ]


def test_feed_changes_are_unknown_not_dropped() -> None:
    body = {
        "object": "page",
        "entry": [{"id": PAGE_ID, "time": 1763887200000, "changes": [{"field": "feed"}]}],
    }
    [ev] = parse_delivery(json.dumps(body).encode())
    assert ev.kind is EventKind.UNKNOWN and ev.raw_type == "changes:feed"


def test_connector_parse_uses_settings_app_id(connector: FacebookConnector) -> None:
    kinds = [e.kind for e in connector.parse(payload_bytes("multi_entry"))]
    assert EventKind.ECHO in kinds


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (b"\xff\xfe", "UTF-8"),
        (b"{not json", "JSON"),
        (b"[]", "đối tượng JSON"),
        (b'{"object": "instagram", "entry": []}', "'object'"),
        (b'{"object": "page"}', "entry"),
        (b'{"object": "page", "entry": [{"messaging": [{"message": {"mid": "m", "text": "x"}}]}]}', "sender"),
        (
            b'{"object":"page","entry":[{"messaging":[{"sender":{"id":"1"},"recipient":{"id":"2"},'
            b'"message":{"text":"no mid"}}]}]}',
            "message.mid",
        ),
        (
            b'{"object":"page","entry":[{"messaging":[{"sender":{"id":"1"},"recipient":{"id":"2"},'
            b'"timestamp":"soon","message":{"mid":"m"}}]}]}',
            "timestamp",
        ),
        (
            b'{"object":"page","entry":[{"messaging":[{"sender":{"id":"1"},"recipient":{"id":"2"},'
            b'"timestamp":99999999999999999999,"message":{"mid":"m"}}]}]}',
            "timestamp",
        ),
        (
            b'{"object":"page","entry":[{"messaging":[{"sender":{"id":"1"},"recipient":{"id":"2"},'
            b'"message":{"mid":"m","attachments":[{"type":"location","payload":{}}]}}]}]}',
            "coordinates",
        ),
        (
            b'{"object":"page","entry":[{"messaging":[{"sender":{"id":"1"},"recipient":{"id":"2"},'
            b'"delivery":{"mids":"m1"}}]}]}',
            "mids",
        ),
    ],
)
def test_malformed_deliveries_raise_payload_error_naming_the_field(body: bytes, fragment: str) -> None:
    with pytest.raises(PayloadError) as info:
        parse_delivery(body)
    assert fragment in str(info.value)
