"""The files of the records and of the report: .xlsx (openpyxl) and PDF (``bot.console.pdf``).

Every text cell goes through ``bot.console.exports.safe_cell`` (formula injection), so a
citizen's ``=HYPERLINK(...)`` arrives in Excel as text.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

from bot.console.exports import safe_cell
from bot.console.pdf import pdf_document
from handoff.labels import label
from handoff.records import COLUMNS, RequestRecord, record_cells

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

HANDLED_LABELS = {
    "bot_direct": "Trợ lý ảo trả lời trực tiếp",
    "bot_suggestion": "Trợ lý ảo trả lời qua câu gợi ý",
    "operator": "Cán bộ trực trả lời",
    "forwarded": "Chuyển đơn vị",
    "refused": "Từ chối",
    "open": "Đang chờ xử lý",
}
AGENCY_HEADERS = (
    ("agency", "Đơn vị"),
    ("forwarded", "Đã chuyển"),
    ("answered_in_time", "Trả lời trong 8 giờ làm việc"),
    ("late_with_progress", "Muộn, có cập nhật tiến độ và hẹn lại"),
    ("late_without_progress", "Muộn, không cập nhật tiến độ"),
    ("open_overdue", "Chưa trả lời, quá hạn"),
    ("open_in_time", "Chưa trả lời, còn hạn"),
    ("urgent", "Khẩn"),
)
WRITEUP_LABELS = {"in_time": "Đúng hạn 4 giờ", "late": "Muộn", "pending": "Còn trong hạn"}
URGENT_LABELS = {
    "total": "Tổng số yêu cầu khẩn",
    "answered_in_time": "Trả lời đúng hạn",
    "late": "Trả lời muộn",
    "open_overdue": "Chưa trả lời, quá hạn",
}


def _bold_row(ws: Worksheet, values: Sequence[object]) -> None:
    ws.append([safe_cell(v) for v in values])
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)


def _save(wb: Workbook) -> bytes:
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def records_xlsx(records: Iterable[RequestRecord], base_url: str) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Hồ sơ yêu cầu"
    _bold_row(ws, COLUMNS)
    for r in records:
        ws.append([safe_cell(c) for c in record_cells(r, base_url)])
    ws.freeze_panes = "A2"
    return _save(wb)


def period_title(start: dt.date, end: dt.date) -> str:
    return f"Báo cáo tiếp nhận, xử lý yêu cầu từ {start:%d/%m/%Y} đến {end:%d/%m/%Y}"


def summary_lines(figs: dict[str, Any]) -> list[tuple[str, object]]:
    """The report's figures as (label, value) pairs, in the order the page shows them."""
    out: list[tuple[str, object]] = [("Tổng số yêu cầu", figs["total"])]
    out += [(f"Kênh: {label('channel', k)}", v) for k, v in sorted(figs["by_channel"].items())]
    out += [(HANDLED_LABELS[k], figs["handled"].get(k, 0)) for k in HANDLED_LABELS]
    median = figs["first_reply_median_minutes"]
    out.append(
        ("Thời gian tới câu trả lời đầu tiên của cán bộ (trung vị, phút)", "" if median is None else median)
    )
    out += [
        (f"Ghi nhận trả lời qua điện thoại: {v}", figs["phone_writeup"].get(k, 0))
        for k, v in WRITEUP_LABELS.items()
    ]
    out += [(v, figs["urgent"].get(k, 0)) for k, v in URGENT_LABELS.items()]
    return out


def report_xlsx(figs: dict[str, Any], start: dt.date, end: dt.date) -> bytes:
    """Sheets: the figures, per agency (with a bar chart), per domain."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Tổng hợp"
    _bold_row(ws, [period_title(start, end)])
    for name, value in summary_lines(figs):
        ws.append([safe_cell(name), value])
    ag = wb.create_sheet("Theo đơn vị")
    _bold_row(ag, [h for _, h in AGENCY_HEADERS])
    for row in figs["agencies"]:
        ag.append([safe_cell(row["agency"]), *(row.get(k, 0) for k, _ in AGENCY_HEADERS[1:])])
    if figs["agencies"]:
        chart = BarChart()
        chart.type = "bar"
        chart.grouping = "stacked"
        chart.overlap = 100
        chart.title = "Trả lời của các đơn vị (Điều 10.3)"
        n = len(figs["agencies"]) + 1
        chart.add_data(Reference(ag, min_col=3, max_col=6, min_row=1, max_row=n), titles_from_data=True)
        chart.set_categories(Reference(ag, min_col=1, min_row=2, max_row=n))
        chart.height, chart.width = 10, 22
        ag.add_chart(chart, f"A{n + 3}")
    dom = wb.create_sheet("Theo lĩnh vực")
    _bold_row(dom, ["Lĩnh vực", "Số yêu cầu"])
    for item in figs["by_domain"]:
        dom.append([safe_cell(item["name"]), item["count"]])
    return _save(wb)


def report_pdf(figs: dict[str, Any], start: dt.date, end: dt.date) -> bytes:
    lines: list[str] = [period_title(start, end), ""]
    lines += [f"{name}: {value}" for name, value in summary_lines(figs)]
    lines += ["", "Theo đơn vị (Điều 10.3):"]
    for row in figs["agencies"]:
        parts = ", ".join(f"{h.lower()} {row.get(k, 0)}" for k, h in AGENCY_HEADERS[1:])
        lines.append(f"- {row['agency']}: {parts}")
    lines += ["", "Theo lĩnh vực:"]
    lines += [f"- {d['name']}: {d['count']}" for d in figs["by_domain"]]
    bars = [
        (row["agency"], row.get("answered_in_time", 0), row.get("forwarded", 0)) for row in figs["agencies"]
    ]
    return pdf_document(lines, bars)
