"""Zalo OA webhook events -> :class:`InboundMessage`.

One delivery is one JSON object with ``event_name``. Ids (user ids, app id, message ids) and
timestamps are strings and may exceed 2**53; the body is decoded with ``parse_int=str`` so
nothing ever becomes a lossy float, and every id we hand on is a ``str``.

Event table (see docs/zalo.md):

=============================== ======================= ===========================
Zalo event                      EventKind               user id taken from
=============================== ======================= ===========================
user_send_text/_image/_file/…   MESSAGE                 sender.id
follow / unfollow               FOLLOW / UNFOLLOW       follower.id
user_received_message           DELIVERY                recipient.id (refers_to msg_id)
user_seen_message               READ                    recipient.id (refers_to msg_ids)
oa_send_* (echo of OA messages) ECHO                    recipient.id
anything else                   UNKNOWN (raw kept)      best effort
=============================== ======================= ===========================

``oa_send_*`` is sent by Zalo for every message the OA sends, whether it came from our API
call or was typed by staff in Zalo's OA console; the payload does not say which. We return
``ECHO`` with the ``msg_id``; the hub compares it with the ids ``send()`` returned and records
an unknown one as an operator message.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from connectors.base import Attachment, EventKind, InboundMessage, PayloadError

CHANNEL = "zalo"
_DIGITS = re.compile(r"^-?[0-9]{1,20}$")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# attachment "type" in Zalo payloads -> our Attachment.kind
_ATTACHMENT_KINDS = {
    "image": "image",
    "gif": "gif",
    "sticker": "sticker",
    "audio": "audio",
    "voice": "audio",
    "video": "video",
    "file": "file",
    "link": "link",
    "location": "location",
}

_RECEIPTS = {"user_received_message": EventKind.DELIVERY, "user_seen_message": EventKind.READ}
_MEDIA = ("text", "image", "file", "location", "sticker", "audio", "video", "link", "gif")
# events whose shape we know: a malformed one is a PayloadError, never silently UNKNOWN
HANDLED = frozenset(
    [f"user_send_{m}" for m in _MEDIA]
    + ["oa_send_text", "oa_send_image", "oa_send_file", "oa_send_sticker", "oa_send_gif"]
    + ["follow", "unfollow", "user_received_message", "user_seen_message"]
)
_FOLLOWS = {"follow": EventKind.FOLLOW, "unfollow": EventKind.UNFOLLOW}


# --------------------------------------------------------------------------- small readers


def _fail(event: str, what: str) -> PayloadError:
    return PayloadError(f"Zalo: sự kiện {event or '(không tên)'}: {what}")


def _as_id(value: Any) -> str | None:
    """A Zalo id as text: strings as they are, JSON integers (already text) likewise."""
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def _obj(body: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = body.get(key)
    return value if isinstance(value, Mapping) else {}


def _required_id(body: Mapping[str, Any], path: tuple[str, str], event: str) -> str:
    found = _as_id(_obj(body, path[0]).get(path[1]))
    if found is None:
        raise _fail(event, f"thiếu trường {path[0]}.{path[1]}")
    return found


def parse_timestamp(value: Any, event: str = "") -> datetime | None:
    """Zalo's ``timestamp`` (milliseconds as a string) -> aware UTC datetime.

    A value of 11 digits or fewer is taken as seconds. Missing -> ``None``; malformed or out
    of range -> :class:`PayloadError`."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not _DIGITS.match(value.strip()):
        raise _fail(event, f"timestamp không hợp lệ: {str(value)[:40]!r}")
    number = int(value)
    if number < 0:
        raise _fail(event, f"timestamp âm: {value!r}")
    millis = number if number >= 10**11 else number * 1000
    try:
        return _EPOCH + timedelta(milliseconds=millis)
    except OverflowError as err:
        raise _fail(event, f"timestamp ngoài khoảng cho phép: {value!r}") from err


def _text(message: Mapping[str, Any]) -> str:
    text = message.get("text")
    return text if isinstance(text, str) else ""


def _size(value: Any) -> int | None:
    if isinstance(value, str) and value.isdigit() and len(value) < 19:
        return int(value)
    return None


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _location_meta(payload: Mapping[str, Any], message: Mapping[str, Any]) -> dict[str, Any]:
    coords = payload.get("coordinates")
    if not isinstance(coords, Mapping):
        coords = _obj(message, "location")
    meta: dict[str, Any] = {}
    for key in ("latitude", "longitude"):
        value = coords.get(key)
        if isinstance(value, str) and value:
            meta[key] = value
    return meta


def _attachment(item: Any, message: Mapping[str, Any], event: str) -> Attachment:
    if not isinstance(item, Mapping):
        raise _fail(event, "phần tử attachments không phải đối tượng")
    vendor_type = item.get("type")
    if not isinstance(vendor_type, str):
        raise _fail(event, "attachment thiếu trường type")
    payload = _obj(item, "payload")
    kind = _ATTACHMENT_KINDS.get(vendor_type, "file")
    meta: dict[str, Any] = {"zalo_type": vendor_type}
    for key in ("thumbnail", "description", "id", "type", "checksum"):
        value = payload.get(key)
        if isinstance(value, str) and value:
            meta["file_type" if key == "type" else key] = value
    if kind == "location":
        meta.update(_location_meta(payload, message))
    return Attachment(
        kind=kind,
        url=_str_or_none(payload.get("url")),
        name=_str_or_none(payload.get("name")),
        size=_size(payload.get("size")),
        meta=meta,
    )


def _attachments(message: Mapping[str, Any], event: str) -> tuple[Attachment, ...]:
    items = message.get("attachments")
    if items is None:
        items = []
    if not isinstance(items, list):
        raise _fail(event, "message.attachments không phải danh sách")
    found = [_attachment(item, message, event) for item in items]
    if event == "user_send_location" and not found and isinstance(message.get("location"), Mapping):
        found.append(Attachment(kind="location", meta=_location_meta({}, message)))
    return tuple(found)


# --------------------------------------------------------------------------- per event family


def _message(body: Mapping[str, Any], event: str, kind: EventKind, user_key: str) -> InboundMessage:
    message = _obj(body, "message")
    if not message:
        raise _fail(event, "thiếu đối tượng message")
    msg_id = _as_id(message.get("msg_id"))
    if msg_id is None:
        raise _fail(event, "thiếu trường message.msg_id")
    quote = _as_id(message.get("quote_msg_id"))
    return InboundMessage(
        channel=CHANNEL,
        kind=kind,
        external_user_id=_required_id(body, (user_key, "id"), event),
        channel_message_id=msg_id,
        text=_text(message),
        attachments=_attachments(message, event),
        sent_at=parse_timestamp(body.get("timestamp"), event),
        reply_to_ids=(quote,) if quote else (),
        raw_type=event,
        raw=body,
    )


def _follow(body: Mapping[str, Any], event: str) -> InboundMessage:
    return InboundMessage(
        channel=CHANNEL,
        kind=_FOLLOWS[event],
        external_user_id=_required_id(body, ("follower", "id"), event),
        sent_at=parse_timestamp(body.get("timestamp"), event),
        raw_type=event,
        raw=body,
    )


def _receipt(body: Mapping[str, Any], event: str) -> InboundMessage:
    message = _obj(body, "message")
    ids: list[str] = []
    many = message.get("msg_ids")
    if isinstance(many, list):
        ids.extend(i for i in (_as_id(v) for v in many) if i)
    one = _as_id(message.get("msg_id"))
    if one and one not in ids:
        ids.append(one)
    if not ids:
        raise _fail(event, "thiếu message.msg_id / message.msg_ids")
    # Zalo names the exact message ids: no watermark (that is Messenger's model)
    return InboundMessage(
        channel=CHANNEL,
        kind=_RECEIPTS[event],
        external_user_id=_required_id(body, ("recipient", "id"), event),
        sent_at=parse_timestamp(body.get("timestamp"), event),
        refers_to=tuple(ids),
        raw_type=event,
        raw=body,
    )


def _unknown(body: Mapping[str, Any], event: str) -> InboundMessage:
    user = (
        _as_id(_obj(body, "sender").get("id"))
        or _as_id(_obj(body, "follower").get("id"))
        or _as_id(body.get("user_id"))
        or _as_id(body.get("user_id_by_app"))
        or ""
    )
    try:
        sent_at = parse_timestamp(body.get("timestamp"), event)
    except PayloadError:
        sent_at = None  # an event we do not handle is kept as it is, never refused for this
    return InboundMessage(
        channel=CHANNEL,
        kind=EventKind.UNKNOWN,
        external_user_id=user,
        sent_at=sent_at,
        raw_type=event,
        raw=body,
    )


def _family(event: str) -> tuple[EventKind, str] | None:
    """Message-like events: ``(kind, whose id is the citizen's)``."""
    if event.startswith("user_send_") and "group" not in event:
        return EventKind.MESSAGE, "sender"
    if event.startswith("oa_send_") and not any(w in event for w in ("anonymous", "group", "consent")):
        return EventKind.ECHO, "recipient"
    return None


def parse_event(body: Mapping[str, Any]) -> InboundMessage:
    event = body.get("event_name")
    if not isinstance(event, str) or not event:
        raise PayloadError("Zalo: sự kiện thiếu trường event_name")
    family = _family(event)
    if family is not None:
        try:
            return _message(body, event, *family)
        except PayloadError:
            if event in HANDLED:
                raise
            # a variant we do not know in detail (user_send_business_card, oa_send_list…) and
            # shaped differently: keep it as UNKNOWN rather than refuse it (Zalo would retry
            # a refused delivery for hours and finally switch the webhook off)
            return _unknown(body, event)
    if event in _FOLLOWS:
        return _follow(body, event)
    if event in _RECEIPTS:
        return _receipt(body, event)
    return _unknown(body, event)


def decode(raw: bytes) -> dict[str, Any]:
    """The delivery as a JSON object, integers kept as text. Raises :class:`PayloadError`."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise PayloadError("Zalo: thân yêu cầu không phải UTF-8") from err
    try:
        body = json.loads(text, parse_int=str, parse_float=str)
    except (ValueError, RecursionError) as err:
        raise PayloadError(f"Zalo: thân yêu cầu không phải JSON hợp lệ ({str(err)[:80]})") from err
    if not isinstance(body, dict):
        raise PayloadError("Zalo: thân yêu cầu không phải đối tượng JSON")
    return body


def parse_delivery(raw: bytes) -> list[InboundMessage]:
    """One webhook delivery (always one event for Zalo) -> ``[InboundMessage]``."""
    return [parse_event(decode(raw))]
