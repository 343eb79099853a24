"""The public privacy notice page ``/quyen-rieng-tu/`` (issue 18): the words are
:func:`privacy.notice.full_notice`'s, the figures the settings' (retention, deadlines); the
same layout, style and security headers as the rest of the public site (no script)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from bot.hub import hub_of
from bot.public import _guard, _html, _to
from bot.public.pages import e, layout
from privacy.notice import PATH, REQUEST_FORM_PATH, NoticeFacts, Section, full_notice

if TYPE_CHECKING:
    from bot.hub import Hub


def setup(app: web.Application, hub: Hub) -> None:
    """Add the routes to ``app``."""
    app.router.add_get(PATH.rstrip("/"), _to(PATH))
    app.router.add_get(PATH, _guard(notice_page))


def _section(section: Section) -> str:
    paragraphs = "".join(f"<p>{e(p)}</p>" for p in section.paragraphs)
    items = "".join(f"<li>{e(i)}</li>" for i in section.items)
    listing = f"<ul>{items}</ul>" if items else ""
    return f'<section id="{e(section.anchor)}"><h2>{e(section.heading)}</h2>{paragraphs}{listing}</section>'


def render(facts: NoticeFacts) -> str:
    body = (
        f"<h1>Thông báo về xử lý dữ liệu cá nhân — {e(facts.hotline)}</h1>"
        "<p>Theo Luật Bảo vệ dữ liệu cá nhân số 91/2025/QH15 và Nghị định 356/2025/NĐ-CP.</p>"
        + "".join(_section(s) for s in full_notice(facts))
        + f'<p><a href="{REQUEST_FORM_PATH}">Gửi yêu cầu về dữ liệu cá nhân »</a></p>'
    )
    return layout(facts.hotline, "Quyền riêng tư", body, here=PATH)


async def notice_page(request: web.Request) -> web.Response:
    settings = hub_of(request).settings
    return _html(render(NoticeFacts.from_env(settings.hotline_name, settings.env)))
