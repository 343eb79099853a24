"""Learning from use (issue 12): the one writer of ``faq_feedback`` and of the officers'
decisions on the phrasings proposed from it.

* :func:`record` keeps one resolved match of a citizen's message to an FAQ entry, inside
  the caller's transaction: ``tapped`` (the citizen picked the entry among the bot's
  numbered suggestions; the message is the question the suggestions were made for),
  ``operator_used`` (an operator answered with the entry from the console's FAQ search),
  ``marked_wrong`` (an operator marked the bot's answer with the entry as wrong).
* :func:`proposals` lists, per entry of an agency's active version, the recorded positive
  messages (tapped, operator_used) whose normalised text is not yet a phrasing of the entry
  (its question or an alternative), not reviewed, not marked wrong for it, and at most
  ``MAX_PHRASING_CHARS`` long; the ``marked_wrong`` records are listed as warnings.
* :func:`accept` builds a new version of the agency through :mod:`bot.faq_store` (the active
  version's entries, the phrasing appended to the entry's alternatives) and activates it at
  once unless told not to; :func:`reject` keeps the phrasing from being proposed again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.faq_store import VersionInfo, import_version, version_entries
from faq.model import FaqEntry
from faq.normalize import clean_spaces
from faq.overlap import question_key
from storage.clock import Clock, as_utc
from storage.models_faq import FaqEntryRow, FaqFeedback, FaqPhrasingReview, FaqVersion
from storage.session import SessionMaker

TAPPED = "tapped"
OPERATOR_USED = "operator_used"
MARKED_WRONG = "marked_wrong"
OUTCOMES = (TAPPED, OPERATOR_USED, MARKED_WRONG)
POSITIVE = (TAPPED, OPERATOR_USED)
ACCEPTED, REJECTED = "accepted", "rejected"
# a longer message (a story around the question) is no phrasing of a question: not proposed
MAX_PHRASING_CHARS = 300
SOURCE_NAME = "Học từ thực tế: câu hỏi tương tự"

# called inside the transaction that stores a decision, with its session (an audit record)
OnReview = Callable[[AsyncSession, FaqPhrasingReview], object]


async def _agency_of(s: AsyncSession, entry_id: str) -> str:
    """The agency of the active version holding ``entry_id`` (its own agency's first, when
    two agencies' versions use the same id); "" when no active version holds it."""
    rows = (
        await s.execute(
            select(FaqVersion.agency, FaqEntryRow.agency)
            .join(FaqVersion, FaqVersion.id == FaqEntryRow.version_id)
            .where(FaqVersion.active.is_(True), FaqEntryRow.faq_id == entry_id)
            .order_by(FaqVersion.id)
        )
    ).all()
    own = [v for v, e in rows if question_key(v) == question_key(e)]
    return (own or [v for v, _ in rows] or [""])[0]


async def record(
    s: AsyncSession,
    now: datetime,
    *,
    text: str,
    entry_id: str,
    outcome: str,
    conversation_id: int | None = None,
    message_id: int | None = None,
    user_id: int | None = None,
) -> FaqFeedback | None:
    """Record one resolved match in the caller's transaction (None for an empty text)."""
    if outcome not in OUTCOMES:
        raise ValueError(f"unknown outcome {outcome!r}")
    text = clean_spaces(text or "")
    if not text or not entry_id:
        return None
    row = FaqFeedback(
        message_text=text,
        text_key=question_key(text),
        message_id=message_id,
        conversation_id=conversation_id,
        entry_id=entry_id,
        agency=await _agency_of(s, entry_id),
        outcome=outcome,
        user_id=user_id,
        created_at=now,
    )
    s.add(row)
    return row


async def marked_wrong(s: AsyncSession, message_id: int) -> bool:
    """The message was marked wrong already."""
    found = await s.execute(
        select(FaqFeedback.id).where(
            FaqFeedback.message_id == message_id, FaqFeedback.outcome == MARKED_WRONG
        )
    )
    return found.first() is not None


async def recorded_text(s: AsyncSession, message_id: int) -> str | None:
    """The citizen's text recorded for the answer ``message_id`` (a tapped suggestion's
    question), when there is one."""
    found = await s.execute(
        select(FaqFeedback.message_text)
        .where(FaqFeedback.message_id == message_id, FaqFeedback.outcome.in_(POSITIVE))
        .order_by(FaqFeedback.id)
    )
    return found.scalars().first()


@dataclass
class Seen:
    """One normalised text recorded for an entry: the latest wording, counts, last time."""

    text: str
    key: str
    count: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    last_at: datetime | None = None

    def add(self, row: FaqFeedback) -> None:
        self.count += 1
        self.outcomes[row.outcome] = self.outcomes.get(row.outcome, 0) + 1
        at = as_utc(row.created_at)
        if self.last_at is None or (at is not None and at >= self.last_at):
            self.text, self.last_at = row.message_text, at

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "count": self.count,
            "outcomes": dict(self.outcomes),
            "last_at": self.last_at.isoformat() if self.last_at else None,
        }


@dataclass
class EntryProposals:
    agency: str
    entry: FaqEntry
    proposed: list[Seen] = field(default_factory=list)
    warnings: list[Seen] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "agency": self.agency,
            "entry_id": self.entry.id,
            "question": self.entry.question,
            "alternatives": list(self.entry.alternatives),
            "proposals": [p.to_dict() for p in self.proposed],
            "warnings": [w.to_dict() for w in self.warnings],
        }


def _phrasings(entry: FaqEntry) -> set[str]:
    return {question_key(t) for t in (entry.question, *entry.alternatives)}


def _grouped(rows: Sequence[FaqFeedback]) -> dict[str, Seen]:
    seen: dict[str, Seen] = {}
    for row in rows:
        seen.setdefault(row.text_key, Seen(row.message_text, row.text_key)).add(row)
    return seen


def _by_count(items: Sequence[Seen]) -> list[Seen]:
    return sorted(items, key=lambda x: (-x.count, x.text))


def _for_entry(
    agency: str, entry: FaqEntry, rows: Sequence[FaqFeedback], reviewed: set[str]
) -> EntryProposals | None:
    wrong = _grouped([r for r in rows if r.outcome == MARKED_WRONG])
    known = _phrasings(entry) | reviewed | set(wrong)
    good = _grouped([r for r in rows if r.outcome in POSITIVE and r.text_key and r.text_key not in known])
    proposed = [g for g in good.values() if len(g.text) <= MAX_PHRASING_CHARS]
    if not proposed and not wrong:
        return None
    return EntryProposals(agency, entry, _by_count(proposed), _by_count(list(wrong.values())))


async def _active_versions(s: AsyncSession, agency: str | None) -> list[FaqVersion]:
    stmt = select(FaqVersion).where(FaqVersion.active.is_(True)).order_by(FaqVersion.agency)
    if agency is not None:
        stmt = stmt.where(FaqVersion.agency == agency)
    return list((await s.execute(stmt)).scalars())


async def proposals(sm: SessionMaker, agency: str | None = None) -> list[EntryProposals]:
    """Proposed phrasings and warnings per entry of the active versions (of ``agency``, or
    of every agency), entries in their version's order."""
    async with sm() as s:
        active = await _active_versions(s, agency)
        names = [v.agency for v in active]
        feedback = list(
            (
                await s.execute(
                    select(FaqFeedback).where(FaqFeedback.agency.in_(names)).order_by(FaqFeedback.id)
                )
            ).scalars()
        )
        reviews = (
            await s.execute(
                select(
                    FaqPhrasingReview.agency, FaqPhrasingReview.entry_id, FaqPhrasingReview.text_key
                ).where(FaqPhrasingReview.agency.in_(names))
            )
        ).all()
    reviewed: dict[tuple[str, str], set[str]] = {}
    for a, e, k in reviews:
        reviewed.setdefault((a, e), set()).add(k)
    rows: dict[tuple[str, str], list[FaqFeedback]] = {}
    for f in feedback:
        rows.setdefault((f.agency, f.entry_id), []).append(f)
    out: list[EntryProposals] = []
    for version in active:
        for entry in await version_entries(sm, version.id):
            key = (version.agency, entry.id)
            if key in rows and (
                found := _for_entry(version.agency, entry, rows[key], reviewed.get(key, set()))
            ):
                out.append(found)
    return out


class ProposalGone(LookupError):
    """No such proposal (any more): reviewed meanwhile, or the entry left the active version."""


class AlreadyReviewed(ValueError):
    """Another officer decided on this phrasing first."""


async def _find(sm: SessionMaker, agency: str, entry_id: str, text: str) -> Seen:
    key = question_key(text)
    for item in await proposals(sm, agency):
        if item.entry.id == entry_id:
            for p in item.proposed:
                if p.key == key:
                    return p
    raise ProposalGone(
        "Không còn đề xuất này (đã được xử lý hoặc câu hỏi không còn trong phiên bản đang dùng)"
    )


async def _claim(
    sm: SessionMaker, clock: Clock, agency: str, entry_id: str, seen: Seen, decision: str, user: Any
) -> int:
    try:
        async with sm() as s, s.begin():
            row = FaqPhrasingReview(
                agency=agency,
                entry_id=entry_id,
                text_key=seen.key,
                text=seen.text,
                decision=decision,
                user_id=getattr(user, "id", None),
                created_at=clock.now(),
            )
            s.add(row)
            await s.flush()
            return row.id
    except IntegrityError as err:
        raise AlreadyReviewed("Đề xuất này vừa được cán bộ khác xử lý") from err


async def _finish(
    sm: SessionMaker, review_id: int, version_id: int | None, on_review: OnReview | None
) -> None:
    async with sm() as s, s.begin():
        if version_id is not None:
            await s.execute(
                update(FaqPhrasingReview)
                .where(FaqPhrasingReview.id == review_id)
                .values(version_id=version_id)
            )
        row = await s.get(FaqPhrasingReview, review_id)
        if on_review is not None and row is not None:
            on_review(s, row)


async def reject(
    sm: SessionMaker,
    clock: Clock,
    *,
    agency: str,
    entry_id: str,
    text: str,
    user: Any,
    on_review: OnReview | None = None,
) -> None:
    seen = await _find(sm, agency, entry_id, text)
    review_id = await _claim(sm, clock, agency, entry_id, seen, REJECTED, user)
    await _finish(sm, review_id, None, on_review)


async def accept(
    sm: SessionMaker,
    clock: Clock,
    *,
    agency: str,
    entry_id: str,
    text: str,
    user: Any,
    activate: bool = True,
    on_review: OnReview | None = None,
) -> VersionInfo:
    """A new version of ``agency``: its active version with the phrasing appended to the
    entry's alternatives (activated at once unless ``activate`` is False)."""
    seen = await _find(sm, agency, entry_id, text)
    review_id = await _claim(sm, clock, agency, entry_id, seen, ACCEPTED, user)
    try:
        info = await _new_version(sm, clock, agency, entry_id, seen.text, activate, user)
    except BaseException:
        async with sm() as s, s.begin():
            await s.execute(delete(FaqPhrasingReview).where(FaqPhrasingReview.id == review_id))
        raise
    await _finish(sm, review_id, info.id, on_review)
    return info


async def _new_version(
    sm: SessionMaker, clock: Clock, agency: str, entry_id: str, text: str, activate: bool, user: Any
) -> VersionInfo:
    async with sm() as s:
        found = await _active_versions(s, agency)
    active = found[0] if found else None
    if active is None:
        raise ProposalGone(f"{agency} không có phiên bản đang dùng")
    entries = await version_entries(sm, active.id)
    if not any(e.id == entry_id for e in entries):
        raise ProposalGone(f"Câu hỏi {entry_id} không còn trong phiên bản đang dùng")
    changed = [replace(e, alternatives=(*e.alternatives, text)) if e.id == entry_id else e for e in entries]
    return await import_version(
        sm,
        clock,
        changed,
        agency,
        activate=activate,
        source_name=SOURCE_NAME,
        created_by=getattr(user, "username", None),
    )
