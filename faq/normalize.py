"""Vietnamese text normalisation for FAQ matching.

Kept importable on Python 3.10 with only the standard library plus ``underthesea``
(a Rasa component running in a separate 3.10 venv imports this module): no
``enum.StrEnum``, no ``typing.Self``, no runtime ``X | Y`` unions.

Pipeline pieces (each usable on its own):

* :func:`nfc` - Unicode NFC.
* :func:`canonical_tones` - one tone placement for ``hoà``/``hòa``, ``khoẻ``/``khỏe``,
  ``thuỷ``/``thủy`` (the "old" placement, the most common one in web text).
* :func:`fold` - lower case without diacritics, ``đ`` -> ``d``.
* :func:`expand_teencode` - teencode and abbreviations from ``faq/data/teencode.tsv``.
* :func:`normalize` - NFC + lower case + canonical tones + teencode, spacing cleaned.
* :func:`tokens` - underthesea word segmentation of the normalised text.
* :func:`syllables` - folded syllables (the cheap lexical unit the engine indexes).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"

_TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}
_MODIFIED = set("ăâêôơư")
_VOWELS = set("aăâeêioôơuưy")
_WORD_RE = re.compile(r"\w+", re.UNICODE)
_SPACE_RE = re.compile(r"\s+")
# Tokens kept together by the lexical tokenizer: words, numbers with separators (3,7 / 1.000)
_TOKEN_RE = re.compile(r"\d+(?:[.,]\d+)+|[^\W_]+", re.UNICODE)


def nfc(text: str) -> str:
    """Unicode NFC, the form every stored text uses."""
    return unicodedata.normalize("NFC", text)


def _tone_of(word_nfd: str) -> tuple[str, str]:
    """Split a decomposed word into (word without tone mark, tone mark or '')."""
    tone = ""
    kept = []
    for ch in word_nfd:
        if ch in _TONES:
            tone = ch
        else:
            kept.append(ch)
    return "".join(kept), tone


def _nucleus(word: str) -> tuple[int, int]:
    """Start/end (exclusive) of the vowel nucleus of a lower-case NFC syllable."""
    start = 0
    if word.startswith("qu") and len(word) > 2:
        start = 2
    elif word.startswith("gi") and len(word) > 2 and word[2] in _VOWELS:
        start = 2
    i = start
    while i < len(word) and word[i] not in _VOWELS:
        i += 1
    j = i
    while j < len(word) and word[j] in _VOWELS:
        j += 1
    if i == len(word) and start:
        # "gì", "quý"-like edge: the prefix vowel is the nucleus
        return start - 1, start
    return i, j


def _tone_index(word: str) -> int:
    """Index (in the lower-case NFC syllable) of the vowel that carries the tone."""
    i, j = _nucleus(word)
    if i >= j:
        return -1
    nuc = word[i:j]
    if "ươ" in nuc:
        return i + nuc.index("ươ") + 1
    modified = [k for k, ch in enumerate(nuc) if ch in _MODIFIED]
    if modified:
        return i + modified[-1]
    if len(nuc) == 1:
        return i
    if j < len(word):  # closed syllable: tone on the last vowel (hoàn, huỳnh)
        return j - 1
    if len(nuc) == 3:
        return i + 1
    return i  # open two-vowel syllable: first vowel (hòa, khỏe, thủy, mía, múa)


def _canonical_word(word: str) -> str:
    decomposed = unicodedata.normalize("NFD", word)
    bare, tone = _tone_of(decomposed)
    if not tone:
        return word
    base = unicodedata.normalize("NFC", bare)
    lower = base.lower()
    idx = _tone_index(lower)
    if idx < 0:
        return word
    head = unicodedata.normalize("NFD", base[: idx + 1])
    return unicodedata.normalize("NFC", head + tone + base[idx + 1 :])


def canonical_tones(text: str) -> str:
    """Put every tone mark where the canonical placement wants it (hoà -> hòa)."""
    return _WORD_RE.sub(lambda m: _canonical_word(m.group(0)), nfc(text))


def fold(text: str) -> str:
    """Lower case, no diacritics, ``đ`` -> ``d`` (for accentless queries)."""
    decomposed = unicodedata.normalize("NFD", text.lower())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", stripped.replace("đ", "d"))


def has_diacritics(text: str) -> bool:
    """True when the text carries any Vietnamese diacritic (or ``đ``)."""
    return fold(text) != text.lower()


def _read_tsv(name: str) -> list[list[str]]:
    rows: list[list[str]] = []
    path = DATA_DIR / name
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            line = line.rstrip("\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            rows.append([cell.strip() for cell in line.split("\t")])
    return rows


@functools.lru_cache(maxsize=1)
def teencode_table() -> dict[str, tuple[str, ...]]:
    """Lower-case token -> expansions (first one is the preferred reading)."""
    table: dict[str, tuple[str, ...]] = {}
    for row in _read_tsv("teencode.tsv"):
        if len(row) < 2:
            continue
        alts = tuple(canonical_tones(a.strip()).lower() for a in row[1].split("|") if a.strip())
        if alts:
            table[nfc(row[0]).lower()] = alts
    return table


def _expand_token(tok: str, table: dict[str, tuple[str, ...]], all_alts: bool) -> str:
    alts = table.get(tok)
    if alts is None:
        return tok
    return " ".join(alts) if all_alts else alts[0]


def expand_teencode(text: str, all_alternatives: bool = False) -> str:
    """Replace teencode/abbreviation tokens (``ko``, ``đc``, ``ntn``, ``cccd`` ...).

    ``all_alternatives`` keeps every reading of an ambiguous token (``xn`` -> both
    ``xét nghiệm`` and ``xác nhận``), which suits bag-of-words matching.
    """
    table = teencode_table()
    lowered = nfc(text).lower()
    return _TOKEN_RE.sub(lambda m: _expand_token(m.group(0), table, all_alternatives), lowered)


def clean_spaces(text: str) -> str:
    return _SPACE_RE.sub(" ", text).strip()


def normalize(text: str, all_alternatives: bool = False) -> str:
    """NFC, lower case, canonical tone placement, teencode expanded, spaces collapsed."""
    return clean_spaces(expand_teencode(canonical_tones(text), all_alternatives))


def words(text: str) -> list[str]:
    """Lower-case word/number tokens of an already-normalised text (no segmentation)."""
    return _TOKEN_RE.findall(text.lower())


def syllables(text: str) -> list[str]:
    """Folded syllables of the normalised text (teencode expanded, all readings)."""
    return words(fold(normalize(text, all_alternatives=True)))


def tokens(text: str) -> list[str]:
    """underthesea word segmentation of the normalised text (multi-syllable words joined by '_')."""
    from underthesea import word_tokenize  # imported lazily: ~0.7 s on first use

    segmented = word_tokenize(normalize(text))
    return [w.replace(" ", "_") for w in segmented if _WORD_RE.search(w)]
