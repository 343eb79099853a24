"""Vietnamese word segmentation with exact offsets into the original text (no Rasa import).

:func:`segment` cuts a message into :class:`Piece` objects: ``start``/``end`` index the
ORIGINAL text (so entity annotations line up), ``text`` is the original slice with inner
spaces turned into ``_`` (``"cán bộ"`` -> ``"cán_bộ"``) and ``key`` is the matching form:
teencode expanded and diacritics folded (``"cán bộ"``, ``"can bo"`` and ``"cb"`` all give
``"can_bo"``). Featurizers read ``key`` (as the token lemma), so text written with or
without diacritics, or in teencode, is featurized alike.

Which syllables form one word:

* text with diacritics: ``underthesea.word_tokenize`` decides;
* text without diacritics (underthesea guesses poorly there): the longest run of syllables
  whose folded form is in a lexicon of multi-syllable words. The tokenizer component learns
  that lexicon at training time from underthesea's segmentation of the training examples
  written with diacritics, so "can bo" joins exactly like "cán bộ".
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from rasa_addons import textnorm

MAX_WORD_SYLLABLES = 4

_ATOM_RE = re.compile(
    r"(?P<email>[\w.+-]+@[\w-]+(?:\.[\w-]+)+)"
    r"|(?P<url>https?://\S+)"
    r"|(?P<number>\+?\d+(?:[.,\-/]\d+)*)"
    r"|(?P<word>[^\W\d_]+)"
    r"|(?P<other>[^\W_]+)",
    re.UNICODE,
)
_DIGITS_RE = re.compile(r"\D")
_PHONE_RE = re.compile(r"(?<![\w+])\+?\d{2,4}(?:[ .\-]?\d{2,4}){2,4}(?![\w])")


@dataclass(frozen=True)
class Piece:
    start: int
    end: int
    text: str
    key: str
    kind: str  # word | number | email | url | other


@dataclass(frozen=True)
class _Atom:
    start: int
    end: int
    surface: str
    kind: str
    key: str


Segmenter = Callable[[str], list[str]]


def _number_key(surface: str) -> str:
    digits = _DIGITS_RE.sub("", surface)
    if 9 <= len(digits) <= 12:
        return "phonenumber"  # one feature for every phone-like number
    return digits or surface


def _atom_key(kind: str, surface: str) -> str:
    if kind == "email":
        return "emailaddress"
    if kind == "url":
        return "urladdress"
    if kind == "number":
        return _number_key(surface)
    return _word_key(surface)


@functools.lru_cache(maxsize=4096)
def _word_key(surface: str) -> str:
    """Folded key of one word; a teencode token that expands to several words ("sđt") gets
    the keys of its expansion's words separated by spaces ("so dien_thoai"), which the
    count-vector featurizer splits back into the same features as the written-out phrase."""
    expanded = textnorm.normalize(surface).strip()
    if " " not in expanded:
        return textnorm.fold(expanded) or surface.lower()
    try:
        words = underthesea_segmenter(expanded)
    except Exception:  # segmentation is an improvement only
        words = expanded.split()
    keys = [re.sub(r"\s+", "_", textnorm.fold(w).strip()) for w in words if w.strip()]
    return " ".join(k for k in keys if k) or surface.lower()


def _phone_spans(text: str) -> list[tuple[int, int]]:
    """Phone numbers written in groups ("0912 345 678", "+84 912.345.678"): one atom each."""
    spans = []
    for match in _PHONE_RE.finditer(text):
        digits = _DIGITS_RE.sub("", match.group(0))
        if 9 <= len(digits) <= 12:
            spans.append((match.start(), match.end()))
    return spans


def atoms(text: str) -> list[_Atom]:
    """Words, numbers, phone numbers, e-mail addresses and URLs of ``text`` with exact spans."""
    found: list[_Atom] = []
    phones = _phone_spans(text)
    for start, end in phones:
        found.append(_Atom(start, end, text[start:end], "number", "phonenumber"))
    for match in _ATOM_RE.finditer(text):
        if any(start < match.end() and match.start() < end for start, end in phones):
            continue
        kind = match.lastgroup or "other"
        surface = match.group(0)
        found.append(_Atom(match.start(), match.end(), surface, kind, _atom_key(kind, surface)))
    found.sort(key=lambda a: a.start)
    return found


def _only_space_between(text: str, left: _Atom, right: _Atom) -> bool:
    gap = text[left.end : right.start]
    return gap != "" and gap.isspace()


def _surface_norm(surface: str) -> str:
    # folded, so a segmenter that re-places tone marks (hoà -> hòa) still aligns
    return textnorm.fold(unicodedata.normalize("NFC", surface))


def _groups_from_segmenter(text: str, found: Sequence[_Atom], segmenter: Segmenter) -> list[int]:
    """Word id per atom, from the segmenter's output aligned syllable by syllable."""
    syllables: list[tuple[str, int]] = []
    for word_id, word in enumerate(segmenter(unicodedata.normalize("NFC", text))):
        for syllable in word.split():
            syllables.append((_surface_norm(syllable), word_id))
    ids: list[int] = []
    pointer = 0
    fresh = -1
    for atom in found:
        wanted = _surface_norm(atom.surface)
        hit = None
        for look in range(pointer, min(pointer + 6, len(syllables))):
            if syllables[look][0] == wanted:
                hit = look
                break
        if hit is None:
            ids.append(fresh)  # not aligned: a word of its own
            fresh -= 1
            continue
        ids.append(syllables[hit][1])
        pointer = hit + 1
    return ids


def _groups_from_lexicon(found: Sequence[_Atom], lexicon: frozenset[str]) -> list[int]:
    """Word id per atom: the longest lexicon word starting at each position wins."""
    ids: list[int] = []
    i = 0
    word_id = 0
    while i < len(found):
        size = 1
        for n in range(min(MAX_WORD_SYLLABLES, len(found) - i), 1, -1):
            window = found[i : i + n]
            if all(a.kind == "word" for a in window) and "_".join(a.key for a in window) in lexicon:
                size = n
                break
        ids.extend([word_id] * size)
        word_id += 1
        i += size
    return ids


def _merge(text: str, found: Sequence[_Atom], ids: Sequence[int]) -> list[Piece]:
    pieces: list[Piece] = []
    run: list[_Atom] = []

    def flush() -> None:
        if not run:
            return
        start, end = run[0].start, run[-1].end
        surface = re.sub(r"\s+", "_", text[start:end])
        kind = run[0].kind if len(run) == 1 else "word"
        pieces.append(Piece(start, end, surface, "_".join(a.key for a in run), kind))
        run.clear()

    for index, atom in enumerate(found):
        joins = (
            run
            and ids[index] >= 0
            and ids[index] == ids[index - 1]
            and atom.kind == "word"
            and run[-1].kind == "word"
            and _only_space_between(text, run[-1], atom)
        )
        if not joins:
            flush()
        run.append(atom)
    flush()
    return pieces


def underthesea_segmenter(text: str) -> list[str]:
    from underthesea import word_tokenize  # lazy: ~1 s on first use

    return list(word_tokenize(text))


def segment(
    text: str,
    lexicon: Iterable[str] = (),
    segmenter: Segmenter | None = None,
) -> list[Piece]:
    """Cut ``text`` into words with exact offsets (see the module docstring)."""
    found = atoms(text)
    if not found:
        return []
    lex = lexicon if isinstance(lexicon, frozenset) else frozenset(lexicon)
    if textnorm.has_diacritics(text):
        ids = _groups_from_segmenter(text, found, segmenter or underthesea_segmenter)
    else:
        ids = _groups_from_lexicon(found, lex)
    return _merge(text, found, ids)


def learn_lexicon(texts: Iterable[str], segmenter: Segmenter | None = None) -> set[str]:
    """Folded multi-syllable words (``can_bo``) that the segmenter finds in ``texts``."""
    words: set[str] = set()
    for text in texts:
        if not textnorm.has_diacritics(text):
            continue
        for piece in segment(text, (), segmenter):
            if piece.kind != "word":
                continue
            words.update(k for k in piece.key.split() if "_" in k and k.count("_") < MAX_WORD_SYLLABLES)
    return words
