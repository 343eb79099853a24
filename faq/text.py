"""Text to matching terms: folded syllables, syllable pairs, lexicon concepts; question focus."""

from __future__ import annotations

import functools
import itertools
import re

from faq.lexicon import Lexicon
from faq.normalize import DATA_DIR, clean_spaces, fold, normalize, words

# Folded syllables that carry no topic (greetings, pronouns, particles). Data-free on purpose:
# these are closed-class Vietnamese words, not vocabulary of any FAQ.
STOPWORDS = frozenset(
    """a ạ à ah ak anh chi chị em ban bạn toi tôi minh mình chung chúng ta cac các nhung những
    la là thi thì ma mà va và voi với cua của cho o ở tai tại trong ngoai khi neu nếu de để
    nay này kia do đó day đây vay vậy nhe nhé nha oi ơi xin chao chào kinh kính gui gửi
    hoi hỏi cam cảm on ơn giup giúp dum dùm ho hộ the thế nao nào gi gì sao ko khong không
    co có duoc được da đã dang đang se sẽ roi rồi cung cũng rat rất lam làm mot một
    ong ông ba bà co cô chu chú bac bác""".split()
)
# Stopwords are compared folded.
STOPWORDS_FOLDED = frozenset(fold(w) for w in STOPWORDS)

_SENT_RE = re.compile(r"(?<=[.!?;\n])\s+|\n+")


def folded_syllables(text: str) -> list[str]:
    """Folded syllables of the normalised text, every teencode reading kept."""
    return words(fold(normalize(text, all_alternatives=True)))


def terms(text: str, lexicon: Lexicon | None, pairs: bool = True) -> list[str]:
    """Matching terms: content syllables, adjacent syllable pairs, lexicon concepts."""
    syl = folded_syllables(text)
    out = [s for s in syl if s not in STOPWORDS_FOLDED]
    if pairs:
        out.extend(f"{a}_{b}" for a, b in itertools.pairwise(syl))
    if lexicon is not None:
        out.extend(lexicon.concepts_in(" ".join(syl)))
    return out


def sentences(text: str) -> list[str]:
    parts = [clean_spaces(p) for p in _SENT_RE.split(text)]
    return [p for p in parts if p]


def question_focus(text: str, min_sentences: int = 2) -> str | None:
    """The question part of a long message (greeting and story dropped), or None if short.

    Keeps the last two sentences with a question mark; else the last two with a question
    word (``faq/data/cues.tsv``); else the last sentence.
    """
    sents = sentences(text)
    if len(sents) < min_sentences:
        return None
    marked = [s for s in sents if "?" in s]
    cued = marked or [s for s in sents if _has_cue("question", s)]
    chosen = cued[-2:] if cued else sents[-1:]
    return " ".join(chosen)


@functools.lru_cache(maxsize=1)
def _cues() -> dict[str, re.Pattern[str]]:
    table: dict[str, list[str]] = {}
    for raw in (DATA_DIR / "cues.tsv").read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "\t" not in line:
            continue
        kind, phrases = line.split("\t", 1)
        keys = [clean_spaces(fold(normalize(p))) for p in phrases.split("|")]
        table.setdefault(kind.strip(), []).extend(k for k in keys if k)
    return {
        kind: re.compile(
            r"(?<!\w)(" + "|".join(re.escape(k) for k in sorted(ks, key=len, reverse=True)) + r")(?!\w)"
        )
        for kind, ks in table.items()
    }


def _has_cue(kind: str, text: str) -> bool:
    pattern = _cues().get(kind)
    return pattern is not None and pattern.search(" ".join(folded_syllables(text))) is not None


def is_question(text: str) -> bool:
    """A question mark or a question word (``faq/data/cues.tsv``)."""
    return "?" in text or _has_cue("question", text)


def is_complaint(text: str) -> bool:
    """A report/complaint/spam cue: never answered automatically."""
    return _has_cue("complaint", text)


def may_answer(text: str) -> bool:
    """A message the engine may answer automatically: a question, not a complaint or report."""
    return is_question(text) and not is_complaint(text)
