"""The citizen's download of the copy of their data (issue 18, "View / copy").

| route | what |
|---|---|
| ``GET /yeu-cau-du-lieu/ban-sao/{token}`` | a page with the three files and the link's expiry |
| ``GET /yeu-cau-du-lieu/ban-sao/{token}/ban-sao-du-lieu.{json,xlsx,pdf}`` | one file |

The link comes with the answer to a view or copy request (:mod:`privacy.copy_links`). The
page counts nothing; each file is made from the data as it is then, counts one download and
writes an audit row ``copy_download`` on the contact (no user; the client address), so it is
in the contact's access log. A wrong, expired or used-up link gets a Vietnamese page with
404 or 410. No cache, no index, the public site's headers (no script).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from bot.auth import audit
from bot.console.contact_data_api import export_pdf
from bot.console.core import client_ip
from bot.console.report_files import XLSX
from bot.hub import hub_of
from bot.public import _guard, _html
from bot.public.pages import e, layout
from privacy import copy_links
from privacy.export import ExportNotFound, contact_export, export_xlsx

if TYPE_CHECKING:
    from bot.hub import Hub

TOKEN = r"{token:[A-Za-z0-9_-]{1,64}}"
FILE = "ban-sao-du-lieu"
FORMATS = {"xlsx": "Bảng tính Excel (.xlsx)", "pdf": "Văn bản PDF", "json": "Dữ liệu máy đọc (JSON)"}
TITLE = "Bản sao dữ liệu cá nhân"
PRIVATE = {"X-Robots-Tag": "noindex, nofollow", "Referrer-Policy": "no-referrer"}


def _page(hub: Hub, body: str, status: int = 200) -> web.Response:
    response = _html(layout(hub.settings.hotline_name, TITLE, body), status, private=True)
    response.headers.update(PRIVATE)
    return response


def _error(hub: Hub, err: copy_links.LinkError) -> web.Response:
    body = (
        f'<h1>{e(TITLE)}</h1><p class="error" id="error" role="alert">{e(str(err))}</p>'
        '<p>Anh/chị có thể gửi yêu cầu mới tại <a href="/yeu-cau-du-lieu/">Yêu cầu về dữ liệu cá nhân</a> '
        "hoặc nhắn cho tổng đài trên kênh đã liên hệ.</p>"
    )
    return _page(hub, body, err.status)


def _policy(hub: Hub) -> copy_links.LinkPolicy:
    return copy_links.LinkPolicy.from_env(hub.settings.env)


async def page(request: web.Request) -> web.Response:
    hub = hub_of(request)
    token = request.match_info["token"]
    async with hub.sm() as s, s.begin():
        try:
            link = await copy_links.find(s, token, hub.clock.now(), _policy(hub))
        except copy_links.LinkError as err:
            return _error(hub, err)
        expires, left = link.expires_at, _policy(hub).downloads - link.downloads
    tz = hub.pipeline.applier.calendar.timezone
    files = "".join(
        f'<li><a href="{e(copy_links.PATH + token)}/{FILE}.{fmt}" download>{e(label)}</a></li>'
        for fmt, label in FORMATS.items()
    )
    body = (
        f"<h1>{e(TITLE)}</h1><p>Bản sao gồm mọi dữ liệu tổng đài đang lưu về anh/chị trên các kênh: "
        "thông tin liên hệ, tài khoản, tin nhắn, phiếu, danh sách tệp đính kèm, yêu cầu về dữ liệu và "
        f'nhật ký truy cập dữ liệu.</p><ul class="files" id="files">{files}</ul>'
        f'<p class="note">Đường dẫn hiệu lực đến {expires.astimezone(tz):%H:%M ngày %d/%m/%Y}, còn '
        f"{left} lượt tải. Xin không chia sẻ đường dẫn này cho người khác.</p>"
    )
    return _page(hub, body)


async def download(request: web.Request) -> web.Response:
    hub = hub_of(request)
    fmt = request.match_info["fmt"]
    now = hub.clock.now()
    async with hub.sm() as s, s.begin():
        try:
            link = await copy_links.find(s, request.match_info["token"], now, _policy(hub))
        except copy_links.LinkError as err:
            return _error(hub, err)
        copy_links.count_download(link, now)
        detail = {"request": link.request_id, "format": fmt}
        audit.record(
            s,
            user=None,
            action="copy_download",
            object_type="contact",
            object_id=link.contact_id,
            now=now,
            ip=client_ip(request),
            detail=detail,
        )
        await s.flush()  # the copy lists its own download in the access log
        try:
            data = await contact_export(s, link.contact_id, now)
        except ExportNotFound as err:
            return _error(hub, copy_links.LinkError(str(err), 410))
    if fmt == "json":
        response = web.json_response(data)
    else:
        body, ctype = (export_xlsx(data), XLSX) if fmt == "xlsx" else (export_pdf(data), "application/pdf")
        response = web.Response(body=body, content_type=ctype)
    response.headers.update(PRIVATE)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Content-Disposition"] = f'attachment; filename="{FILE}.{fmt}"'
    return response


def setup(app: web.Application, hub: Hub) -> None:
    """Add the routes to ``app``."""
    base = copy_links.PATH + TOKEN
    app.router.add_get(base, _guard(page))
    app.router.add_get(f"{base}/{FILE}.{{fmt:xlsx|pdf|json}}", _guard(download))
