"""The part of a message the matcher reads: a bounded prefix.

Normalising, tokenising and above all encoding cost more than linear time in the length of
a message (the embedding model's tokenizer and attention on one long unbroken word), so
every engine call first keeps at most ``max_words`` words of the message, each cut to at
most ``max_word_chars`` characters. A question longer than that is handed to a human by
the workflow anyway; the whole message stays stored.
"""

from __future__ import annotations

import re

MAX_QUERY_WORDS = 200
MAX_WORD_CHARS = 40  # longer than any Vietnamese word, URL-ish tokens are cut

_WORD = re.compile(r"\S+")


def bound_query(text: str, max_words: int = MAX_QUERY_WORDS, max_word_chars: int = MAX_WORD_CHARS) -> str:
    """The first ``max_words`` words of ``text``, each at most ``max_word_chars`` long.

    A text already within bounds (and not padded with long runs of spaces) is returned as it
    is; otherwise the words are joined by a newline where the original had one (sentences
    stay apart) and by one space elsewhere, so the result has at most
    ``max_words * (max_word_chars + 1)`` characters. Linear in the part that is read."""
    limit = max_words * (max_word_chars + 1)
    parts: list[str] = []
    changed = len(text) > limit
    end = 0
    for count, match in enumerate(_WORD.finditer(text)):
        if count == max_words:
            changed = True
            break
        start, stop = match.span()
        gap = text[end:start]
        parts.append(("\n" if "\n" in gap else " ") if parts else "")
        if stop - start > max_word_chars:
            stop, changed = start + max_word_chars, True
        parts.append(text[start:stop])
        end = match.end()
    return "".join(parts) if changed else text
