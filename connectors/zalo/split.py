"""Cut a long answer into Zalo-sized messages on sentence or word boundaries.

Zalo accepts at most 2,000 characters per consultation text. Length is measured in UTF-16 code
units (what Zalo's servers count; an emoji is 2), which is never less than Python's ``len``.
A cut prefers, in order: a paragraph/line break, a sentence end, a space. Only a single
"word" longer than the limit (a long URL) is cut inside.
"""

from __future__ import annotations

import re

MAX_TEXT = 2000
_SENTENCE_END = re.compile(r"[.!?…;:]['\")\]»”]*\s")
_SPACE = re.compile(r"\s")


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _prefix_fitting(text: str, limit: int) -> int:
    """Largest ``n`` with ``utf16_len(text[:n]) <= limit``."""
    units = 0
    for index, char in enumerate(text):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > limit:
            return index
    return len(text)


def _cut(window: str, rest_starts_with_space: bool) -> int:
    """Where to end the chunk taken from ``window`` (the longest prefix that fits)."""
    if rest_starts_with_space:
        return len(window)  # the whole window ends exactly on a word boundary
    floor = len(window) // 2  # don't make tiny chunks just to end on a sentence
    newline = window.rfind("\n")
    if newline >= floor:
        return newline + 1
    sentence_ends = [m.end() for m in _SENTENCE_END.finditer(window) if m.end() >= floor]
    if sentence_ends:
        return sentence_ends[-1]
    spaces = [m.end() for m in _SPACE.finditer(window)]
    if spaces:
        return spaces[-1]
    return len(window)  # one word longer than the limit: nothing better exists


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """``text`` as chunks of at most ``limit`` UTF-16 units, none empty, none cut mid-word."""
    if limit < 2:
        raise ValueError("limit must be at least 2")
    chunks: list[str] = []
    rest = text.strip()
    while rest:
        if utf16_len(rest) <= limit:
            chunks.append(rest)
            break
        size = _prefix_fitting(rest, limit)
        end = _cut(rest[:size], rest[size].isspace())
        chunk = rest[:end].rstrip()
        if chunk:
            chunks.append(chunk)
        rest = rest[end:].lstrip()
    return chunks
