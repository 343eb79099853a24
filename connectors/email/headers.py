"""Raw header access that never trips over 8-bit bytes or malformed values."""

from __future__ import annotations

import re
from email.message import Message


def unescape_8bit(value: str) -> str:
    """Raw 8-bit header bytes arrive as surrogate escapes: decode them as UTF-8."""
    if any("\udc80" <= ch <= "\udcff" for ch in value):
        return value.encode("ascii", "surrogateescape").decode("utf-8", errors="replace")
    return value


def raw_header(msg: Message, name: str) -> str | None:
    """The first raw (undecoded, unfolded) value of a header, or ``None``."""
    lname = name.lower()
    for key, value in msg.raw_items():
        if key.lower() == lname:
            return re.sub(r"\r?\n[ \t]+", " ", str(value))
    return None


def header_text(msg: Message, name: str) -> str:
    """A header as plain text (8-bit bytes decoded, whitespace collapsed), ``""`` if absent."""
    value = raw_header(msg, name)
    return re.sub(r"\s+", " ", unescape_8bit(value)).strip() if value is not None else ""
