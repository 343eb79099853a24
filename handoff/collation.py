"""Vietnamese collation for names people read in lists (agencies, domains).

The databases cannot be trusted to sort Vietnamese the same way (SQLite compares code
points, so "Đ" comes after "Y"; PostgreSQL follows its own locale), so lists are sorted in
Python with :func:`vi_key`. The rule, a simplified form of the dictionary order:

1. letters first, over the whole text, in the Vietnamese alphabet
   ``a ă â b c d đ e ê g h i k l m n o ô ơ p q r s t u ư v x y`` (the Latin letters the
   alphabet lacks, f j w z, sit where they stand in the Latin one); case is ignored;
   spaces and punctuation come before digits, digits (one by one) before letters, and any
   other character after them, by code point;
2. then the tones, letter by letter: none, huyền, hỏi, ngã, sắc, nặng;
3. then lower case before upper case, and finally the text itself (a total order).
"""

from __future__ import annotations

import unicodedata

ALPHABET = "aăâbcdđeêfghijklmnoôơpqrstuưvwxyz"
_RANK = {letter: i for i, letter in enumerate(ALPHABET)}
# tone marks (combining, after NFD) in the dictionary's order: none first
_TONES = {"\u0300": 1, "\u0309": 2, "\u0303": 3, "\u0301": 4, "\u0323": 5}  # huyền hỏi ngã sắc nặng
# marks that make a letter of its own: breve (ă), circumflex (â ê ô), horn (ơ ư)
_LETTER_MARKS = {"\u0306", "\u0302", "\u031b"}

_SEPARATOR, _DIGIT, _LETTER, _OTHER = 0, 1, 2, 3


def _split(text: str) -> list[tuple[str, int]]:
    """``text`` as (letter, tone) pairs: the letter lower-cased and recomposed with its
    breve, circumflex or horn; the tone as in ``_TONES`` (0: none)."""
    pairs: list[tuple[str, int]] = []
    for char in unicodedata.normalize("NFD", text.lower()):
        if unicodedata.combining(char) and pairs:
            letter, tone = pairs[-1]
            if char in _TONES:
                pairs[-1] = (letter, _TONES[char])
            elif char in _LETTER_MARKS:
                pairs[-1] = (unicodedata.normalize("NFC", letter + char), tone)
            continue
        pairs.append((char, 0))
    return pairs


def _primary(char: str) -> tuple[int, int]:
    if char in _RANK:
        return (_LETTER, _RANK[char])
    if char.isdigit():
        return (_DIGIT, unicodedata.digit(char, 0))
    if char.isspace() or unicodedata.category(char).startswith("P"):
        return (_SEPARATOR, ord(char))
    return (_OTHER, ord(char))


def vi_key(text: str) -> tuple[tuple[tuple[int, int], ...], tuple[int, ...], tuple[bool, ...], str]:
    """A sort key putting ``text`` in Vietnamese order (the module's rule)."""
    pairs = _split(text)
    letters = tuple(_primary(letter) for letter, _ in pairs)
    tones = tuple(tone for _, tone in pairs)
    cases = tuple(char.isupper() for char in text)
    return (letters, tones, cases, text)
