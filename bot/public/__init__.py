"""The public site, without login: the answers portal (Điều 12) and the lookup of a request.

| route | what |
|---|---|
| ``GET /hoi-dap/?q=&domain=&agency=&page=`` | published answers and the active FAQ (HTML) |
| ``GET /hoi-dap/{id}`` · ``GET /hoi-dap/cau-hoi/{faq_id}`` | one published answer · one FAQ entry |
| ``GET /api/public/answers?q=&domain=&agency=&page=`` | the same list as JSON |
| ``GET /tra-cuu/[?ma=CODE]`` · ``POST /tra-cuu/`` (form ``code``, ``phone``) | the lookup |
| ``GET /public/static/public.css`` | the style |

Every response carries a strict Content-Security-Policy (no script at all), ``X-Frame-Options:
DENY`` and ``nosniff``. The lookup form changes nothing but the count of wrong guesses, so it
needs no session: a POST whose ``Origin`` is another site's (or whose ``Sec-Fetch-Site`` says
``cross-site``) is refused, and the rate limit (``handoff.lookup``) does the rest.
See ``docs/public.md``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from urllib.parse import urlsplit

from aiohttp import web

from bot.console.core import client_ip
from bot.hub import HUB, Hub, hub_of
from bot.public import pages
from bot.public.answers import MAX_PAGE, PublicFaq, Query, faq_entry, published, search
from bot.ticket_lookup import lookup_limits
from connectors.text import needs_cleaning
from handoff.calendar import HOTLINE_TZ
from handoff.lookup import Limits, public_lookup
from storage.search import MAX_QUERY

STATIC = Path(__file__).resolve().parent.parent / "static" / "public"
FAQ_KEY = web.AppKey("public_faq", PublicFaq)
MAX_FORM = 4096  # bytes of a lookup form
HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def setup(app: web.Application) -> None:
    app[FAQ_KEY] = PublicFaq(app[HUB].sm)
    r = app.router
    r.add_get("/hoi-dap", _to("/hoi-dap/"))
    r.add_get("/hoi-dap/", _guard(answers_page))
    r.add_get(r"/hoi-dap/{id:\d{1,18}}", _guard(answer_page))
    r.add_get("/hoi-dap/cau-hoi/{faq_id}", _guard(faq_page))
    r.add_get("/api/public/answers", _guard(answers_json))
    r.add_get("/tra-cuu", _to("/tra-cuu/"))
    r.add_get("/tra-cuu/", _guard(lookup_page))
    r.add_post("/tra-cuu/", _guard(lookup_submit))
    r.add_get("/public/static/public.css", _guard(stylesheet))


def _to(path: str) -> Handler:
    async def redirect(request: web.Request) -> web.StreamResponse:
        raise web.HTTPMovedPermanently(path)

    return redirect


def _guard(handler: Handler) -> Handler:
    """The security headers on every answer; control characters in the URL are a 400."""

    async def guarded(request: web.Request) -> web.StreamResponse:
        if any(needs_cleaning(v) for v in (*request.query.values(), *request.match_info.values())):
            response: web.StreamResponse = web.Response(status=400, text="Địa chỉ không hợp lệ")
        else:
            try:
                response = await handler(request)
            except web.HTTPException as exc:
                exc.headers.update(HEADERS)
                raise
        response.headers.update(HEADERS)
        return response

    return guarded


def _html(text: str, status: int = 200, *, private: bool = False) -> web.Response:
    return web.Response(
        text=text,
        status=status,
        content_type="text/html",
        charset="utf-8",
        headers={"Cache-Control": "no-store" if private else "no-cache"},
    )


def _hotline(hub: Hub) -> str:
    return hub.settings.hotline_name


def _query(request: web.Request) -> Query:
    raw_page = request.query.get("page", "1").strip()
    page = int(raw_page) if raw_page.isdigit() and len(raw_page) <= 6 else 1
    return Query(
        q=request.query.get("q", "").strip()[:MAX_QUERY],
        domain=request.query.get("domain", "").strip()[:300],
        agency=request.query.get("agency", "").strip()[:300],
        page=min(max(page, 1), MAX_PAGE),
    )


async def answers_page(request: web.Request) -> web.Response:
    hub = hub_of(request)
    query = _query(request)
    page = await search(hub.sm, request.app[FAQ_KEY], query, hub.settings.public_page_size)
    return _html(pages.answers_page(_hotline(hub), query, page))


async def answers_json(request: web.Request) -> web.Response:
    hub = hub_of(request)
    query = _query(request)
    page = await search(hub.sm, request.app[FAQ_KEY], query, hub.settings.public_page_size)
    body = {
        "hotline": _hotline(hub),
        "q": query.q,
        "domain": query.domain or None,
        "agency": query.agency or None,
        "page": page.page,
        "pages": page.pages,
        "page_size": page.page_size,
        "total": page.total,
        "items": [i.as_json() for i in page.items],
        "domains": page.domains,
        "agencies": page.agencies,
    }
    # public data without credentials: other sites of the province may read it
    return web.json_response(body, headers={"Access-Control-Allow-Origin": "*", "Cache-Control": "no-cache"})


async def answer_page(request: web.Request) -> web.Response:
    hub = hub_of(request)
    item = await published(hub.sm, int(request.match_info["id"]))
    if item is None:
        return _html(pages.not_found_page(_hotline(hub), "Câu trả lời này không có hoặc đã được gỡ."), 404)
    return _html(pages.answer_page(_hotline(hub), item))


async def faq_page(request: web.Request) -> web.Response:
    hub = hub_of(request)
    item = await faq_entry(request.app[FAQ_KEY], request.match_info["faq_id"])
    if item is None:
        return _html(
            pages.not_found_page(_hotline(hub), "Câu hỏi này không còn trong bộ câu hỏi thường gặp."), 404
        )
    return _html(pages.answer_page(_hotline(hub), item))


async def stylesheet(request: web.Request) -> web.Response:
    return web.Response(
        body=(STATIC / "public.css").read_bytes(),
        content_type="text/css",
        charset="utf-8",
        headers={"Cache-Control": "no-cache"},
    )


async def lookup_page(request: web.Request) -> web.Response:
    hub = hub_of(request)
    code = request.query.get("ma", "").strip()[:40]
    return _html(pages.lookup_page(_hotline(hub), pages.lookup_form(code)), private=True)


def _same_origin(request: web.Request) -> bool:
    """A browser says where a form comes from: another site's page may not post it."""
    if request.headers.get("Sec-Fetch-Site", "").lower() == "cross-site":
        return False
    origin = request.headers.get("Origin")
    return origin is None or urlsplit(origin).netloc == request.headers.get("Host", "")


def limits(hub: Hub) -> Limits:
    return lookup_limits(hub.settings)


async def lookup_submit(request: web.Request) -> web.Response:
    hub = hub_of(request)
    hotline = _hotline(hub)
    if not _same_origin(request):
        body = pages.lookup_form(error="Biểu mẫu phải được gửi từ chính trang tra cứu")
        return _html(pages.lookup_page(hotline, body), 403, private=True)
    if (request.content_length or 0) > MAX_FORM:
        return _html(
            pages.lookup_page(hotline, pages.lookup_form(error="Biểu mẫu quá lớn")), 413, private=True
        )
    form = await request.post()
    code = str(form.get("code") or "")[:40]
    phone = str(form.get("phone") or "")[:10]
    now = hub.clock.now()
    async with hub.sm() as s, s.begin():
        out = await public_lookup(s, code, phone, client_ip(request), now, limits(hub))
    if out.status is not None:
        body = pages.status_block(out.status) + pages.lookup_form()
        return _html(pages.lookup_page(hotline, body), private=True)
    status, headers = (400 if out.invalid else 403), {}
    message = out.error or ""
    if out.retry_at is not None:
        status = 429
        message = f"{message}. Hãy thử lại sau {out.retry_at.astimezone(HOTLINE_TZ):%H:%M ngày %d/%m/%Y}."
        headers["Retry-After"] = str(max(1, int((out.retry_at - now).total_seconds())))
    response = _html(
        pages.lookup_page(hotline, pages.lookup_form(code.strip(), message)), status, private=True
    )
    response.headers.update(headers)
    return response
