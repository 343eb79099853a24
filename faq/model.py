"""FAQ data model: plain frozen dataclasses shared by the importer, the engine and the hub."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Literal

from faq.normalize import clean_spaces, fold, nfc

Decision = Literal["answer", "suggest", "handoff"]


@dataclass(frozen=True)
class FaqEntry:
    """One question/answer owned by an agency."""

    id: str
    question: str
    answer: str
    domain: str = ""
    agency: str = ""
    alternatives: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()

    def phrasings(self) -> tuple[str, ...]:
        """The question and its alternative phrasings."""
        return (self.question, *self.alternatives)


@dataclass(frozen=True)
class Candidate:
    entry: FaqEntry
    score: float


@dataclass(frozen=True)
class FaqDecision:
    """What the bot should do with one citizen message."""

    decision: Decision
    entry: FaqEntry | None
    candidates: list[Candidate] = field(default_factory=list)

    @property
    def faq_id(self) -> str | None:
        return self.entry.id if self.entry is not None else None


def stable_id(question: str, prefix: str = "Q") -> str:
    """Id derived from the question only (folded, spaces collapsed): stable across re-imports."""
    key = clean_spaces(fold(nfc(question)))
    return prefix + hashlib.sha256(key.encode("utf-8")).hexdigest()[:10].upper()
