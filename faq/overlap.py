"""Questions shared by two active FAQ versions (pure: no database).

Each agency has at most one active version, and the bot answers from the union of them. When
an agency's own upload and another version (an admin's set uploaded in the agency's name, a
neighbouring agency's) hold the same question, the uploader is told at upload which questions
and whose version (:func:`find_overlaps`), and the engine answers such a question once
(:func:`question_key` is the key both use: ``faq.engine`` collapses entries sharing it).

Same question: equal :func:`question_key` (normalised, folded, punctuation and spacing
ignored). Near-duplicate: rapidfuzz ``ratio`` of the keys ≥ ``near_score`` (92, the threshold
of the import's own near-duplicate check). A warning, not a refusal: an agency cannot edit
another agency's version, and the bot answers such a question once anyway.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from rapidfuzz import fuzz, process

from faq.model import FaqEntry
from faq.normalize import expand_teencode, fold, words
from faq.validate import NEAR_DUPLICATE_SCORE

CHUNK = 512  # new entries compared per cdist call (bounds the score matrix's memory)
MAX_LISTED = 200  # overlaps listed one by one (all are counted)


def question_key(text: str) -> str:
    """What makes two questions "the same": folded (no diacritics, lower case), teencode and
    abbreviations expanded, only the words kept. Folded before the teencode table is read, so
    a question with and without diacritics reads alike ("nhà" and "nha" both meet the table
    as "nha")."""
    return " ".join(words(fold(expand_teencode(fold(text)))))


@dataclass(frozen=True)
class VersionEntry:
    """An entry of an active version, with the version that holds it."""

    entry: FaqEntry
    agency: str  # the agency the version belongs to
    version: int  # the version's number for that agency
    version_id: int = 0


@dataclass(frozen=True)
class Overlap:
    new: FaqEntry
    other: VersionEntry
    score: int  # 100: the same question after normalisation

    @property
    def same(self) -> bool:
        return self.score >= 100


@dataclass(frozen=True)
class VersionCount:
    agency: str
    version: int
    version_id: int
    same: int
    near: int


def _line(o: Overlap) -> str:
    where = f"bộ của {o.other.agency} (phiên bản {o.other.version})"
    if o.same:
        return f"Câu hỏi trùng với {where}: “{o.new.question}” (mã {o.new.id} ↔ mã {o.other.entry.id})"
    return f"Câu hỏi gần trùng với {where}, giống {o.score}%: “{o.new.question}” ↔ “{o.other.entry.question}”"


@dataclass(frozen=True)
class OverlapReport:
    items: tuple[Overlap, ...] = ()

    @property
    def questions(self) -> int:
        """New entries that share a question with at least one other active version."""
        return len({id(o.new) for o in self.items})

    def counts(self) -> list[VersionCount]:
        by: dict[tuple[str, int, int], list[int]] = {}
        for o in self.items:
            c = by.setdefault((o.other.agency, o.other.version, o.other.version_id), [0, 0])
            c[0 if o.same else 1] += 1
        return [VersionCount(a, n, i, same, near) for (a, n, i), (same, near) in sorted(by.items())]

    def to_text(self, limit: int = MAX_LISTED) -> str:
        if not self.items:
            return "Không có câu hỏi nào trùng với bộ câu hỏi đang dùng của đơn vị khác."
        lines = [
            f"Cảnh báo: {self.questions} câu hỏi trùng hoặc gần trùng với bộ câu hỏi đang dùng của "
            "đơn vị khác. Bộ câu hỏi vẫn được nhập; với câu hỏi trùng, trợ lý ảo chỉ trả lời một lần "
            "(ưu tiên bộ của chính đơn vị được ghi trong câu hỏi, rồi bộ kích hoạt gần nhất)."
        ]
        lines.extend(
            f"- {c.agency} (phiên bản {c.version}): {c.same} câu trùng, {c.near} câu gần trùng"
            for c in self.counts()
        )
        lines.extend(f"- {_line(o)}" for o in self.items[:limit])
        if len(self.items) > limit:
            lines.append(f"- … và {len(self.items) - limit} câu khác.")
        return "\n".join(lines)

    def to_dict(self, limit: int = MAX_LISTED) -> dict[str, Any]:
        return {
            "questions": self.questions,
            "same": sum(1 for o in self.items if o.same),
            "near": sum(1 for o in self.items if not o.same),
            "by_version": [c.__dict__ for c in self.counts()],
            "items": [
                {
                    "id": o.new.id,
                    "question": o.new.question,
                    "agency": o.other.agency,
                    "version": o.other.version,
                    "version_id": o.other.version_id,
                    "other_id": o.other.entry.id,
                    "other_question": o.other.entry.question,
                    "score": o.score,
                    "same": o.same,
                    "text": _line(o),
                }
                for o in self.items[:limit]
            ],
            "text": self.to_text(limit),
        }


def find_overlaps(
    new_entries: Iterable[FaqEntry],
    others: Sequence[VersionEntry],
    near_score: float = NEAR_DUPLICATE_SCORE,
) -> OverlapReport:
    """For each new entry and each other version: its closest question there, if the same
    or a near-duplicate (in the new entries' order, then by agency and version)."""
    new = list(new_entries)
    if not new or not others:
        return OverlapReport()
    other_keys = [question_key(o.entry.question) for o in others]
    new_keys = [question_key(e.question) for e in new]
    items: list[Overlap] = []
    for start in range(0, len(new), CHUNK):
        block = new_keys[start : start + CHUNK]
        matrix = process.cdist(
            block, other_keys, scorer=fuzz.ratio, score_cutoff=near_score, workers=-1, dtype="uint8"
        )
        for row in range(len(block)):
            if not block[row]:
                continue
            best: dict[tuple[str, int], tuple[int, int]] = {}  # version -> (score, other index)
            for col in matrix[row].nonzero()[0]:
                j = int(col)
                score = 100 if block[row] == other_keys[j] else min(int(matrix[row, j]), 99)
                version = (others[j].agency, others[j].version)
                if score > best.get(version, (-1, 0))[0]:
                    best[version] = (score, j)
            found = [Overlap(new[start + row], others[j], score) for score, j in best.values()]
            items.extend(sorted(found, key=lambda o: (o.other.agency, o.other.version)))
    return OverlapReport(tuple(items))
