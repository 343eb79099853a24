"""Matching cue phrases in Vietnamese text, and telling Vietnamese from other languages.

Each word is lower-cased and expanded through the teencode table (``faq/data/teencode.tsv``,
read as a file; ``ko`` -> ``không``). A cue phrase (:mod:`actions.cue_words`) matches a word
as written or, for a word typed without diacritics, its folded form
(:func:`actions.fields.fold`).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from actions import cue_words as W
from actions.fields import fold

TEENCODE_FILE = Path(__file__).resolve().parent.parent / "faq" / "data" / "teencode.tsv"
# Chat spellings read here differently from (or missing in) the FAQ's teencode table.
_CHAT = {
    "ad": "ad", "admin": "ad", "mn": "mọi người", "mng": "mọi người", "nch": "nói chuyện",
    "ạk": "ạ", "ak": "à", "uk": "ừ", "uh": "ừ", "ukm": "ừ", "um": "ừ", "ừm": "ừ", "khum": "không",
    "hông": "không", "hem": "không", "kp": "không phải", "đt": "điện thoại", "dt": "điện thoại",
    "tk": "tk", "ok": "ok", "oke": "ok", "okie": "ok", "oki": "ok", "okay": "ok", "bít": "biết",
}  # fmt: skip

# ---------------------------------------------------------------------------- words


@dataclass(frozen=True, slots=True)
class Tok:
    acc: str  # lower-case NFC, teencode expanded: one syllable
    fold: str  # ``acc`` without diacritics
    plain: bool  # typed without diacritics: its folded form may match an accented cue
    start: int  # span in the original text
    end: int
    clause: int  # clauses are cut at punctuation


@functools.lru_cache(maxsize=1)
def _teencode() -> dict[str, str]:
    table: dict[str, str] = {}
    if TEENCODE_FILE.exists():
        for raw in TEENCODE_FILE.read_text(encoding="utf-8").splitlines():
            if raw.strip() and not raw.startswith("#") and "\t" in raw:
                token, readings = raw.split("\t", 1)
                table[token.strip().lower()] = readings.split("|")[0].strip().lower()
    table.update(_CHAT)
    return table


# A number keeps its separators ("0388.615.902", "3,5"); other punctuation cuts clauses.
_TOKEN = re.compile(r"\d+(?:[.,]\d+)*|[^\W_]+|[.,;:!?…\n()]+", re.UNICODE)


MAX_WORDS = 300  # the cues read a bounded prefix: a 100,000-character message costs as a long one
MAX_CHARS = 4000


def prefix(text: str) -> str:
    """The part of a message the cues read."""
    return text[:MAX_CHARS]


# A text with at least this share of its words written with diacritics is read as written: a
# word there without diacritics is that word ("Phạm Thị Dung" is no "dừng"), not a folded cue.
ACCENTED_TEXT_SHARE = 0.5


def _accented_text(raws: list[str]) -> bool:
    letters = [r for r in raws if r[0].isalpha()]
    marked = sum(1 for r in letters if fold(r) != r)
    return bool(letters) and marked >= ACCENTED_TEXT_SHARE * len(letters)


@functools.lru_cache(maxsize=2048)
def tokens(text: str) -> tuple[Tok, ...]:
    """The words of ``text`` (its first MAX_WORDS) with their clause number (teencode expanded)."""
    found: list[tuple[str, int, int, int]] = []
    clause = 0
    for m in _TOKEN.finditer(unicodedata.normalize("NFC", prefix(text))):
        if len(found) >= MAX_WORDS:
            break
        raw = m.group(0).lower()
        if not raw[0].isalnum():
            clause += 1
            continue
        found.append((raw, m.start(), m.end(), clause))
    table = _teencode()
    as_written = _accented_text([raw for raw, *_ in found])
    out: list[Tok] = []
    for raw, start, end, clause_no in found:
        expansion = table.get(raw)
        parts = expansion.split() if expansion else [raw]
        plain = expansion is None and fold(raw) == raw and not as_written
        out.extend(Tok(p, fold(p), plain, start, end, clause_no) for p in parts)
    return tuple(out)


def words(text: str) -> list[str]:
    return [t.acc for t in tokens(text)]


# ---------------------------------------------------------------------------- phrases


@dataclass(frozen=True, slots=True)
class Phrase:
    words: tuple[str, ...]
    folded: tuple[str, ...]
    final: bool = False  # ends its clause, does not open it
    plain_final: bool = False  # ``final`` only when typed without diacritics
    accented_only: bool = False


def _parse(spec: str) -> Phrase:
    spec = spec.strip()
    accented = spec.startswith("=")
    final = spec.endswith("$")
    plain_final = spec.endswith("~")
    words = tuple(spec.strip("=$~ ").split())
    return Phrase(words, tuple(fold(w) for w in words), final, plain_final, accented)


@dataclass(frozen=True, slots=True)
class _Index:
    """The phrases of one spec by their first word, as written and folded."""

    by_word: dict[str, tuple[Phrase, ...]]
    by_folded: dict[str, tuple[Phrase, ...]]
    wild: tuple[Phrase, ...]  # phrases opening with "*"


def _group(items: list[tuple[str, Phrase]]) -> dict[str, tuple[Phrase, ...]]:
    out: dict[str, list[Phrase]] = {}
    for key, ph in items:
        out.setdefault(key, []).append(ph)
    return {k: tuple(v) for k, v in out.items()}


@functools.lru_cache(maxsize=64)
def _index(spec: str) -> _Index:
    items = [_parse(p) for p in spec.split("|") if p.strip()]
    named = [ph for ph in items if ph.words[0] != "*"]
    return _Index(
        _group([(ph.words[0], ph) for ph in named]),
        _group([(ph.folded[0], ph) for ph in named if not ph.accented_only]),
        tuple(ph for ph in items if ph.words[0] == "*"),
    )


def _same(tok: Tok, ph: Phrase, k: int) -> bool:
    word = ph.words[k]
    if word == "*":
        return True
    return tok.acc == word or (tok.plain and not ph.accented_only and tok.fold == ph.folded[k])


_PARTICLES = frozenset(W.PARTICLES)
_PARTICLES_FOLDED = frozenset(fold(p) for p in W.PARTICLES)


def particle(tok: Tok) -> bool:
    return tok.acc in _PARTICLES or (tok.plain and tok.fold in _PARTICLES_FOLDED)


def _clause_final(toks: tuple[Tok, ...], i: int, j: int) -> bool:
    """Span ``[i, j)`` closes its clause and has a real word before it in the clause."""
    clause = toks[i].clause
    k = j
    while k < len(toks) and toks[k].clause == clause:
        if not particle(toks[k]):
            return False
        k += 1
    k = i - 1
    while k >= 0 and toks[k].clause == clause:
        if not particle(toks[k]):
            return True
        k -= 1
    return False


def _match(toks: tuple[Tok, ...], i: int, ph: Phrase) -> bool:
    n = len(ph.words)
    if i + n > len(toks) or toks[i + n - 1].clause != toks[i].clause:
        return False
    if not all(_same(toks[i + k], ph, k) for k in range(n)):
        return False
    folded_only = any(toks[i + k].acc != w and w != "*" for k, w in enumerate(ph.words))
    return not ((ph.final or (ph.plain_final and folded_only)) and not _clause_final(toks, i, i + n))


def find(text_or_toks: str | tuple[Tok, ...], spec: str) -> list[tuple[int, int]]:
    """Spans (token indices) where a phrase of ``spec`` occurs."""
    toks = tokens(text_or_toks) if isinstance(text_or_toks, str) else text_or_toks
    index = _index(spec)
    spans: list[tuple[int, int]] = []
    for i, tok in enumerate(toks):
        candidates = index.by_word.get(tok.acc, ())
        if tok.plain:
            candidates += index.by_folded.get(tok.fold, ())
        for ph in dict.fromkeys(candidates + index.wild):
            if _match(toks, i, ph):
                spans.append((i, i + len(ph.words)))
    return spans


def has(text: str, spec: str) -> bool:
    return bool(find(text, spec))


def covered(span: tuple[int, int], others: list[tuple[int, int]]) -> bool:
    """``span`` shares a word with one of ``others`` (a cue inside an exception is no cue)."""
    return any(s < span[1] and span[0] < e for s, e in others)


# ---------------------------------------------------------------------------- foreign

_VI_SYLLABLE = re.compile(
    r"(?:ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdghklmnprstvx])?"
    r"[aeiouy]{1,3}(?:ch|nh|ng|[cmnpt])?"
)
# Function words of English and other Latin-script languages a foreigner writes in.
_FOREIGN_WORDS = frozenset(
    """the a an is are am was were be been i you he she we they my your our their me us him her it
    its this that these those do does did have has had can could will would should shall may must
    need want to of in on at for from with about as by and or but not no if then what where when
    who why how which please pls plz hello hi thanks thank sorry u ur wat wanna gonna just got
    anyone someone speak speaks english call back help there here get go going my mine visa
    je suis un une le la les est que de des du pour avec dans et ou pas je vous nous bonjour merci
    ich bin ist der die das und nicht mit hola soy el los las es por para con gracias""".split()
)
# Words a Vietnamese chat uses as they are: neither Vietnamese nor foreign evidence.
_LOANWORDS = frozenset(
    """ok oke okay hello hi bye alo ad admin online link zalo facebook fb covid test pcr email mail
    shop bot wifi app web website sms ib inbox thanks thank tks thx sorry vs mn mng ko k dc đc""".split()
)
FOREIGN_MIN_SHARE = 0.6  # share of foreign words among the words that are evidence either way
FOREIGN_MIN_WORDS = 3  # fewer foreign words than this is a Vietnamese message with loanwords


def _script_foreign(text: str) -> bool:
    letters = [ch for ch in prefix(text) if ch.isalpha()]
    other = [ch for ch in letters if not ("a" <= fold(ch) <= "z")]
    return bool(letters) and len(other) * 2 > len(letters)


# Web addresses, e-mails and domain names are no language ("dichvucong.gov.vn").
_DOMAIN = re.compile(r"\.(?:vn|com|net|org|gov|edu|info|io)\b")


def without_addresses(text: str) -> str:
    """``text`` without its web addresses and e-mails (word by word: linear in the text)."""
    return " ".join(w for w in text.split() if "@" not in w and "://" not in w and not _DOMAIN.search(w))


def is_foreign(text: str) -> bool:
    """Mostly another language: another script, or Latin words that are not Vietnamese."""
    if _script_foreign(text):
        return True
    foreign = vietnamese = 0
    text = without_addresses(unicodedata.normalize("NFC", prefix(text).lower()))
    for raw in re.findall(r"[^\W\d_]+", text):
        if raw in _LOANWORDS or raw in _teencode():
            continue
        if fold(raw) != raw or (raw not in _FOREIGN_WORDS and _VI_SYLLABLE.fullmatch(raw)):
            vietnamese += 1
        else:
            foreign += 1
    evidence = foreign + vietnamese
    return foreign >= FOREIGN_MIN_WORDS and foreign >= FOREIGN_MIN_SHARE * evidence


def is_gibberish(text: str) -> bool:
    """No word of any language: keyboard mashing ("asdfghjkl"), not a short Vietnamese word."""
    raws = re.findall(r"[^\W\d_]+", without_addresses(unicodedata.normalize("NFC", prefix(text).lower())))
    if not raws or _script_foreign(text):
        return False
    known = _LOANWORDS | _FOREIGN_WORDS
    return not any(
        r in known or fold(r) in known or r in _teencode() or _VI_SYLLABLE.fullmatch(fold(r)) for r in raws
    )
