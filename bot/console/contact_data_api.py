"""The console's view of everything held about one contact: the copy export (JSON, .xlsx,
PDF) and the access log "who looked at this citizen's data" (issue 18).

``GET /console/api/contacts/{id}/export.json`` | ``export.xlsx`` | ``export.pdf`` and
``GET /console/api/contacts/{id}/access-log``: supervisor and admin only (the export holds
everything). Every export is audited (``contact_export``) before the data is read, so it is
in its own access log; a look at the access log is audited too (``contact_access_log``). The
data comes from ``privacy.export`` and ``privacy.access_log``; the PDF is drawn here with the
report's writer (``bot/console/pdf.py``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

from bot.console.core import OVERSIGHT, audit_action, audit_view, hub_of, require
from bot.console.pdf import pdf_document
from bot.console.report_files import XLSX
from handoff.workflow import WorkflowError
from privacy.access_log import access_log
from privacy.export import ExportNotFound, contact_export, export_xlsx, sections
from privacy.export_files import when
from storage.models import Contact

if TYPE_CHECKING:
    from bot.hub import Hub

ID = r"{id:\d{1,18}}"
FORMATS = ("json", "xlsx", "pdf")
ACCESS_LOG_MAX = 2000


def export_pdf(data: dict[str, Any]) -> bytes:
    """The export as a readable PDF (DejaVu Sans, diacritics kept; ``HUB_PDF_FONT``): a title,
    then each section with one line per row, "Tiêu đề: giá trị" joined by " · "."""
    c = data["contact"]
    name = c.get("full_name") or c.get("display_name") or f"#{c['id']}"
    lines = [
        f"Bản sao dữ liệu cá nhân của công dân: {name}",
        f"Mã liên hệ {c['id']} · lập lúc {when(data['generated_at'])}",
    ]
    for title, heads, rows in sections(data):
        lines += ["", f"{title} ({len(rows)})"]
        if not rows:
            lines.append("  (không có)")
        for row in rows:
            cells = [f"{h}: {v}" for h, v in zip(heads, row, strict=True) if v]
            lines.append("  " + " · ".join(cells))
    return pdf_document(lines, [])


def _contact_id(request: web.Request) -> int:
    return int(request.match_info["id"])


async def _export(request: web.Request, fmt: str) -> web.Response:
    user = require(request, *OVERSIGHT)
    hub = hub_of(request)
    contact_id = _contact_id(request)
    now = hub.clock.now()
    async with hub.sm() as s, s.begin():
        if await s.get(Contact, contact_id) is None:
            raise WorkflowError("Không tìm thấy liên hệ", 404)
        audit_action(s, request, user, "contact_export", "contact", contact_id, now, detail={"format": fmt})
        await s.flush()  # the export lists itself in its access log
        try:
            data = await contact_export(s, contact_id, now)
        except ExportNotFound as err:
            raise WorkflowError(str(err), 404) from err
    if fmt == "json":
        return web.json_response(data)
    body, ctype = (export_xlsx(data), XLSX) if fmt == "xlsx" else (export_pdf(data), "application/pdf")
    name = f"du-lieu-lien-he-{contact_id}.{fmt}"
    return web.Response(
        body=body, content_type=ctype, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


def _handler(fmt: str) -> Any:
    async def handle(request: web.Request) -> web.Response:
        return await _export(request, fmt)

    handle.__name__ = f"contact_export_{fmt}"
    return handle


async def contact_access_log(request: web.Request) -> web.Response:
    """``GET /console/api/contacts/{id}/access-log[?limit=N]``: newest first."""
    user = require(request, *OVERSIGHT)
    hub = hub_of(request)
    contact_id = _contact_id(request)
    raw = request.query.get("limit", "500")
    if not raw.isdigit() or not 1 <= int(raw) <= ACCESS_LOG_MAX:
        raise WorkflowError(f"Tham số limit phải là số từ 1 đến {ACCESS_LOG_MAX}", 400)
    now = hub.clock.now()
    async with hub.sm() as s, s.begin():
        if await s.get(Contact, contact_id) is None:
            raise WorkflowError("Không tìm thấy liên hệ", 404)
        await audit_view(s, request, user, "contact_access_log", "contact", contact_id, now)
        await s.flush()
        rows = await access_log(s, contact_id, limit=int(raw))
    return web.json_response({"contact_id": contact_id, "access_log": rows})


def setup(console: web.Application, hub: Hub) -> None:
    """Add the routes to the console's application."""
    r = console.router
    base = f"/api/contacts/{ID}"
    for fmt in FORMATS:
        r.add_get(f"{base}/export.{fmt}", _handler(fmt))
    r.add_get(f"{base}/access-log", contact_access_log)
