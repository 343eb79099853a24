"""parse(): every golden payload, big ids, malformed bodies, and a fuzz test."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.base import EventKind, InboundMessage, PayloadError
from connectors.zalo.parse import parse_delivery, parse_timestamp
from tests.connectors.zalo.conftest import OA_ID, PAYLOADS, USER_ID, payload_bytes

AT = datetime(2025, 11, 23, 9, 10, tzinfo=UTC)

# payload file -> (kind, channel_message_id, text, attachment kinds, refers_to)
GOLDEN: dict[str, tuple[EventKind, str | None, str, tuple[str, ...], tuple[str, ...]]] = {
    "user_send_text": (
        EventKind.MESSAGE,
        "a4d0243feee163bd3af2b8c1d5e6f701",
        "Cho tôi hỏi thủ tục đăng ký tạm trú ở phường Điện Biên cần giấy tờ gì?",
        (),
        (),
    ),
    "user_send_text_quote": (
        EventKind.MESSAGE,
        "b9f1c2d3e4a5b6c7d8e9f0a1b2c3d4e5",
        "Vâng, tôi cảm ơn",
        (),
        (),
    ),
    "user_send_image": (
        EventKind.MESSAGE,
        "c1a2b3c4d5e6f708192a3b4c5d6e7f80",
        "Ảnh đường ngập trước cổng trường",
        ("image",),
        (),
    ),
    "user_send_file": (EventKind.MESSAGE, "d2b3c4d5e6f708192a3b4c5d6e7f8091", "", ("file",), ()),
    "user_send_location": (EventKind.MESSAGE, "e3c4d5e6f708192a3b4c5d6e7f8091a2", "", ("location",), ()),
    "user_send_sticker": (EventKind.MESSAGE, "f4d5e6f708192a3b4c5d6e7f8091a2b3", "", ("sticker",), ()),
    "user_send_audio": (EventKind.MESSAGE, "05e6f708192a3b4c5d6e7f8091a2b3c4", "", ("audio",), ()),
    "user_send_video": (EventKind.MESSAGE, "16f708192a3b4c5d6e7f8091a2b3c4d5", "", ("video",), ()),
    "user_send_link": (
        EventKind.MESSAGE,
        "27a8192a3b4c5d6e7f8091a2b3c4d5e6",
        "https://dichvucong.gov.vn/p/home/dvc-trang-chu.html",
        ("link",),
        (),
    ),
    "user_send_gif": (EventKind.MESSAGE, "38b9203a4b5c6d7e8f90a1b2c3d4e5f6", "", ("gif",), ()),
    "follow": (EventKind.FOLLOW, None, "", (), ()),
    "unfollow": (EventKind.UNFOLLOW, None, "", (), ()),
    "user_received_message": (EventKind.DELIVERY, None, "", (), ("7a1b2c3d4e5f60718293a4b5c6d7e8f9",)),
    "user_seen_message": (
        EventKind.READ,
        None,
        "",
        (),
        ("7a1b2c3d4e5f60718293a4b5c6d7e8f9", "8b2c3d4e5f60718293a4b5c6d7e8f90a"),
    ),
    "oa_send_text": (
        EventKind.ECHO,
        "7a1b2c3d4e5f60718293a4b5c6d7e8f9",
        "Chào anh/chị, hồ sơ đăng ký tạm trú gồm: tờ khai CT01 và giấy tờ chứng minh chỗ ở hợp pháp.",
        (),
        (),
    ),
    "oa_send_image": (EventKind.ECHO, "9c3d4e5f60718293a4b5c6d7e8f90a1b", "", ("image",), ()),
    "oa_send_file": (EventKind.ECHO, "ad4e5f60718293a4b5c6d7e8f90a1b2c", "", ("file",), ()),
    "user_click_chatnow": (EventKind.UNKNOWN, None, "", (), ()),
    "user_reacted_message": (EventKind.UNKNOWN, None, "", (), ()),
}


def parse_one(name: str) -> InboundMessage:
    messages = parse_delivery(payload_bytes(name))
    assert len(messages) == 1
    return messages[0]


def test_every_golden_payload_is_in_the_table() -> None:
    files = {p.stem for p in PAYLOADS.glob("*.json")}
    assert files - {"user_send_text_numeric_ids"} == set(GOLDEN)


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_golden_payload(name: str) -> None:
    kind, msg_id, text, attachment_kinds, refers_to = GOLDEN[name]
    msg = parse_one(name)
    assert msg.channel == "zalo"
    assert msg.kind is kind
    assert msg.external_user_id == USER_ID
    assert msg.channel_message_id == msg_id
    assert msg.text == text
    assert tuple(a.kind for a in msg.attachments) == attachment_kinds
    assert msg.refers_to == refers_to
    assert msg.raw_type == json.loads(payload_bytes(name))["event_name"]
    assert msg.raw["app_id"] == "4291763606161179100"
    assert msg.sent_at is not None and msg.sent_at.tzinfo is not None
    assert msg.sent_at.year == 2025


def test_text_timestamp_and_quote() -> None:
    msg = parse_one("user_send_text")
    assert msg.sent_at == AT
    quoted = parse_one("user_send_text_quote")
    assert quoted.reply_to_ids == ("5e7d0a0c2b6a4f1e9c3d8b7a6f5e4d3c",)
    assert quoted.sent_at == datetime(2025, 11, 23, 9, 11, tzinfo=UTC)


def test_attachment_details() -> None:
    image = parse_one("user_send_image").attachments[0]
    assert image.url == "https://photo-stal-1.zdn.vn/anh-ngap.jpg"
    assert image.meta["thumbnail"] == "https://photo-stal-1.zdn.vn/thumb/anh-ngap.jpg"
    file = parse_one("user_send_file").attachments[0]
    assert (file.name, file.size, file.meta["file_type"]) == ("Đơn đề nghị hỗ trợ.pdf", 245760, "pdf")
    location = parse_one("user_send_location").attachments[0]
    assert location.meta["latitude"] == "19.806692" and location.meta["longitude"] == "105.785182"
    sticker = parse_one("user_send_sticker").attachments[0]
    assert sticker.meta["id"] == "bfe458bf64fa8da4d4eb"
    link = parse_one("user_send_link").attachments[0]
    assert link.meta["description"] == "Cổng Dịch vụ công Quốc gia"


def test_receipts_name_exact_ids_and_user_is_recipient() -> None:
    seen = parse_one("user_seen_message")
    assert seen.watermark is None  # Zalo lists the ids; no "everything before" semantics
    assert seen.sent_at == datetime(2025, 11, 23, 9, 13, tzinfo=UTC)
    assert seen.external_user_id == USER_ID != OA_ID


def test_unknown_event_keeps_raw() -> None:
    msg = parse_one("user_reacted_message")
    assert msg.raw["message"]["react_icon"] == "/-heart"
    assert msg.raw_type == "user_reacted_message"


def test_unfamiliar_variants_without_our_fields_are_unknown_not_refused() -> None:
    for name in ("user_send_business_card", "oa_send_list", "oa_send_consent", "user_send_group_text"):
        body = {"event_name": name, "timestamp": "1763889000000", "sender": {"id": USER_ID}, "message": {}}
        (msg,) = parse_delivery(json.dumps(body).encode())
        assert msg.kind is EventKind.UNKNOWN and msg.raw_type == name
    card = {
        "event_name": "user_send_business_card",
        "sender": {"id": USER_ID},
        "message": {"msg_id": "m1", "attachments": [{"type": "business_card", "payload": {"url": "u"}}]},
    }
    (msg,) = parse_delivery(json.dumps(card).encode())
    assert msg.kind is EventKind.MESSAGE and msg.attachments[0].meta["zalo_type"] == "business_card"


def test_big_numeric_ids_keep_every_digit() -> None:
    msg = parse_one("user_send_text_numeric_ids")
    assert msg.external_user_id == "8063947237857451397"  # a float would give ...451400
    assert msg.raw["app_id"] == "4291763606161179100"
    assert msg.sent_at == datetime(2025, 11, 23, 9, 10, 0, 123000, tzinfo=UTC)


def test_timestamp_seconds_and_limits() -> None:
    assert parse_timestamp("1763889000") == AT  # seconds tolerated
    assert parse_timestamp("1763889000000") == AT
    assert parse_timestamp(None) is None
    for bad in ("abc", "1.5e12", "-5", "99999999999999999999"):
        with pytest.raises(PayloadError):
            parse_timestamp(bad, "user_send_text")


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        (b"", "JSON"),
        (b"not json", "JSON"),
        (b"\xff\xfe", "UTF-8"),
        (b"[1, 2]", "đối tượng"),
        (b"{}", "event_name"),
        (b'{"event_name": "user_send_text", "sender": {"id": "1"}}', "message"),
        (b'{"event_name": "user_send_text", "sender": {"id": "1"}, "message": {"text": "x"}}', "msg_id"),
        (b'{"event_name": "user_send_text", "message": {"msg_id": "m", "text": "x"}}', "sender.id"),
        (b'{"event_name": "follow"}', "follower.id"),
        (b'{"event_name": "user_seen_message", "recipient": {"id": "1"}, "message": {}}', "msg_ids"),
        (
            b'{"event_name": "user_send_image", "sender": {"id": "1"},'
            b' "message": {"msg_id": "m", "attachments": 5}}',
            "attachments",
        ),
        (
            b'{"event_name":"user_send_text","sender":{"id":"1"},"timestamp":"soon","message":{"msg_id":"m"}}',
            "timestamp",
        ),
    ],
)
def test_malformed_deliveries_raise_a_clear_payload_error(raw: bytes, fragment: str) -> None:
    with pytest.raises(PayloadError, match=fragment):
        parse_delivery(raw)


# --------------------------------------------------------------------------- fuzz

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)
EVENTS = [json.loads(p.read_bytes())["event_name"] for p in PAYLOADS.glob("*.json")]


def mutate(base: dict[str, Any], path: list[str], value: Any) -> dict[str, Any]:
    """``base`` with the value at ``path`` replaced (creating dicts on the way)."""
    out = json.loads(json.dumps(base))
    node = out
    for key in path[:-1]:
        if not isinstance(node.get(key), dict):
            node[key] = {}
        node = node[key]
    if path:
        node[path[-1]] = value
    return out


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=300))
def test_fuzz_random_bytes_only_payload_error(raw: bytes) -> None:
    try:
        parse_delivery(raw)
    except PayloadError:
        pass


@settings(max_examples=600, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=st.sampled_from(sorted(GOLDEN)),
    path=st.lists(
        st.sampled_from(
            [
                "message",
                "sender",
                "recipient",
                "follower",
                "id",
                "msg_id",
                "msg_ids",
                "text",
                "attachments",
                "timestamp",
                "event_name",
                "payload",
                "coordinates",
                "type",
                "url",
                "size",
                "quote_msg_id",
            ]
        ),
        min_size=1,
        max_size=4,
    ),
    value=json_values,
)
def test_fuzz_mutated_golden_payloads_only_payload_error(name: str, path: list[str], value: Any) -> None:
    body = mutate(json.loads(payload_bytes(name)), path, value)
    try:
        for msg in parse_delivery(json.dumps(body).encode()):
            assert isinstance(msg.external_user_id, str)
            assert msg.channel_message_id is None or isinstance(msg.channel_message_id, str)
    except PayloadError:
        pass


@settings(max_examples=200)
@given(event=st.sampled_from(EVENTS), body=st.dictionaries(st.text(max_size=12), json_values, max_size=6))
def test_fuzz_arbitrary_bodies_per_event(event: str, body: dict[str, Any]) -> None:
    body["event_name"] = event
    try:
        parse_delivery(json.dumps(body).encode())
    except PayloadError:
        pass


def test_deeply_nested_json_is_a_payload_error() -> None:
    with pytest.raises(PayloadError):
        parse_delivery(b"[" * 100000 + b"]" * 100000)
