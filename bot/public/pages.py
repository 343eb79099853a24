"""The portal's HTML: small server-rendered pages, every text escaped (``html.escape``),
no script, the style from ``bot/static/public/public.css``; readable on a phone."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from html import escape
from urllib.parse import urlencode

from bot.public.answers import Item, Page, Query
from handoff.calendar import HOTLINE_TZ
from handoff.lookup import CitizenStatus


def e(value: object) -> str:
    return escape("" if value is None else str(value), quote=True)


def when(value: datetime | None) -> str:
    return f"{value.astimezone(HOTLINE_TZ):%H:%M ngày %d/%m/%Y}" if value else ""


def day(value: datetime | None) -> str:
    return f"{value.astimezone(HOTLINE_TZ):%d/%m/%Y}" if value else ""


NAV = (("/hoi-dap/", "Hỏi đáp"), ("/tra-cuu/", "Tra cứu phiếu"), ("/quyen-rieng-tu/", "Quyền riêng tư"))


def layout(hotline: str, title: str, body: str, *, here: str = "") -> str:
    current = ' aria-current="page"'
    nav = "".join(f'<a href="{href}"{current if href == here else ""}>{e(text)}</a>' for href, text in NAV)
    return (
        '<!doctype html>\n<html lang="vi">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{e(title)} — {e(hotline)}</title>\n"
        '<link rel="icon" href="/favicon.svg" type="image/svg+xml">\n'
        '<link rel="stylesheet" href="/public/static/public.css">\n</head>\n<body>\n'
        f'<header class="top"><a class="brand" href="/hoi-dap/">{e(hotline)}</a><nav>{nav}</nav></header>\n'
        f"<main>\n{body}\n</main>\n"
        f"<footer><p>{e(hotline)} — cổng thông tin công khai kết quả trả lời (Điều 12).</p></footer>\n"
        "</body>\n</html>\n"
    )


def _options(values: Iterable[str], chosen: str, blank: str) -> str:
    out = [f'<option value="">{e(blank)}</option>']
    for v in values:
        selected = " selected" if v == chosen else ""
        out.append(f'<option value="{e(v)}"{selected}>{e(v)}</option>')
    return "".join(out)


def _meta(item: Item) -> str:
    parts = []
    if item.domain:
        parts.append(f'<span class="domain">Lĩnh vực: {e(item.domain)}</span>')
    if item.agency:
        parts.append(f'<span class="agency">Đơn vị trả lời: {e(item.agency)}</span>')
    if item.kind == "answer":
        if item.asked_at:
            parts.append(f"<span>Hỏi ngày {e(day(item.asked_at))}</span>")
        if item.answered_at:
            parts.append(f"<span>Trả lời ngày {e(day(item.answered_at))}</span>")
        if item.published_at:
            parts.append(f"<span>Công khai ngày {e(day(item.published_at))}</span>")
    else:
        parts.append('<span class="badge">Câu hỏi thường gặp</span>')
    return f'<p class="meta">{" · ".join(parts)}</p>'


def _item(item: Item) -> str:
    return (
        f'<li class="qa qa-{e(item.kind)}">'
        f'<h2><a href="{e(item.url)}">{e(item.question)}</a></h2>'
        f"{_meta(item)}"
        f'<div class="answer">{e(item.answer)}</div>'
        "</li>"
    )


def _page_link(query: Query, page: int) -> str:
    params = {k: v for k, v in (("q", query.q), ("domain", query.domain), ("agency", query.agency)) if v}
    params["page"] = str(page)
    return "/hoi-dap/?" + urlencode(params)


def answers_page(hotline: str, query: Query, page: Page) -> str:
    form = (
        '<form class="search" method="get" action="/hoi-dap/" role="search">'
        '<label for="q">Tìm câu hỏi (gõ có dấu hay không dấu đều được)</label>'
        f'<input id="q" name="q" type="search" value="{e(query.q)}" maxlength="100">'
        '<label for="domain">Lĩnh vực</label>'
        f'<select id="domain" name="domain">{_options(page.domains, query.domain, "Mọi lĩnh vực")}</select>'
        '<label for="agency">Đơn vị</label>'
        f'<select id="agency" name="agency">{_options(page.agencies, query.agency, "Mọi đơn vị")}</select>'
        '<button type="submit">Tìm</button></form>'
    )
    found = f'<p class="count" id="count">{page.total} câu hỏi và trả lời</p>'
    items = "".join(_item(i) for i in page.items) or '<li class="empty">Không có câu hỏi nào khớp.</li>'
    nav = []
    if page.page > 1:
        nav.append(f'<a rel="prev" href="{e(_page_link(query, page.page - 1))}">« Trang trước</a>')
    nav.append(f"<span>Trang {page.page}/{page.pages}</span>")
    if page.page < page.pages:
        nav.append(f'<a rel="next" href="{e(_page_link(query, page.page + 1))}">Trang sau »</a>')
    body = (
        f"<h1>Hỏi đáp — {e(hotline)}</h1>"
        "<p>Câu hỏi của người dân đã được cơ quan trả lời (thông tin cá nhân đã được che) "
        "và các câu hỏi thường gặp.</p>"
        f'{form}{found}<ol class="answers" id="answers">{items}</ol>'
        f'<nav class="pages">{" ".join(nav)}</nav>'
    )
    return layout(hotline, "Hỏi đáp", body, here="/hoi-dap/")


def answer_page(hotline: str, item: Item) -> str:
    body = (
        '<p><a href="/hoi-dap/">« Tất cả câu hỏi</a></p>'
        f'<article class="qa qa-{e(item.kind)}" id="qa"><h1>{e(item.question)}</h1>{_meta(item)}'
        f'<h2>Trả lời</h2><div class="answer">{e(item.answer)}</div></article>'
    )
    return layout(hotline, item.question[:80], body)


def not_found_page(hotline: str, text: str) -> str:
    body = f'<h1>Không tìm thấy</h1><p>{e(text)}</p><p><a href="/hoi-dap/">« Hỏi đáp</a></p>'
    return layout(hotline, "Không tìm thấy", body)


def lookup_form(code: str = "", error: str | None = None) -> str:
    message = f'<p class="error" id="error" role="alert">{e(error)}</p>' if error else ""
    return (
        "<h1>Tra cứu kết quả yêu cầu</h1>"
        "<p>Nhập mã phiếu đã được báo khi gửi yêu cầu và 4 số cuối của số điện thoại đã cung cấp.</p>"
        f"{message}"
        '<form class="lookup" method="post" action="/tra-cuu/">'
        '<label for="code">Mã phiếu</label>'
        f'<input id="code" name="code" value="{e(code)}" maxlength="40" required '
        'placeholder="1022-2027-000123" autocomplete="off">'
        '<label for="phone">4 số cuối điện thoại</label>'
        '<input id="phone" name="phone" inputmode="numeric" pattern="[0-9]{4}" maxlength="4" required '
        'autocomplete="off">'
        '<button type="submit">Tra cứu</button></form>'
    )


def status_block(st: CitizenStatus) -> str:
    rows = [
        ("Mã phiếu", st.code),
        ("Trạng thái", st.status_label),
        ("Lĩnh vực", st.domain),
        ("Đơn vị xử lý", st.agency),
        ("Ngày tiếp nhận", when(st.received_at)),
    ]
    if st.due_at:
        rows.append(("Hạn trả lời", when(st.due_at) + (" (đã quá hạn)" if st.overdue else "")))
    if st.answered_at:
        rows.append(("Thời điểm trả lời", when(st.answered_at)))
    fields = "".join(f"<dt>{e(k)}</dt><dd>{e(v)}</dd>" for k, v in rows if v)
    notes = "".join(
        "<li>"
        f"<time>{e(when(n.at))}</time> · {e(n.label)}"
        + (f" · {e(n.text)}" if n.text else "")
        + (f" · hẹn trả lời {e(when(n.due_at))}" if n.due_at else "")
        + "</li>"
        for n in st.notes
    )
    answer = f'<h2>Trả lời</h2><div class="answer" id="answer">{e(st.answer)}</div>' if st.answer else ""
    refusal = f"<h2>Lý do từ chối</h2><p>{e(st.refusal_reason)}</p>" if st.refusal_reason else ""
    return (
        f'<section class="result" id="result"><h2>Phiếu {e(st.code)}</h2><dl>{fields}</dl>'
        f'{answer}{refusal}<h2>Quá trình xử lý</h2><ol class="notes">{notes}</ol></section>'
    )


def lookup_page(hotline: str, body: str) -> str:
    return layout(hotline, "Tra cứu phiếu", body, here="/tra-cuu/")
