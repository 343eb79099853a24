"""Pure parts of FAQ versioning: what changed between the active version and a new import."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from faq.model import FaqEntry


@dataclass(frozen=True)
class Change:
    old: FaqEntry
    new: FaqEntry

    @property
    def fields(self) -> tuple[str, ...]:
        names = ("question", "answer", "domain", "agency", "alternatives", "keywords")
        return tuple(n for n in names if getattr(self.old, n) != getattr(self.new, n))


@dataclass(frozen=True)
class FaqDiff:
    added: tuple[FaqEntry, ...]
    changed: tuple[Change, ...]
    removed: tuple[FaqEntry, ...]

    @property
    def empty(self) -> bool:
        return not (self.added or self.changed or self.removed)

    def summary(self) -> str:
        return (
            f"{len(self.added)} câu hỏi mới, {len(self.changed)} câu hỏi sửa, {len(self.removed)} câu hỏi bỏ"
        )


def diff(old_entries: Iterable[FaqEntry], new_entries: Iterable[FaqEntry]) -> FaqDiff:
    """Entries added, changed (same id, different content) and removed, matched by id."""
    old = {e.id: e for e in old_entries}
    new = {e.id: e for e in new_entries}
    added = tuple(e for i, e in new.items() if i not in old)
    removed = tuple(e for i, e in old.items() if i not in new)
    changed = tuple(Change(old[i], e) for i, e in new.items() if i in old and old[i] != e)
    return FaqDiff(added, changed, removed)
