"""The records (Điều 11.1) and the report (Điều 11.2, 13.3, 15.5) of the console:

- ``GET /console/api/records.xlsx`` and ``records.csv`` ``?from=&to=&agency=&domain=``: one
  row per request (``handoff.records``), for supervisors and admins; an agency officer gets
  the agency's own rows; operators are refused. Audited ``export_request_records``.
- ``GET /console/api/reports?preset=month|quarter|year|custom&date=&from=&to=``: the
  figures (``handoff.report_figures``) as JSON; ``reports.xlsx`` and ``reports.pdf`` the
  same as files (audited ``export_report``). Supervisors and admins.

:func:`setup` adds the routes and, when the hub starts, the monthly report mail
(``bot.monthly_report``).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from typing import Any

from aiohttp import web

from bot.console import monthly_report
from bot.console.core import OVERSIGHT, ConsoleState, audit_action, bad_request, require, state_of
from bot.console.exports import csv_bytes
from bot.console.report_files import XLSX, records_xlsx, report_pdf, report_xlsx
from bot.hub import Hub, hub_of
from bot.roles import runs_workers
from handoff.calendar import HOTLINE_TZ
from handoff.records import COLUMNS, load_records, record_cells
from handoff.report_figures import PeriodError, figures, period
from storage.models_console import Role, User

MONTHLY_TASK = web.AppKey("monthly_report_task", asyncio.Task[None])


def _day(request: web.Request, key: str) -> dt.date | None:
    raw = request.query.get(key, "").strip()
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError as err:
        raise bad_request(f"Tham số {key} phải có dạng YYYY-MM-DD") from err


def _id(request: web.Request, key: str) -> int | None:
    raw = request.query.get(key, "").strip()
    if not raw:
        return None
    if not raw.isdigit() or len(raw) > 18:
        raise bad_request(f"Tham số {key} phải là số")
    return int(raw)


def day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), HOTLINE_TZ).astimezone(dt.UTC)


def _scope(request: web.Request, user: User) -> tuple[int | None, int | None]:
    """(agency, domain) filters; an agency officer's own agency whatever was asked."""
    agency, domain = _id(request, "agency"), _id(request, "domain")
    if user.role == Role.AGENCY:
        if user.agency_id is None:
            raise web.HTTPForbidden(
                text='{"error": "Tài khoản chưa gắn với đơn vị nào"}', content_type="application/json"
            )
        agency = user.agency_id
    return agency, domain


async def _records_file(request: web.Request, kind: str) -> web.Response:
    user = require(request, Role.AGENCY, *OVERSIGHT)
    hub = hub_of(request)
    start, end = _day(request, "from"), _day(request, "to")
    agency, domain = _scope(request, user)
    base = hub.settings.public_url
    async with hub.sm() as s, s.begin():
        records = await load_records(
            s,
            day_start(start) if start else None,
            day_start(end + dt.timedelta(days=1)) if end else None,
            agency_id=agency,
            domain_id=domain,
        )
        audit_action(
            s,
            request,
            user,
            "export_request_records",
            "ticket",
            None,
            hub.clock.now(),
            detail={
                "from": str(start or ""),
                "to": str(end or ""),
                "agency": agency,
                "domain": domain,
                "format": kind,
                "rows": len(records),
            },
        )
    if kind == "xlsx":
        body, ctype = records_xlsx(records, base), XLSX
    else:
        body, ctype = csv_bytes(COLUMNS, (record_cells(r, base) for r in records)), "text/csv"
    return web.Response(
        body=body,
        content_type=ctype,
        charset="utf-8" if kind == "csv" else None,
        headers={"Content-Disposition": f'attachment; filename="ho-so-1022.{kind}"'},
    )


async def records_xlsx_route(request: web.Request) -> web.Response:
    return await _records_file(request, "xlsx")


async def records_csv_route(request: web.Request) -> web.Response:
    return await _records_file(request, "csv")


async def compute_report(hub: Hub, calendar: Any, start: dt.date, end: dt.date) -> dict[str, Any]:
    """The figures of [start, end] (days in Việt Nam) at the hub's clock."""
    now = hub.clock.now()
    async with hub.sm() as s:
        records = await load_records(s, day_start(start), day_start(end + dt.timedelta(days=1)))
    return figures(records, calendar, now)


async def _report(request: web.Request) -> tuple[dict[str, Any], dt.date, dt.date]:
    require(request, *OVERSIGHT)
    hub = hub_of(request)
    today = hub.clock.now().astimezone(HOTLINE_TZ).date()
    preset = request.query.get("preset", "month").strip() or "month"
    try:
        start, end = period(
            preset, today, _day(request, "from") or _day(request, "date"), _day(request, "to")
        )
    except PeriodError as err:
        raise bad_request(str(err)) from err
    figs = await compute_report(hub, state_of(request).calendar, start, end)
    return figs, start, end


async def reports(request: web.Request) -> web.Response:
    figs, start, end = await _report(request)
    today = hub_of(request).clock.now().astimezone(HOTLINE_TZ).date()
    return web.json_response(
        {
            "preset": request.query.get("preset", "month"),
            "from": start.isoformat(),
            "to": end.isoformat(),
            "today": today.isoformat(),
            **figs,
        }
    )


async def _report_file(request: web.Request, kind: str) -> web.Response:
    figs, start, end = await _report(request)
    hub = hub_of(request)
    async with hub.sm() as s, s.begin():
        audit_action(
            s,
            request,
            require(request, *OVERSIGHT),
            "export_report",
            "ticket",
            None,
            hub.clock.now(),
            detail={"from": start.isoformat(), "to": end.isoformat(), "format": kind},
        )
    if kind == "xlsx":
        body, ctype = report_xlsx(figs, start, end), XLSX
    else:
        body, ctype = report_pdf(figs, start, end), "application/pdf"
    name = f"bao-cao-1022-{start.isoformat()}-{end.isoformat()}.{kind}"
    return web.Response(
        body=body, content_type=ctype, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


async def reports_xlsx_route(request: web.Request) -> web.Response:
    return await _report_file(request, "xlsx")


async def reports_pdf_route(request: web.Request) -> web.Response:
    return await _report_file(request, "pdf")


def setup(console: web.Application, hub: Hub, state: ConsoleState) -> None:
    """The routes (paths relative to ``/console``) and the monthly report's periodic pass."""
    r = console.router
    r.add_get("/api/records.xlsx", records_xlsx_route)
    r.add_get("/api/records.csv", records_csv_route)
    r.add_get("/api/reports", reports)
    r.add_get("/api/reports.xlsx", reports_xlsx_route)
    r.add_get("/api/reports.pdf", reports_pdf_route)

    async def start(app: web.Application) -> None:
        if not runs_workers(hub.role):  # scheduled reports are a worker's job (bot.roles)
            return
        app[MONTHLY_TASK] = asyncio.create_task(
            monthly_report.worker(hub, state.calendar, compute_report), name="monthly-report"
        )

    async def stop(app: web.Application) -> None:
        task = app.get(MONTHLY_TASK)
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    console.on_startup.append(start)
    console.on_shutdown.append(stop)
