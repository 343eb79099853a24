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
"""

from __future__ import annotations

import base64
import binascii
import codecs
import hashlib
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes
from email.header import decode_header
from email.message import Message
from email.policy import Compat32
from email.utils import getaddresses, parseaddr, parsedate_to_datetime
from html.parser import HTMLParser
from typing import Any

from connectors.base import Attachment, ContactProfile, EventKind, InboundMessage, PayloadError
from connectors.email.autoreply import auto_generated_reason, is_robot_address
from connectors.email.headers import header_text, raw_header, unescape_8bit
from connectors.email.threading import message_ids, reply_lookup_ids

CHANNEL = "email"
MAX_DEPTH = 20  # nested multiparts deeper than this are not walked (MIME bombs)


@dataclass(frozen=True, slots=True)
class MimeLimits:
    max_attachment_bytes: int = 10 * 1024 * 1024
    max_total_attachment_bytes: int = 25 * 1024 * 1024
    max_attachments: int = 50
    max_text_chars: int = 100_000  # longer bodies are cut; the full text is kept as a .txt file


DEFAULT_LIMITS = MimeLimits()


class _LenientPolicy(Compat32):
    """compat32 parsing (the most forgiving), but a header with raw 8-bit bytes is read as
    UTF-8 text instead of an ``email.header.Header`` object that breaks ``str`` methods
    deep inside the stdlib (``get_content_type``, ``get_filename``, …)."""

    def header_fetch_parse(self, name: str, value: str) -> str:
        return unescape_8bit(value)


LENIENT = _LenientPolicy()


# --------------------------------------------------------------------------- text helpers


def clean_text(value: str) -> str:
    """NFC, no NUL, no lone surrogates (unencodable in UTF-8)."""
    value = value.replace("\x00", "")
    value = value.encode("utf-8", "replace").decode("utf-8")
    return unicodedata.normalize("NFC", value)


def decode_bytes(data: bytes, charset: str | None) -> str:
    """Decode with the declared charset; unknown, bogus or non-text codecs fall back to
    UTF-8 with replacement characters. Never raises."""
    name = (charset or "").strip().strip("\"'").lower()
    if name in {"", "us-ascii", "ascii", "unknown-8bit", "x-unknown", "8bit", "default"}:
        name = "utf-8"
    try:
        info = codecs.lookup(name)
        if not getattr(info, "_is_text_encoding", True):
            raise LookupError(name)
        return data.decode(info.name, errors="replace")
    except (LookupError, UnicodeError, ValueError, TypeError):
        return data.decode("utf-8", errors="replace")


def decode_header_value(value: str | None) -> str:
    """RFC 2047 encoded-words → text, unfolded; never raises."""
    if not value:
        return ""
    value = re.sub(r"\r?\n[ \t]+", " ", unescape_8bit(str(value)))
    try:
        chunks = decode_header(value)
    except Exception:  # malformed encoded words: keep the raw text
        return clean_text(value).strip()
    out = []
    for chunk, charset in chunks:
        out.append(decode_bytes(chunk, charset) if isinstance(chunk, bytes) else chunk)
    return clean_text("".join(out)).strip()


# --------------------------------------------------------------------------- HTML → text


class _HtmlToText(HTMLParser):
    SKIP = frozenset({"script", "style", "head", "title", "noscript", "template", "svg", "object", "iframe"})
    BLOCK = frozenset(
        {
            "p", "div", "br", "tr", "table", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6",
            "blockquote", "hr", "section", "article", "header", "footer", "pre", "address", "dl", "dt", "dd",
        }
    )  # fmt: skip

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip_depth = 0
        self.links: list[str | None] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIP:
            self.skip_depth += 1
        elif self.skip_depth:
            return
        elif tag == "li":
            self.parts.append("\n- ")
        elif tag in self.BLOCK:
            self.parts.append("\n")
        elif tag in {"td", "th"}:
            self.parts.append(" ")
        elif tag == "img":
            alt = dict(attrs).get("alt")
            if alt:
                self.parts.append(f"[{alt}]")
        if tag == "a":
            href = dict(attrs).get("href") or ""
            self.links.append(href if re.match(r"(?i)(https?|mailto):", href) else None)
            self.parts.append("\x01")  # marks where the link text starts

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIP:
            return
        self.handle_starttag(tag, attrs)
        if tag == "a":
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP:
            self.skip_depth = max(0, self.skip_depth - 1)
        elif self.skip_depth:
            return
        elif tag == "a" and self.links:
            href = self.links.pop()
            text = self._text_since_marker()
            if href and href.removeprefix("mailto:") not in text:
                self.parts.append(f" ({href})")
        elif tag in self.BLOCK:
            self.parts.append("\n")

    def _text_since_marker(self) -> str:
        for i in range(len(self.parts) - 1, -1, -1):
            if self.parts[i] == "\x01":
                self.parts[i] = ""
                return "".join(self.parts[i:])
        return ""

    def handle_data(self, data: str) -> None:
        if not self.skip_depth:
            self.parts.append(data)

    def text(self) -> str:
        raw = "".join(p for p in self.parts if p != "\x01")
        lines = [re.sub(r"[ \t\r\f\v\u00a0]+", " ", line).strip() for line in raw.split("\n")]
        return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def html_to_text(html: str) -> str:
    """Safe plain text from HTML: markup, scripts, styles and comments dropped; links kept
    as ``text (url)``; block elements become line breaks."""
    parser = _HtmlToText()
    try:
        parser.feed(html)
        parser.close()
        return parser.text()
    except Exception:  # html.parser is lenient, but never let markup crash ingestion
        stripped = re.sub(r"(?is)<(script|style)\b.*?</\1\s*>", " ", html)
        return re.sub(r"\s+", " ", re.sub(r"(?s)<[^>]*>", " ", stripped)).strip()


# --------------------------------------------------------------------------- MIME walk


@dataclass
class _Collected:
    plain: list[str] = field(default_factory=list)
    html: list[str] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    total_bytes: int = 0
    defects: int = 0


def _leaves(part: Message, depth: int = 0) -> Iterator[Message]:
    """Leaf parts in order; a forwarded message (``message/*``) is one leaf."""
    if depth > MAX_DEPTH:
        return
    if part.get_content_maintype() == "message" or not part.is_multipart():
        yield part
        return
    payload = part.get_payload()
    for sub in payload if isinstance(payload, list) else []:
        if isinstance(sub, Message):
            yield from _leaves(sub, depth + 1)


def _is_attachment(part: Message) -> bool:
    disposition = header_text(part, "Content-Disposition").split(";")[0].strip().lower()
    if disposition == "attachment" or part.get_content_maintype() == "message":
        return True
    if part.get_content_maintype() != "text" or part.get_content_subtype() == "rfc822-headers":
        return True
    return _filename(part) is not None and disposition != "inline"


def _filename(part: Message) -> str | None:
    try:
        name = part.get_filename() or part.get_param("name")
    except Exception:
        return None
    if not name or not isinstance(name, str):
        return None
    cleaned = decode_header_value(name).replace("/", "_").replace("\\", "_").strip()
    return cleaned[:255] or None


def _payload_bytes(part: Message) -> bytes:
    """Decoded content of a leaf; never raises."""
    try:
        if part.get_content_maintype() == "message":
            inner = part.get_payload()
            items = inner if isinstance(inner, list) else [inner]
            return b"".join(
                m.as_bytes() if isinstance(m, Message) else str(m).encode("utf-8", "replace") for m in items
            )
        cte = header_text(part, "Content-Transfer-Encoding").lower()
        raw_payload = part.get_payload()
        if cte == "base64" and isinstance(raw_payload, str):
            return lenient_b64decode(raw_payload)
        data = part.get_payload(decode=True)
        if isinstance(data, bytes):
            return data
        raw = part.get_payload()
        return str(raw).encode("utf-8", "surrogateescape") if raw is not None else b""
    except Exception:
        try:
            raw = part.get_payload()
        except Exception:  # e.g. a NUL in a header the stdlib chokes on: keep the raw part
            raw = getattr(part, "_payload", None)  # last resort, still no crash
        return str(raw).encode("utf-8", "replace") if isinstance(raw, str) else b""


def lenient_b64decode(text: str) -> bytes:
    """Base64 as mailers really send it: junk characters skipped, missing padding and a
    dangling last quantum tolerated."""
    cleaned = re.sub(r"[^A-Za-z0-9+/]", "", text)
    if len(cleaned) % 4 == 1:  # a lone last character carries no whole byte
        cleaned = cleaned[:-1]
    try:
        return base64.b64decode(cleaned + "=" * (-len(cleaned) % 4))
    except (binascii.Error, ValueError):
        return b""


def _estimated_size(part: Message) -> int:
    raw = part.get_payload()
    if not isinstance(raw, str):
        return 0
    cte = header_text(part, "Content-Transfer-Encoding").lower()
    return len(raw) * 3 // 4 if cte == "base64" else len(raw)


def _kind_for(mime_type: str) -> str:
    major = mime_type.split("/", 1)[0]
    return major if major in {"image", "audio", "video"} else "file"


def _attachment(part: Message, index: int, limits: MimeLimits, seen: _Collected) -> Attachment:
    mime_type = part.get_content_type()
    name = _filename(part)
    if name is None:
        name = {
            "message/rfc822": "thu-chuyen-tiep.eml",
            "message/delivery-status": "trang-thai-gui.txt",
            "text/rfc822-headers": "tieu-de-thu-goc.txt",
        }.get(mime_type, f"tep-dinh-kem-{index}")
    meta: dict[str, Any] = {}
    if header_text(part, "Content-ID"):
        meta["content_id"] = clean_text(header_text(part, "Content-ID")).strip("<>")
    if header_text(part, "Content-Disposition").lower().startswith("inline"):
        meta["inline"] = True
    kind = _kind_for(mime_type)
    if len(seen.attachments) >= limits.max_attachments:
        return _omitted(kind, name, None, mime_type, meta, "too_many", limits.max_attachments)
    estimate = _estimated_size(part)
    if estimate > limits.max_attachment_bytes * 1.05:  # do not even decode a huge part
        return _omitted(kind, name, estimate, mime_type, meta, "too_large", limits.max_attachment_bytes)
    data = _payload_bytes(part)
    if len(data) > limits.max_attachment_bytes:
        return _omitted(kind, name, len(data), mime_type, meta, "too_large", limits.max_attachment_bytes)
    if seen.total_bytes + len(data) > limits.max_total_attachment_bytes:
        return _omitted(
            kind, name, len(data), mime_type, meta, "total_too_large", limits.max_total_attachment_bytes
        )
    seen.total_bytes += len(data)
    return Attachment(kind=kind, name=name, size=len(data), mime_type=mime_type, data=data, meta=meta)


_OMITTED_REASON = {
    "too_large": "Tệp đính kèm vượt quá giới hạn {limit} byte nên không được lưu.",
    "total_too_large": "Tổng dung lượng tệp đính kèm vượt quá {limit} byte nên tệp này không được lưu.",
    "too_many": "Thư có quá {limit} tệp đính kèm nên tệp này không được lưu.",
}


def _omitted(
    kind: str, name: str, size: int | None, mime_type: str, meta: dict[str, Any], why: str, limit: int
) -> Attachment:
    meta = {**meta, "omitted": why, "limit": limit, "reason": _OMITTED_REASON[why].format(limit=limit)}
    return Attachment(kind=kind, name=name, size=size, mime_type=mime_type, data=None, meta=meta)


def _collect(msg: Message, limits: MimeLimits) -> _Collected:
    out = _Collected()
    for index, part in enumerate(_leaves(msg), start=1):
        out.defects += len(getattr(part, "defects", []) or [])
        if _is_attachment(part):
            out.attachments.append(_attachment(part, index, limits, out))
            continue
        text = decode_bytes(_payload_bytes(part), _charset(part))
        (out.html if part.get_content_subtype() == "html" else out.plain).append(text)
    return out


def _charset(part: Message) -> str | None:
    try:
        charset = part.get_param("charset")
    except Exception:
        return None
    if isinstance(charset, tuple):  # RFC 2231 form
        charset = charset[2]
    return str(charset) if charset else None


# --------------------------------------------------------------------------- the message


def delivery_report(msg: Message) -> dict[str, Any] | None:
    """A bounce (RFC 3464 ``multipart/report; report-type=delivery-status``): which of our
    messages it is about (``message_ids``) and what happened (``action``, ``status``,
    ``recipients``). ``None`` for any other mail. Never raises."""
    try:
        if msg.get_content_type() != "multipart/report":
            return None
        report: dict[str, Any] = {"action": None, "status": None, "recipients": [], "message_ids": []}
        for part in _leaves(msg):
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
    headers = message_from_bytes(_payload_bytes(part), policy=LENIENT)
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


def _body_text(collected: _Collected, limits: MimeLimits) -> tuple[str, Attachment | None]:
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
    collected = _collect(msg, limits)
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
