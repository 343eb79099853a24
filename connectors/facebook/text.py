"""Splitting long answers at Messenger's 2,000-character limit, on word boundaries."""

from __future__ import annotations

MAX_TEXT = 2000


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Cut ``text`` into pieces of at most ``limit`` characters.

    Cuts fall on the last paragraph break, else line break, else space inside the limit;
    a single word longer than the limit is cut hard. Whitespace at the cut is dropped, all
    other characters are kept in order. Empty or blank text gives no pieces.
    """
    if limit < 1:
        raise ValueError("limit must be positive")
    pieces: list[str] = []
    rest = text.strip()
    while rest:
        if len(rest) <= limit:
            pieces.append(rest)
            break
        cut = _cut_point(rest, limit)
        head = rest[:cut].rstrip()
        pieces.append(head if head else rest[:cut])
        rest = rest[cut:].lstrip()
    return pieces


def _cut_point(text: str, limit: int) -> int:
    window = text[: limit + 1]  # a separator right after the limit is a clean cut too
    for sep in ("\n\n", "\n", " "):
        pos = window.rfind(sep)
        if pos > 0:
            return pos
    return limit
