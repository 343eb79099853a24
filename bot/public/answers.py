"""The portal's data (Điều 12): published answers (not withdrawn) and the active FAQ, one
list searched without diacritics (every word of the query, anywhere in the question, the
answer, the domain or the agency), filtered by domain and agency, in pages.

Published answers come first, the newest first (SQL over the folded
``published_answers.search_text``); the FAQ's entries follow in the order the bot prefers
them (read through :mod:`bot.faq_store`, kept per FAQ generation so a page costs one small
query while the FAQ does not change).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

from sqlalchemy import func, select

from bot import faq_store
from faq.model import FaqEntry
from handoff.collation import vi_key
from storage.clock import as_utc
from storage.models_public import PublishedAnswer
from storage.search import MAX_QUERY, fold
from storage.session import SessionMaker

MAX_PAGE = 10_000


@dataclass(frozen=True)
class Item:
    kind: str  # "answer" (published from a ticket) | "faq"
    key: str  # the answer's id, or the FAQ entry's id
    url: str
    question: str
    answer: str
    domain: str | None
    agency: str | None
    asked_at: datetime | None = None
    answered_at: datetime | None = None
    published_at: datetime | None = None

    def as_json(self) -> dict[str, Any]:
        def iso(v: datetime | None) -> str | None:
            return v.isoformat() if v else None

        return {
            "kind": self.kind,
            "id": self.key,
            "url": self.url,
            "question": self.question,
            "answer": self.answer,
            "domain": self.domain,
            "agency": self.agency,
            "asked_at": iso(self.asked_at),
            "answered_at": iso(self.answered_at),
            "published_at": iso(self.published_at),
        }


@dataclass(frozen=True)
class Query:
    q: str = ""
    domain: str = ""
    agency: str = ""
    page: int = 1


@dataclass(frozen=True)
class Page:
    items: list[Item]
    total: int
    page: int
    pages: int
    page_size: int
    domains: list[str]
    agencies: list[str]


def faq_url(faq_id: str) -> str:
    return f"/hoi-dap/cau-hoi/{quote(faq_id, safe='')}"


def _answer_item(a: PublishedAnswer) -> Item:
    return Item(
        kind="answer",
        key=str(a.id),
        url=f"/hoi-dap/{a.id}",
        question=a.question,
        answer=a.answer,
        domain=a.domain,
        agency=a.agency,
        asked_at=as_utc(a.asked_at),
        answered_at=as_utc(a.answered_at),
        published_at=as_utc(a.published_at),
    )


def _faq_item(e: FaqEntry) -> Item:
    return Item(
        kind="faq",
        key=e.id,
        url=faq_url(e.id),
        question=e.question,
        answer=e.answer,
        domain=e.domain or None,
        agency=e.agency or None,
    )


def _words(q: str) -> list[str]:
    return fold(q[:MAX_QUERY]).split()


def _like(word: str) -> str:
    return "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


class PublicFaq:
    """The active FAQ's entries with their folded text, rebuilt when the generation moves."""

    def __init__(self, sm: SessionMaker) -> None:
        self.sm = sm
        self._generation: int | None = None
        self._entries: list[tuple[FaqEntry, str]] = []
        self._lock = asyncio.Lock()

    async def entries(self) -> list[tuple[FaqEntry, str]]:
        generation = await faq_store.generation(self.sm)
        async with self._lock:
            if generation != self._generation:
                entries = await faq_store.active_entries(self.sm)
                self._entries = [
                    (e, fold(" ".join([e.question, e.answer, e.domain, e.agency, *e.alternatives])))
                    for e in entries
                ]
                self._generation = generation
            return self._entries

    async def find(self, faq_id: str) -> FaqEntry | None:
        return next((e for e, _ in await self.entries() if e.id == faq_id), None)


def _published() -> Any:
    return select(PublishedAnswer).where(PublishedAnswer.withdrawn_at.is_(None))


async def search(sm: SessionMaker, faq: PublicFaq, query: Query, page_size: int) -> Page:
    words = _words(query.q)
    stmt = _published()
    for w in words:
        stmt = stmt.where(PublishedAnswer.search_text.like(_like(w), escape="\\"))
    if query.domain:
        stmt = stmt.where(PublishedAnswer.domain == query.domain)
    if query.agency:
        stmt = stmt.where(PublishedAnswer.agency == query.agency)
    faq_entries = await faq.entries()  # before the session: SQLite has one connection
    entries = [
        e
        for e, text in faq_entries
        if all(w in text for w in words)
        and (not query.domain or e.domain == query.domain)
        and (not query.agency or e.agency == query.agency)
    ]
    async with sm() as s:
        n_answers = int((await s.execute(select(func.count()).select_from(stmt.subquery()))).scalar_one())
        total = n_answers + len(entries)
        pages = max(1, -(-total // page_size))
        page = min(max(1, query.page), pages)
        start = (page - 1) * page_size
        rows = (
            (
                await s.execute(
                    stmt.order_by(PublishedAnswer.published_at.desc(), PublishedAnswer.id.desc())
                    .offset(start)
                    .limit(page_size)
                )
            )
            .scalars()
            .all()
        )
        items = [_answer_item(a) for a in rows]
        first_faq = max(0, start - n_answers)
        items += [_faq_item(e) for e in entries[first_faq : first_faq + page_size - len(items)]]
        domains, agencies = await _choices(s, [e for e, _ in faq_entries])
    return Page(items, total, page, pages, page_size, domains, agencies)


async def _choices(s: Any, faq_entries: list[FaqEntry]) -> tuple[list[str], list[str]]:
    """The domains and agencies a visitor can filter by (those with something to show)."""
    found: dict[str, set[str]] = {"domain": set(), "agency": set()}
    for column, key in ((PublishedAnswer.domain, "domain"), (PublishedAnswer.agency, "agency")):
        rows = await s.execute(select(column).where(PublishedAnswer.withdrawn_at.is_(None)).distinct())
        found[key] |= {v for v in rows.scalars() if v}
    for e in faq_entries:
        found["domain"] |= {e.domain} if e.domain else set()
        found["agency"] |= {e.agency} if e.agency else set()
    return sorted(found["domain"], key=vi_key), sorted(found["agency"], key=vi_key)


async def published(sm: SessionMaker, answer_id: int) -> Item | None:
    """One published answer (None when there is none, or it was withdrawn)."""
    async with sm() as s:
        row = (await s.execute(_published().where(PublishedAnswer.id == answer_id))).scalar_one_or_none()
    return _answer_item(row) if row is not None else None


async def faq_entry(faq: PublicFaq, faq_id: str) -> Item | None:
    entry = await faq.find(faq_id)
    return _faq_item(entry) if entry is not None else None
