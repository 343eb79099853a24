"""``GET /api/v1/answers`` (answers published on the portal, Điều 12, newest first, searched
without diacritics) and ``GET /api/v1/faq`` (the active FAQ, ranked as the bot ranks it).
Read-only: both show only what the public portal shows."""

from __future__ import annotations

import math
from typing import Any

from aiohttp import web
from sqlalchemy import func, select

from bot.api_v1.auth import require_scope
from bot.api_v1.common import invalid, query_int, query_text
from bot.hub import hub_of
from bot.public.answers import faq_url
from faq.model import FaqEntry
from storage.clock import as_utc
from storage.models_public import PublishedAnswer
from storage.search import MAX_QUERY, fold

MAX_PAGE = 10_000
MAX_PER_PAGE = 100
MAX_FAQ_LIMIT = 20


def _like(word: str) -> str:
    return "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _iso(value: Any) -> str | None:
    when = as_utc(value)
    return when.isoformat() if when is not None else None


def answer_json(a: PublishedAnswer) -> dict[str, Any]:
    return {
        "id": a.id,
        "url": f"/hoi-dap/{a.id}",
        "question": a.question,
        "answer": a.answer,
        "domain": a.domain,
        "agency": a.agency,
        "asked_at": _iso(a.asked_at),
        "answered_at": _iso(a.answered_at),
        "published_at": _iso(a.published_at),
    }


async def answers(request: web.Request) -> web.Response:
    """``GET /api/v1/answers?q=&domain=&agency=&page=&per_page=``."""
    await require_scope(request, "answers:read")
    hub = hub_of(request)
    q = query_text(request, "q", MAX_QUERY)
    domain = query_text(request, "domain", 300)
    agency = query_text(request, "agency", 300)
    page = query_int(request, "page", 1, 1, MAX_PAGE)
    per_page = query_int(request, "per_page", 20, 1, MAX_PER_PAGE)
    stmt = select(PublishedAnswer).where(PublishedAnswer.withdrawn_at.is_(None))
    for word in fold(q).split():
        stmt = stmt.where(PublishedAnswer.search_text.like(_like(word), escape="\\"))
    if domain:
        stmt = stmt.where(PublishedAnswer.domain == domain)
    if agency:
        stmt = stmt.where(PublishedAnswer.agency == agency)
    async with hub.sm() as s:
        total = int((await s.execute(select(func.count()).select_from(stmt.subquery()))).scalar_one())
        rows = (
            await s.execute(
                stmt.order_by(PublishedAnswer.published_at.desc(), PublishedAnswer.id.desc())
                .offset((page - 1) * per_page)
                .limit(per_page)
            )
        ).scalars()
        items = [answer_json(a) for a in rows]
    return web.json_response(
        {
            "q": q,
            "page": page,
            "per_page": per_page,
            "total": total,
            "pages": max(1, -(-total // per_page)),
            "items": items,
        }
    )


def faq_json(entry: FaqEntry, score: float) -> dict[str, Any]:
    return {
        "id": entry.id,
        "url": faq_url(entry.id),
        "question": entry.question,
        "answer": entry.answer,
        "domain": entry.domain or None,
        "agency": entry.agency or None,
        "score": round(score, 4) if math.isfinite(score) else 0.0,
    }


async def faq(request: web.Request) -> web.Response:
    """``GET /api/v1/faq?q=&limit=``: the best entries for a question; ``decision`` is what
    the bot would do with it (``answer``, ``suggest`` or ``handoff``)."""
    await require_scope(request, "faq:read")
    hub = hub_of(request)
    q = query_text(request, "q", 500)
    if not q:
        raise invalid("Cần tham số 'q' (câu hỏi cần tìm)")
    limit = query_int(request, "limit", 5, 1, MAX_FAQ_LIMIT)
    index = hub.faq
    if index is None or not index.available:
        return web.json_response({"q": q, "available": False, "decision": "handoff", "items": []})
    decided = await index.holder.decide_async(q)
    items = [faq_json(c.entry, float(c.score)) for c in decided.candidates[:limit]]
    if decided.entry is not None and not any(i["id"] == decided.entry.id for i in items):
        items.insert(0, faq_json(decided.entry, float("inf")))
        items = items[:limit]
    return web.json_response({"q": q, "available": True, "decision": decided.decision, "items": items})


def add_routes(router: web.UrlDispatcher, prefix: str) -> None:
    router.add_get(f"{prefix}/answers", answers)
    router.add_get(f"{prefix}/faq", faq)
