"""Robust MIME parsing: one raw e-mail (RFC 5322 bytes) → one :class:`InboundMessage`.

Never crashes on what arrives by mail: bogus charsets, broken base64, malformed headers and
random bytes all give a best-effort message. Only input that is not an e-mail at all (empty,
or without any sender address) raises :class:`PayloadError` with a clear reason.

* text: the first inline ``text/plain`` body (all of them joined in a ``multipart/mixed``);
  when there is none, the HTML body turned into safe plain text (no script/style content,
  no markup);
* attachments: :class:`Attachment` with ``data``; a part over the size limits is recorded
  with ``data=None`` and ``meta["omitted"]`` / ``meta["reason"]`` (never a crash);
* headers: RFC 2047 encoded-words, raw 8-bit (UTF-8) headers, RFC 2231 file names;
* every string is NFC-normalised and free of NUL characters and lone surrogates (so the
  database can store it).

The MIME walk and the limits are in :mod:`connectors.email.parts`, the text decoding and
HTML → text in :mod:`connectors.email.text`.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from email import message_from_bytes
from email.message import Message
from email.policy import Compat32
from email.utils import getaddresses, parseaddr, parsedate_to_datetime
from typing import Any

from connectors.base import Attachment, ContactProfile, EventKind, InboundMessage, PayloadError
from connectors.email.autoreply import auto_generated_reason, is_robot_address
from connectors.email.headers import header_text, raw_header, unescape_8bit
from connectors.email.parts import DEFAULT_LIMITS, Collected, MimeLimits, collect, leaves, payload_bytes
from connectors.email.text import clean_text, decode_header_value, html_to_text
from connectors.email.threading import message_ids, reply_lookup_ids

CHANNEL = "email"


class _LenientPolicy(Compat32):
    """compat32 parsing (the most forgiving), but a header with raw 8-bit bytes is read as
    UTF-8 text instead of an ``email.header.Header`` object that breaks ``str`` methods
    deep inside the stdlib (``get_content_type``, ``get_filename``, …)."""

    def header_fetch_parse(self, name: str, value: str) -> str:
        return unescape_8bit(value)


LENIENT = _LenientPolicy()


# --------------------------------------------------------------------------- the message


def delivery_report(msg: Message) -> dict[str, Any] | None:
    """A bounce (RFC 3464 ``multipart/report; report-type=delivery-status``): which of our
    messages it is about (``message_ids``) and what happened (``action``, ``status``,
    ``recipients``). ``None`` for any other mail. Never raises."""
    try:
        if msg.get_content_type() != "multipart/report":
            return None
        report: dict[str, Any] = {"action": None, "status": None, "recipients": [], "message_ids": []}
        for part in leaves(msg):
            ctype = part.get_content_type()
            if ctype == "message/delivery-status":
                _read_delivery_status(part, report)
            elif ctype in {"message/rfc822", "text/rfc822-headers"}:
                report["message_ids"] += message_ids(_returned_message_id(part))
        return report
    except Exception:
        return None


def _read_delivery_status(part: Message, report: dict[str, Any]) -> None:
    blocks = part.get_payload()
    for block in blocks if isinstance(blocks, list) else []:
        if not isinstance(block, Message):
            continue
        action = header_text(block, "Action").lower()
        if action:
            report["action"] = report["action"] or action
            report["status"] = report["status"] or header_text(block, "Status") or None
            recipient = header_text(block, "Final-Recipient").split(";")[-1].strip().lower()
            if recipient:
                report["recipients"].append(clean_text(recipient))


def _returned_message_id(part: Message) -> str:
    if part.get_content_type() == "message/rfc822":
        inner = part.get_payload()
        first = inner[0] if isinstance(inner, list) and inner else inner
        if not isinstance(first, Message):
            return ""
        return raw_header(first, "Message-ID") or ""
    headers = message_from_bytes(payload_bytes(part), policy=LENIENT)
    return raw_header(headers, "Message-ID") or ""


def synthetic_message_id(raw: bytes) -> str:
    """A stable Message-ID for mail without one: the same bytes always give the same id."""
    return f"<sha256-{hashlib.sha256(raw).hexdigest()[:40]}@generated.invalid>"


def _sender(msg: Message) -> tuple[str, str]:
    """(display name, lower-cased address) from From, else Sender/Reply-To/Return-Path.

    Mail from a no-reply address on behalf of someone named in Reply-To (a web form, the
    portal) belongs to the person in Reply-To: that is who gets the answer."""
    from_ = raw_header(msg, "From") or ""
    if is_robot_address(parseaddr(unescape_8bit(from_))[1]):
        order: tuple[str, ...] = ("Reply-To", "From", "Sender", "Return-Path")
    else:
        order = ("From", "Sender", "Reply-To", "Return-Path")
    for header in order:
        value = raw_header(msg, header)
        if not value:
            continue
        name, address = parseaddr(unescape_8bit(re.sub(r"\r?\n[ \t]+", " ", value)))
        address = clean_text(address).strip().strip("<>").lower()
        if "@" in address and " " not in address:
            return decode_header_value(name), address
    raise PayloadError("Thư không có địa chỉ người gửi hợp lệ (From).")


def _addresses(msg: Message, header: str) -> list[str]:
    values = [unescape_8bit(str(v)) for k, v in msg.raw_items() if k.lower() == header.lower()]
    try:
        pairs = getaddresses(values)
    except Exception:
        return []
    return [clean_text(addr).lower() for _, addr in pairs if "@" in addr]


def _sent_at(msg: Message) -> datetime | None:
    value = raw_header(msg, "Date")
    if not value:
        return None
    try:
        when = parsedate_to_datetime(value.strip())
    except Exception:
        return None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when


def _body_text(collected: Collected, limits: MimeLimits) -> tuple[str, Attachment | None]:
    if collected.plain:
        text = "\n\n".join(t.strip("\r\n") for t in collected.plain)
    else:
        text = "\n\n".join(html_to_text(h) for h in collected.html)
    text = clean_text(text.replace("\r\n", "\n").replace("\r", "\n")).strip()
    if len(text) <= limits.max_text_chars:
        return text, None
    full = text.encode("utf-8")
    keep = Attachment(
        kind="file", name="noi-dung-day-du.txt", size=len(full), mime_type="text/plain", data=full,
        meta={"reason": "Nội dung thư quá dài; bản đầy đủ được lưu thành tệp."},
    )  # fmt: skip
    return text[: limits.max_text_chars], keep


def parse_email(
    raw: bytes,
    *,
    own_addresses: Iterable[str] = (),
    limits: MimeLimits = DEFAULT_LIMITS,
    channel: str = CHANNEL,
) -> InboundMessage:
    """Parse one e-mail. Raises :class:`PayloadError` only for input that is no e-mail."""
    if not isinstance(raw, bytes | bytearray | memoryview):
        raise PayloadError("Dữ liệu thư phải là bytes.")
    raw = bytes(raw)
    if not raw.strip():
        raise PayloadError("Thư rỗng.")
    try:
        msg = message_from_bytes(raw, policy=LENIENT)
    except Exception as err:  # pragma: no cover - the stdlib parser is total in practice
        raise PayloadError(f"Không đọc được thư: {err}") from err
    name, address = _sender(msg)
    own = tuple(own_addresses)
    reason = auto_generated_reason(msg, own)
    collected = collect(msg, limits)
    text, overflow = _body_text(collected, limits)
    attachments = [*collected.attachments, *([overflow] if overflow else [])]
    ids = message_ids(raw_header(msg, "Message-ID"))
    message_id = ids[0] if ids else synthetic_message_id(raw)
    subject = decode_header_value(raw_header(msg, "Subject"))
    reply_to = _addresses(msg, "Reply-To")
    report = delivery_report(msg)
    return InboundMessage(
        channel=channel,
        kind=EventKind.MESSAGE,
        external_user_id=address,
        channel_message_id=message_id,
        text=text,
        attachments=tuple(attachments),
        sent_at=_sent_at(msg),
        profile=ContactProfile(
            display_name=name or None,
            email=address,
            extra={"reply_to": reply_to[0]} if reply_to and reply_to[0] != address else {},
        ),
        subject=subject or None,
        reply_to_ids=reply_lookup_ids(
            message_ids(raw_header(msg, "In-Reply-To")), message_ids(raw_header(msg, "References"))
        ),
        auto_generated=reason is not None,
        refers_to=tuple(report["message_ids"]) if report else (),
        raw_type="delivery_report" if report else "email",
        raw={
            "message_id": message_id,
            "generated_message_id": not ids,
            "from": address,
            "to": _addresses(msg, "To"),
            "cc": _addresses(msg, "Cc"),
            "date": decode_header_value(raw_header(msg, "Date")) or None,
            "auto_generated_reason": reason,
            "size": len(raw),
            "defects": collected.defects + len(msg.defects),
            "text_truncated": overflow is not None,
            **({"delivery_report": report} if report else {}),
        },
    )
