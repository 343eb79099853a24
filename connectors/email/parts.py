"""The MIME walk: the leaf parts of one parsed e-mail sorted into body texts and
:class:`Attachment` values, within :class:`MimeLimits` (a part over the limits is recorded
with ``data=None`` and ``meta["omitted"]`` / ``meta["reason"]``, never a crash).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import Message
from typing import Any

from connectors.base import Attachment
from connectors.email.headers import header_text
from connectors.email.text import clean_text, decode_bytes, decode_header_value

MAX_DEPTH = 20  # nested multiparts deeper than this are not walked (MIME bombs)


@dataclass(frozen=True, slots=True)
class MimeLimits:
    max_attachment_bytes: int = 10 * 1024 * 1024
    max_total_attachment_bytes: int = 25 * 1024 * 1024
    max_attachments: int = 50
    max_text_chars: int = 100_000  # longer bodies are cut; the full text is kept as a .txt file


DEFAULT_LIMITS = MimeLimits()


# --------------------------------------------------------------------------- MIME walk


@dataclass
class Collected:
    plain: list[str] = field(default_factory=list)
    html: list[str] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    total_bytes: int = 0
    defects: int = 0


def leaves(part: Message, depth: int = 0) -> Iterator[Message]:
    """Leaf parts in order; a forwarded message (``message/*``) is one leaf."""
    if depth > MAX_DEPTH:
        return
    if part.get_content_maintype() == "message" or not part.is_multipart():
        yield part
        return
    payload = part.get_payload()
    for sub in payload if isinstance(payload, list) else []:
        if isinstance(sub, Message):
            yield from leaves(sub, depth + 1)


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


def payload_bytes(part: Message) -> bytes:
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


def _attachment(part: Message, index: int, limits: MimeLimits, seen: Collected) -> Attachment:
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
    data = payload_bytes(part)
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


def collect(msg: Message, limits: MimeLimits) -> Collected:
    out = Collected()
    for index, part in enumerate(leaves(msg), start=1):
        out.defects += len(getattr(part, "defects", []) or [])
        if _is_attachment(part):
            out.attachments.append(_attachment(part, index, limits, out))
            continue
        text = decode_bytes(payload_bytes(part), _charset(part))
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
