"""Vendor text made storable, never refused.

PostgreSQL refuses U+0000 in text, and UTF-8 (so neither database driver) cannot carry a lone
surrogate (a JSON ``"\\ud800"`` without its pair). Whatever a channel hands over is cleaned
here, the same way for every channel:

* NUL and the other C0 controls are removed, except tab and newline;
* a carriage return ends a line: CRLF and a lone CR both become one newline (e-mail and
  old clients send them; removing a lone CR would glue two lines together);
* every lone surrogate becomes U+FFFD (the replacement character);
* everything else (DEL, C1 controls, non-characters, emoji...) is kept as sent.

The functions are pure and cheap when there is nothing to clean (one regex search).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from connectors.base import Attachment, ContactProfile, InboundMessage

# a Python str holds a surrogate code point only when it was unpaired: a valid pair decodes
# to one code point
_UNSTORABLE = re.compile("[\x00-\x08\x0b\x0c\x0d\x0e-\x1f\ud800-\udfff]")
REPLACEMENT = "\ufffd"


def _replace(match: re.Match[str]) -> str:
    ch = match.group(0)
    if ch == "\r":
        return "\n"
    return REPLACEMENT if "\ud800" <= ch <= "\udfff" else ""


def needs_cleaning(text: str) -> bool:
    """True when ``text`` holds a character :func:`storable` would change."""
    return _UNSTORABLE.search(text) is not None


def storable(text: str) -> str:
    """``text`` without NUL/C0 controls (tab and newline kept, CR and CRLF as newline) and
    with every lone surrogate replaced by U+FFFD."""
    if not needs_cleaning(text):
        return text
    return _UNSTORABLE.sub(_replace, text.replace("\r\n", "\n"))


def storable_or_none(text: str | None) -> str | None:
    return None if text is None else storable(text)


def storable_value(value: Any) -> Any:
    """A JSON-like value with every string (keys too) made storable."""
    if isinstance(value, str):
        return storable(value)
    if isinstance(value, Mapping):
        return {storable_value(k): storable_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [storable_value(v) for v in value]
    return value


def _attachment(a: Attachment) -> Attachment:
    return replace(
        a,
        kind=storable(a.kind),
        url=storable_or_none(a.url),
        name=storable_or_none(a.name),
        mime_type=storable_or_none(a.mime_type),
        meta=storable_value(a.meta),
    )


def storable_profile(p: ContactProfile) -> ContactProfile:
    return ContactProfile(
        display_name=storable_or_none(p.display_name),
        full_name=storable_or_none(p.full_name),
        phone=storable_or_none(p.phone),
        email=storable_or_none(p.email),
        address=storable_or_none(p.address),
        avatar_url=storable_or_none(p.avatar_url),
        extra=storable_value(p.extra),
    )


def storable_event(event: InboundMessage) -> InboundMessage:
    """Every string of ``event`` that can reach the database made storable. ``raw`` (the
    vendor's event, kept only for an operator's record) is left exactly as received."""
    return replace(
        event,
        channel=storable(event.channel),
        external_user_id=storable(event.external_user_id),
        channel_message_id=storable_or_none(event.channel_message_id),
        text=storable(event.text),
        attachments=tuple(_attachment(a) for a in event.attachments),
        profile=storable_profile(event.profile) if event.profile is not None else None,
        subject=storable_or_none(event.subject),
        reply_to_ids=tuple(storable(i) for i in event.reply_to_ids),
        refers_to=tuple(storable(i) for i in event.refers_to),
        postback_payload=storable_or_none(event.postback_payload),
        raw_type=storable(event.raw_type),
    )
