"""Exports for inspection (Điều 11.1): the tickets as CSV for Excel; the summary report.

Every cell goes through :func:`safe_cell`, the one place that neutralises spreadsheet
formulas (OWASP "CSV injection"): a citizen's name ``=cmd|' /C calc'!A0`` or a message
``=HYPERLINK(...)`` must arrive in Excel as text, never as a formula. Any future export
(CSV or xlsx) writes its cells through it as well.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from aiohttp import web
from sqlalchemy import select

from bot.console.core import OVERSIGHT, audit_action, date_param, require
from bot.hub import hub_of
from handoff.calendar import HOTLINE_TZ
from handoff.collation import vi_key
from handoff.labels import label
from storage.clock import as_utc
from storage.models import Ticket
from storage.models_console import Role, TicketFile, TicketTrack

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

EXPORT_COLUMNS = (
    "Mã phiếu",
    "Họ tên",
    "Điện thoại",
    "Thời điểm tiếp nhận",
    "Kênh",
    "Nội dung",
    "Lĩnh vực",
    "Đơn vị xử lý",
    "Trạng thái",
    "Thời điểm xử lý",
    "Nội dung trả lời",
    "Tệp ghi âm",
)


def safe_cell(value: object) -> str:
    """The cell's text; one starting with = + - @, a tab or a carriage return gets a
    leading single quote, so a spreadsheet shows it as text instead of evaluating it."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_bytes(header: Iterable[object], rows: Iterable[Iterable[object]]) -> bytes:
    """UTF-8 with a BOM (Excel opens it as Unicode), every cell through :func:`safe_cell`."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    for row in (header, *rows):
        writer.writerow([safe_cell(c) for c in row])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def _local(value: datetime | None) -> str:
    v = as_utc(value)
    return v.astimezone(HOTLINE_TZ).strftime("%d/%m/%Y %H:%M") if v else ""


def _row(t: Ticket, tr: TicketTrack, files: list[str]) -> list[str]:
    snap = t.contact_snapshot or {}
    return [
        t.code,
        snap.get("full_name") or tr.caller_name or snap.get("display_name") or "",
        snap.get("phone") or tr.caller_phone or "",
        _local(t.created_at),
        label("channel", t.channel),
        t.content,
        t.domain or "",
        t.agency or "",
        label("status", t.status),
        _local(tr.answered_at),
        tr.answer or tr.refusal_reason or "",
        "; ".join(files),
    ]


async def export_csv(request: web.Request) -> web.Response:
    """Records for inspection (Điều 11.1), CSV (UTF-8 with BOM, opens in Excel): name, phone,
    time of contact, content, time handled, answer, agency, domain, result, recording."""
    user = require(request, Role.AGENCY, *OVERSIGHT)
    hub = hub_of(request)
    start, end = date_param(request, "from"), date_param(request, "to")
    q = select(Ticket, TicketTrack).join(TicketTrack, TicketTrack.ticket_id == Ticket.id)
    if user.role == Role.AGENCY:
        q = q.where(TicketTrack.agency_id == user.agency_id)
    if start is not None:
        q = q.where(Ticket.created_at >= start.astimezone(UTC))
    if end is not None:
        q = q.where(Ticket.created_at < (end + timedelta(days=1)).astimezone(UTC))
    async with hub.sm() as s, s.begin():
        rows = (await s.execute(q.order_by(Ticket.id))).all()
        files: dict[int, list[str]] = {}
        for f in (await s.execute(select(TicketFile))).scalars():
            files.setdefault(f.ticket_id, []).append(f.name)
        body = csv_bytes(EXPORT_COLUMNS, (_row(t, tr, files.get(t.id, [])) for t, tr in rows))
        audit_action(
            s,
            request,
            user,
            "export_records",
            "ticket",
            None,
            hub.clock.now(),
            detail={"from": request.query.get("from"), "to": request.query.get("to"), "rows": len(rows)},
        )
    return web.Response(
        body=body,
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": 'attachment; filename="phieu-1022.csv"'},
    )


def _by_name(item: tuple[str, Counter[str]]) -> tuple[object, ...]:
    """The report's agencies in Vietnamese order (handoff.collation)."""
    return vi_key(item[0])


async def report(request: web.Request) -> web.Response:
    """Summary for Sở TT&TT (Điều 11.2, 13.3): tickets received in [from, to] by channel,
    status and agency; answered on time / late (against the 8 working hours from the forward); overdue now;
    Điều 10.3 breaches. The fuller report: ``bot.console.records_api.reports``."""
    require(request, *OVERSIGHT)
    hub = hub_of(request)
    now = hub.clock.now()
    start, end = date_param(request, "from"), date_param(request, "to")
    q = select(Ticket, TicketTrack).join(TicketTrack, TicketTrack.ticket_id == Ticket.id)
    if start is not None:
        q = q.where(Ticket.created_at >= start.astimezone(UTC))
    if end is not None:
        q = q.where(Ticket.created_at < (end + timedelta(days=1)).astimezone(UTC))
    by_channel: Counter[str] = Counter()
    by_status: Counter[str] = Counter()
    agencies: dict[str, Counter[str]] = {}
    async with hub.sm() as s:
        for t, tr in (await s.execute(q)).all():
            by_channel[t.channel.split(":")[0]] += 1
            by_status[t.status] += 1
            if tr.forwarded_at is None:
                continue
            row = agencies.setdefault(t.agency or "(đã trả lại)", Counter())
            row["forwarded"] += 1
            # on time: within the 8 working hours from the forward (Điều 10.3); an officer's
            # own new appointment makes a late answer "late with progress", never on time
            answered, due = as_utc(tr.answered_at), as_utc(tr.answer_due_at)
            if answered is not None:
                row["answered_on_time" if due is None or answered <= due else "answered_late"] += 1
            elif (current_due := as_utc(t.due_at)) is not None and now > current_due:
                row["overdue_now"] += 1
            if tr.breach_at is not None:
                row["breaches"] += 1
    return web.json_response(
        {
            "from": request.query.get("from"),
            "to": request.query.get("to"),
            "today": now.astimezone(HOTLINE_TZ).date().isoformat(),  # the console's default period
            "total": sum(by_status.values()),
            "by_channel": dict(by_channel),
            "by_status": dict(by_status),
            "by_agency": [{"agency": name, **dict(c)} for name, c in sorted(agencies.items(), key=_by_name)],
        }
    )
