"""Text search without diacritics, in SQL on SQLite and PostgreSQL alike: a row keeps its
searchable text folded (:func:`fold`) in a column, and a query is folded the same way and
matched with ``LIKE``, so "nguyen van a" finds "Nguyễn Văn A" and neither database needs an
extension or a collation of its own.

``tickets.search_text`` (:func:`ticket_search_text`) is written by ``handoff.tickets``, the
owner of a ticket's creation and content, and backfilled by migration 0008.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from typing import Any

MAX_QUERY = 100  # characters of a search query kept


def fold(text: str) -> str:
    """Lower case, no diacritics, ``đ`` -> ``d`` ("Nguyễn Văn Đức" -> "nguyen van duc").
    The same rule as ``faq.normalize.fold``, which ``storage`` may not import (``faq``
    imports nothing of the project); a test holds the two to the same results."""
    decomposed = unicodedata.normalize("NFD", text.lower())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", stripped.replace("đ", "d"))


def ticket_search_text(code: str, content: str, snapshot: Mapping[str, Any] | None) -> str:
    """What a ticket search matches: the code, the content and the citizen's name and phone
    (the phone also as bare digits, so "0912345678" finds "0912 345 678"), folded."""
    snap = snapshot or {}
    parts = [code, content]
    parts += [str(snap[k]) for k in ("full_name", "display_name", "phone") if snap.get(k)]
    if digits := "".join(c for c in str(snap.get("phone") or "") if c.isdigit()):
        parts.append(digits)
    return fold(" ".join(parts))


def like_pattern(query: str) -> str | None:
    """``query`` folded, as a ``LIKE … ESCAPE '\\'`` pattern matching it anywhere; None when
    nothing is left to search for."""
    folded = " ".join(fold(query[:MAX_QUERY]).split())
    if not folded:
        return None
    escaped = folded.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
