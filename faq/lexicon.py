"""Domain lexicon (``faq/data/lexicon.tsv``): phrases that map to a shared concept term."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

from faq.normalize import DATA_DIR, clean_spaces, fold, normalize

CONCEPT_PREFIX = "§"


@dataclass(frozen=True)
class Lexicon:
    """Folded phrase -> concept; matched on word boundaries of folded, normalised text."""

    pattern: re.Pattern[str] | None
    concepts: dict[str, str]

    def concepts_in(self, folded_text: str) -> list[str]:
        """Concept terms found in a folded, normalised text (one per occurrence)."""
        if self.pattern is None:
            return []
        return [CONCEPT_PREFIX + self.concepts[m.group(1)] for m in self.pattern.finditer(folded_text)]


def parse_lexicon(text: str) -> Lexicon:
    concepts: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "\t" not in line:
            continue
        concept, phrases = line.split("\t", 1)
        for phrase in phrases.split("|"):
            key = clean_spaces(fold(normalize(phrase)))
            if key:
                concepts.setdefault(key, concept.strip())
    if not concepts:
        return Lexicon(None, {})
    alternation = "|".join(re.escape(k) for k in sorted(concepts, key=len, reverse=True))
    return Lexicon(re.compile(r"(?<!\w)(" + alternation + r")(?!\w)"), concepts)


@functools.lru_cache(maxsize=1)
def default_lexicon() -> Lexicon:
    return parse_lexicon((DATA_DIR / "lexicon.tsv").read_text(encoding="utf-8"))


@functools.lru_cache(maxsize=4)
def lexicon_from(path: str | None) -> Lexicon:
    """A deployment's lexicon file (same format; it replaces ``faq/data/lexicon.tsv``, whose
    domain sections suit a COVID-era hotline), or the shipped one when ``path`` is None."""
    if path is None:
        return default_lexicon()
    try:
        return parse_lexicon(Path(path).read_text(encoding="utf-8"))
    except OSError as err:
        raise ValueError(f"Không đọc được tệp từ vựng {path}: {err.strerror or err}") from err
