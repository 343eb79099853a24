"""Messenger webhook deliveries → :class:`InboundMessage` events.

A delivery is ``{"object": "page", "entry": [...]}``; each entry carries ``messaging`` (we
own the thread) and/or ``standby`` (another app owns it, handover protocol) arrays of
events. Every event becomes exactly one :class:`InboundMessage`; standby ones get a
``raw_type`` of ``"standby:<type>"`` and ``auto_generated=True`` (stored, not answered by the
bot: another app owns the conversation). Anything malformed raises :class:`PayloadError`
naming the offending field; nothing else escapes. With ``ParseOptions.isolate_events`` (the
connector's setting) a malformed *event* does not fail the delivery: it comes back as an
event with ``error`` set and its ``raw``, kept for an operator, and the others are read.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from connectors.base import Attachment, EventKind, InboundMessage, PayloadError

CHANNEL = "facebook"
OUR_METADATA_PREFIX = "hub1022:"  # put in message.metadata of every send; echoed back
# a millisecond timestamp Facebook could plausibly send (2004 .. 2200)
_MIN_MS, _MAX_MS = 1_072_915_200_000, 7_258_118_400_000
_OTHER_EVENTS = (
    "reaction",
    "message_edit",
    "referral",
    "optin",
    "account_linking",
    "pass_thread_control",
    "take_thread_control",
    "request_thread_control",
    "app_roles",
    "policy_enforcement",
    "game_play",
    "response_feedback",
)
_MEDIA_KINDS = {"image": "image", "video": "video", "audio": "audio", "file": "file"}


@dataclass(frozen=True, slots=True)
class ParseOptions:
    app_id: str | None = None  # our Facebook app id: echoes carrying it are our own sends
    channel: str = CHANNEL
    # a malformed event becomes an ``error`` event (kept for an operator) instead of failing
    # the whole delivery: the other events of a batch are stored all the same
    isolate_events: bool = False


def parse_delivery(raw: bytes, options: ParseOptions | None = None) -> list[InboundMessage]:
    opts = options or ParseOptions()
    data = _load(raw)
    obj = data.get("object")
    if obj != "page":
        raise PayloadError(f"Facebook: trường 'object' phải là 'page', nhận được {_show(obj)}")
    entries = _list(data.get("entry"), "entry")
    out: list[InboundMessage] = []
    for i, entry_value in enumerate(entries):
        entry = _dict(entry_value, f"entry[{i}]")
        entry_time = _opt_ms(entry.get("time"), f"entry[{i}].time")
        for field_name, standby in (("messaging", False), ("standby", True)):
            if field_name not in entry:
                continue
            events = _list(entry[field_name], f"entry[{i}].{field_name}")
            for j, ev in enumerate(events):
                path = f"entry[{i}].{field_name}[{j}]"
                out.append(_isolated(opts, ev, _messaging, ev, path, standby, entry_time, opts))
        if "changes" in entry:  # Page feed webhooks (comments...): not Messenger, kept as unknown
            for j, change in enumerate(_list(entry["changes"], f"entry[{i}].changes")):
                path = f"entry[{i}].changes[{j}]"
                out.append(_isolated(opts, change, _change, entry, i, change, path, entry_time, opts))
    return out


def _isolated(opts: ParseOptions, ev: Any, read: Callable[..., InboundMessage], *args: Any) -> InboundMessage:
    """``read(*args)``; with ``opts.isolate_events`` a malformed event ``ev`` becomes an
    ``error`` event instead of failing the delivery."""
    try:
        return read(*args)
    except PayloadError as err:
        if not opts.isolate_events:
            raise
        raw = ev if isinstance(ev, dict) else {"event": ev}
        return InboundMessage(
            channel=opts.channel, kind=EventKind.UNKNOWN, external_user_id="", raw=raw, error=str(err)
        )


def _messaging(
    ev: Any, path: str, standby: bool, entry_time: datetime | None, opts: ParseOptions
) -> InboundMessage:
    return _event(_dict(ev, path), path, standby, entry_time, opts)


def _change(
    entry: dict[str, Any], i: int, change: Any, path: str, entry_time: datetime | None, opts: ParseOptions
) -> InboundMessage:
    ch = _dict(change, path)
    name = ch.get("field")
    return InboundMessage(
        channel=opts.channel,
        kind=EventKind.UNKNOWN,
        external_user_id=_id(entry.get("id"), f"entry[{i}].id"),
        raw_type=f"changes:{name if isinstance(name, str) else '?'}",
        sent_at=entry_time,
        raw=ch,
    )


# --------------------------------------------------------------------------- one event


def _event(
    ev: dict[str, Any], path: str, standby: bool, entry_time: datetime | None, opts: ParseOptions
) -> InboundMessage:
    prefix = "standby:" if standby else ""
    sender = _id(_dict(ev.get("sender"), f"{path}.sender").get("id"), f"{path}.sender.id")
    recipient = _id(_dict(ev.get("recipient"), f"{path}.recipient").get("id"), f"{path}.recipient.id")
    sent_at = _opt_ms(ev.get("timestamp"), f"{path}.timestamp") or entry_time
    # standby: another app owns the thread (handover protocol); we record, never answer
    common: dict[str, Any] = {
        "channel": opts.channel,
        "sent_at": sent_at,
        "raw": ev,
        "auto_generated": standby,
    }
    if "message" in ev:
        msg = _dict(ev["message"], f"{path}.message")
        if msg.get("is_echo") is True:
            return _echo(msg, f"{path}.message", recipient, prefix, opts, common)
        return _message(msg, f"{path}.message", sender, prefix, common)
    if "postback" in ev:
        pb = _dict(ev["postback"], f"{path}.postback")
        title = _opt_str(pb.get("title"), f"{path}.postback.title") or ""
        payload = _opt_str(pb.get("payload"), f"{path}.postback.payload")
        mid = _opt_str(pb.get("mid"), f"{path}.postback.mid")
        if mid is None and sent_at is not None:  # older API versions: derive a stable id
            mid = f"postback:{sender}:{int(sent_at.timestamp() * 1000)}"
        return InboundMessage(
            kind=EventKind.POSTBACK,
            external_user_id=sender,
            channel_message_id=mid,
            text=payload or title,  # the payload is the text the bot reads (Get Started too)
            postback_payload=payload,
            raw_type=prefix + "postback",
            **common,
        )
    if "delivery" in ev:
        dl = _dict(ev["delivery"], f"{path}.delivery")
        mids = dl.get("mids", [])
        refers = tuple(
            _str(m, f"{path}.delivery.mids[{k}]") for k, m in enumerate(_list(mids, f"{path}.delivery.mids"))
        )
        return InboundMessage(
            kind=EventKind.DELIVERY,
            external_user_id=sender,
            refers_to=refers,
            watermark=_opt_ms(dl.get("watermark"), f"{path}.delivery.watermark"),
            raw_type=prefix + "delivery",
            **common,
        )
    if "read" in ev:
        rd = _dict(ev["read"], f"{path}.read")
        watermark = _opt_ms(rd.get("watermark"), f"{path}.read.watermark")
        if watermark is None:
            raise PayloadError(f"Facebook: {path}.read.watermark bị thiếu")
        return InboundMessage(
            kind=EventKind.READ,
            external_user_id=sender,
            watermark=watermark,
            raw_type=prefix + "read",
            **common,
        )
    other = next((name for name in _OTHER_EVENTS if name in ev), None)
    if other is None:
        other = next((k for k in ev if k not in ("sender", "recipient", "timestamp")), "unknown")
    return InboundMessage(
        kind=EventKind.UNKNOWN, external_user_id=sender, raw_type=prefix + str(other), **common
    )


def _message(
    msg: dict[str, Any], path: str, sender: str, prefix: str, common: dict[str, Any]
) -> InboundMessage:
    mid = _str(msg.get("mid"), f"{path}.mid")
    text = _opt_str(msg.get("text"), f"{path}.text") or ""
    attachments = _attachments(msg, path)
    quick = msg.get("quick_reply")
    payload = None
    if quick is not None:
        payload = _opt_str(_dict(quick, f"{path}.quick_reply").get("payload"), f"{path}.quick_reply.payload")
    reply_to: tuple[str, ...] = ()
    if isinstance(msg.get("reply_to"), dict):
        ref = _opt_str(msg["reply_to"].get("mid"), f"{path}.reply_to.mid")
        reply_to = (ref,) if ref else ()
    kind = (
        "quick_reply" if payload is not None else ("attachments" if attachments and not text else "message")
    )
    return InboundMessage(
        kind=EventKind.MESSAGE,
        external_user_id=sender,
        channel_message_id=mid,
        text=payload or text,  # a tapped quick reply: its payload, not the (shortened) title
        attachments=attachments,
        postback_payload=payload,
        reply_to_ids=reply_to,
        raw_type=prefix + kind,
        **common,
    )


def _echo(
    msg: dict[str, Any], path: str, psid: str, prefix: str, opts: ParseOptions, common: dict[str, Any]
) -> InboundMessage:
    """An echo of a message the Page sent. Ours (our app id, or our metadata marker) is
    ``ECHO``; anything else was typed by staff in the Page Inbox: ``OPERATOR_MESSAGE``."""
    mid = _str(msg.get("mid"), f"{path}.mid")
    app_id = msg.get("app_id")
    app = str(app_id) if isinstance(app_id, int | str) and not isinstance(app_id, bool) else None
    metadata = _opt_str(msg.get("metadata"), f"{path}.metadata")
    ours = (opts.app_id is not None and app == str(opts.app_id)) or (
        metadata is not None and metadata.startswith(OUR_METADATA_PREFIX)
    )
    return InboundMessage(
        kind=EventKind.ECHO if ours else EventKind.OPERATOR_MESSAGE,
        external_user_id=psid,
        channel_message_id=mid,
        text=_opt_str(msg.get("text"), f"{path}.text") or "",
        attachments=_attachments(msg, path),
        raw_type=prefix + "echo",
        **common,
    )


def _attachments(msg: dict[str, Any], path: str) -> tuple[Attachment, ...]:
    if msg.get("attachments") is None:
        return ()
    items = _list(msg["attachments"], f"{path}.attachments")
    return tuple(
        _attachment(_dict(a, f"{path}.attachments[{k}]"), f"{path}.attachments[{k}]")
        for k, a in enumerate(items)
    )


def _attachment(att: dict[str, Any], path: str) -> Attachment:
    kind = _str(att.get("type"), f"{path}.type")
    payload_value = att.get("payload")
    payload = _dict(payload_value, f"{path}.payload") if payload_value is not None else {}
    url = _opt_str(payload.get("url"), f"{path}.payload.url")
    title = _opt_str(att.get("title"), f"{path}.title") or _opt_str(
        payload.get("title"), f"{path}.payload.title"
    )
    if kind == "location":
        coords = _dict(payload.get("coordinates"), f"{path}.payload.coordinates")
        lat = _number(coords.get("lat"), f"{path}.payload.coordinates.lat")
        lng = _number(coords.get("long"), f"{path}.payload.coordinates.long")
        return Attachment(kind="location", url=url, name=title, meta={"latitude": lat, "longitude": lng})
    if kind == "fallback":  # a shared link Messenger could not render
        return Attachment(kind="link", url=url or _opt_str(att.get("url"), f"{path}.url"), name=title)
    if kind == "image" and payload.get("sticker_id") is not None:
        sticker = payload["sticker_id"]
        return Attachment(kind="sticker", url=url, meta={"sticker_id": _show(sticker)})
    if kind in _MEDIA_KINDS:
        return Attachment(kind=_MEDIA_KINDS[kind], url=url, name=title)
    return Attachment(kind=kind, url=url, name=title, meta={"payload": payload})  # template, reel...


# --------------------------------------------------------------------------- field helpers


def _load(raw: bytes) -> dict[str, Any]:
    if not isinstance(raw, bytes | bytearray):
        raise PayloadError("Facebook: nội dung webhook phải là bytes")
    try:
        data = json.loads(bytes(raw).decode("utf-8"))
    except UnicodeDecodeError as err:
        raise PayloadError(f"Facebook: nội dung webhook không phải UTF-8 ({err.reason})") from err
    except (ValueError, RecursionError) as err:
        raise PayloadError(f"Facebook: nội dung webhook không phải JSON hợp lệ ({err})") from err
    if not isinstance(data, dict):
        raise PayloadError("Facebook: nội dung webhook phải là một đối tượng JSON")
    return data


def _show(value: Any) -> str:
    if isinstance(value, dict | list):  # never repr a (possibly huge or deep) container
        return f"{type(value).__name__} ({len(value)} phần tử)"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _dict(value: Any, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise PayloadError(f"Facebook: {path} phải là đối tượng, nhận được {_show(value)}")
    return value


def _list(value: Any, path: str) -> list[Any]:
    if not isinstance(value, list):
        raise PayloadError(f"Facebook: {path} phải là mảng, nhận được {_show(value)}")
    return value


def _str(value: Any, path: str) -> str:
    if not isinstance(value, str) or not value:
        raise PayloadError(f"Facebook: {path} phải là chuỗi khác rỗng, nhận được {_show(value)}")
    return value


def _opt_str(value: Any, path: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise PayloadError(f"Facebook: {path} phải là chuỗi, nhận được {_show(value)}")
    return value


def _id(value: Any, path: str) -> str:
    """Facebook ids are decimal strings (beyond 2^53); accept an integer as well."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return str(value)
    return _str(value, path)


def _number(value: Any, path: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PayloadError(f"Facebook: {path} phải là số, nhận được {_show(value)}")
    number = float(value)
    if not math.isfinite(number):
        raise PayloadError(f"Facebook: {path} không hữu hạn")
    return number


def _opt_ms(value: Any, path: str) -> datetime | None:
    """A millisecond epoch timestamp as an aware UTC datetime."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise PayloadError(f"Facebook: {path} phải là mốc thời gian (ms), nhận được {_show(value)}")
    try:
        ms = int(value) if not isinstance(value, float) else value
    except ValueError as err:
        raise PayloadError(f"Facebook: {path} không phải số mili giây: {_show(value)}") from err
    if not (isinstance(ms, int) or math.isfinite(ms)) or not (_MIN_MS <= ms <= _MAX_MS):
        raise PayloadError(f"Facebook: {path} ngoài khoảng thời gian hợp lệ: {_show(value)}")
    return datetime.fromtimestamp(ms / 1000, UTC)
