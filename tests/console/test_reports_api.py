"""The report through the running hub: ``GET /console/api/reports`` (presets), its .xlsx with
a chart and its PDF; the fixed "on time" of ``GET /console/api/report``; and the monthly
report mail, sent on the first working day of the month to a real aiosmtpd server with the
.xlsx attached, once, with a moved clock."""

from __future__ import annotations

import asyncio
import email
import io
import re
import zipfile
import zlib
from dataclasses import replace
from email.message import EmailMessage
from email.policy import default
from typing import Any

import pytest
from aiohttp import web
from openpyxl import load_workbook

from bot.app import create_app
from bot.config import Settings
from bot.console.core import CONSOLE
from bot.console.monthly_report import send_if_due
from bot.console.records_api import compute_report
from bot.hub import HUB
from connectors.email.settings import load as load_email_settings
from devtools.smtp import SmtpServer
from storage.clock import ManualClock
from tests.console.test_deadlines_app import _forwarded_ticket, vn

SUPERVISORS = ("giamsat@sotttt.example.vn", "baocao@sotttt.example.vn")


@pytest.fixture
async def console_app(hub_settings: Settings, console_clock: ManualClock) -> web.Application:
    settings = replace(hub_settings, report_emails=SUPERVISORS, env={"HUB_DEADLINE_CHECK_SECONDS": "3600"})
    return await create_app(settings, clock=console_clock)


async def _late_with_progress(people: Any, app: Any, clock: ManualClock) -> None:
    """Forwarded Tuesday 2 March 09:00 (due Wednesday 09:00); a progress update with a new
    appointment (Thursday 09:00) on Wednesday 10:00; answered Wednesday 15:00: late, before the
    officer's own appointment."""
    clock.set(vn(2027, 3, 2, 9, 0))
    tid = await _forwarded_ticket(people, app)
    clock.set(vn(2027, 3, 3, 10, 0))
    yte = await people("yte1")
    status, body = await yte.post(
        f"/console/api/tickets/{tid}/progress",
        {"text": "Đang xác minh", "appointment_at": "2027-03-04T09:00"},
    )
    assert status == 200, body
    clock.set(vn(2027, 3, 3, 15, 0))
    assert (await yte.post(f"/console/api/tickets/{tid}/answer", {"text": "Đã có kết quả"}))[0] == 200


def _pdf_text(pdf: bytes) -> str:
    """The PDF's shown text, decoded through its ToUnicode map (as a reader's copy does)."""
    streams = [zlib.decompress(m.group(1)) for m in re.finditer(rb"stream\n(.*?)\nendstream", pdf, re.S)]
    cmap = next(s for s in streams if b"beginbfchar" in s)
    glyphs = {int(g, 16): chr(int(u, 16)) for g, u in re.findall(rb"<([0-9A-F]{4})> <([0-9A-F]{4})>", cmap)}
    shown = [m for s in streams if b" Tj" in s for m in re.findall(rb"<([0-9A-F]+)> Tj", s)]
    return "\n".join("".join(glyphs[int(h[i : i + 4], 16)] for i in range(0, len(h), 4)) for h in shown)


async def test_reports_api_presets_files_and_the_on_time_fix(
    people: Any, console_client: Any, console_clock: ManualClock
) -> None:
    app = console_client.app
    await _late_with_progress(people, app, console_clock)
    sv = await people("sv1")
    status, old = await sv.get("/console/api/report?from=2027-03-01&to=2027-03-31")
    assert status == 200
    # judged against the 8 working hours from the forward: late, whatever the appointment said
    assert old["by_agency"][0].get("answered_on_time", 0) == 0 and old["by_agency"][0]["answered_late"] == 1

    status, rep = await sv.get("/console/api/reports?preset=month&from=2027-03-15")
    assert status == 200, rep
    assert (rep["from"], rep["to"], rep["today"]) == ("2027-03-01", "2027-03-31", "2027-03-03")
    (yte,) = rep["agencies"]
    assert (yte["agency"], yte["forwarded"], yte["late_with_progress"], yte["answered_in_time"]) == (
        "Sở Y tế",
        1,
        1,
        0,
    )
    assert rep["handled"]["forwarded"] == 1 and rep["total"] == 1
    _, quarter = await sv.get("/console/api/reports?preset=quarter")
    assert (quarter["from"], quarter["to"], quarter["total"]) == ("2027-01-01", "2027-03-31", 1)
    _, year = await sv.get("/console/api/reports?preset=year&from=2026-06-01")
    assert (year["from"], year["to"], year["total"]) == ("2026-01-01", "2026-12-31", 0)
    assert (await sv.get("/console/api/reports?preset=custom&from=2027-03-01"))[0] == 400
    assert (await sv.get("/console/api/reports?preset=tuan"))[0] == 400

    async with sv.http.get(sv.base + "/console/api/reports.xlsx?preset=month&from=2027-03-01") as r:
        assert (
            r.status == 200 and "bao-cao-1022-2027-03-01-2027-03-31.xlsx" in r.headers["Content-Disposition"]
        )
        data = await r.read()
    assert any(n.startswith("xl/charts/chart") for n in zipfile.ZipFile(io.BytesIO(data)).namelist())
    wb = load_workbook(io.BytesIO(data))
    rows = list(wb["Theo đơn vị"].iter_rows(values_only=True))
    assert rows[1][:6] == ("Sở Y tế", 1, 0, 1, 0, 0)

    async with sv.http.get(sv.base + "/console/api/reports.pdf?preset=month&from=2027-03-01") as r:
        assert r.status == 200 and r.content_type == "application/pdf"
        pdf = await r.read()
    assert pdf.startswith(b"%PDF-1.4") and pdf.rstrip().endswith(b"%%EOF")
    text = _pdf_text(pdf)
    assert "Báo cáo tiếp nhận, xử lý yêu cầu từ 01/03/2027 đến 31/03/2027" in text
    assert "Sở Y tế" in text and "Chuyển đơn vị: 1" in text

    op = await people("op1")
    assert (await op.get("/console/api/reports"))[0] == 403
    assert (await (await people("yte1")).get("/console/api/reports.xlsx"))[0] == 403


async def test_monthly_report_mail_on_the_first_working_day(
    people: Any, console_client: Any, console_clock: ManualClock
) -> None:
    app = console_client.app
    hub = app[HUB]
    calendar = app[CONSOLE].calendar
    console_clock.set(vn(2027, 4, 20, 9, 0))  # April: one forwarded ticket
    await _forwarded_ticket(people, app)
    async with SmtpServer() as smtp:
        settings = load_email_settings(
            {
                "address": "1022@hotline.example.vn",
                "imap_host": "127.0.0.1",
                "imap_user": "u",
                "imap_password": "p",
                "smtp_host": smtp.host,
                "smtp_port": str(smtp.port),
                "smtp_starttls": "false",
                "display_name": "Tổng đài 1022",
            }
        )
        # 1 May: a Saturday and a holiday, Monday 3 May off for it; Tuesday 4 May: first working day
        for day in (1, 3):
            console_clock.set(vn(2027, 5, day, 10, 0))
            assert await send_if_due(hub, calendar, compute_report, settings) is None
        console_clock.set(vn(2027, 5, 4, 7, 45))
        # two hub processes at once: one mail
        sent = await asyncio.gather(*(send_if_due(hub, calendar, compute_report, settings) for _ in range(2)))
        assert sorted(sent, key=str) == ["2027-04", None]
        (mail,) = await smtp.wait_for(1)
        console_clock.set(vn(2027, 5, 5, 9, 0))
        assert await send_if_due(hub, calendar, compute_report, settings) is None
        await asyncio.sleep(0.2)
        assert len(smtp.received) == 1
    assert sorted(mail.rcpt_tos) == sorted(SUPERVISORS)
    msg = email.message_from_bytes(mail.content, policy=default)
    assert isinstance(msg, EmailMessage)
    assert "Báo cáo tháng 04/2027" in str(msg["Subject"])
    assert "Chuyển đơn vị: 1" in msg.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    (attachment,) = list(msg.iter_attachments())
    assert attachment.get_filename() == "bao-cao-1022-2027-04.xlsx"
    data = attachment.get_payload(decode=True)
    assert isinstance(data, bytes)
    wb = load_workbook(io.BytesIO(data))
    assert str(wb["Tổng hợp"]["A1"].value).endswith("từ 01/04/2027 đến 30/04/2027")
    assert [r[:2] for r in wb["Theo đơn vị"].iter_rows(values_only=True)][1] == ("Sở Y tế", 1)
