"""The copy export of a contact as tables a person reads (Vietnamese headers and labels):
:func:`sections` turns :func:`privacy.export.contact_export`'s data into titled tables, which
:func:`export_xlsx` writes one sheet each and the console's PDF prints one after another."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

from handoff.labels import label

Table = tuple[str, list[str], list[list[str]]]  # title, headers, rows
LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
MAX_CELL = 32_000  # a spreadsheet cell holds at most 32 767 characters
DIRECTION = {"in": "công dân gửi", "out": "tổng đài gửi", "internal": "ghi chú nội bộ"}
RECIPIENT = {"pending": "chờ gửi", "sent": "đã gửi", "skipped": "bỏ qua", "failed": "gửi lỗi"}


def when(value: Any) -> str:
    """An ISO time as dd/mm/yyyy HH:MM in Việt Nam's time."""
    if not value:
        return ""
    try:
        at = datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    return at.astimezone(LOCAL).strftime("%d/%m/%Y %H:%M") if at.tzinfo else at.strftime("%d/%m/%Y %H:%M")


def text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "có" if value else "không"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def _profile(data: dict[str, Any]) -> Table:
    heads = [
        "Mã liên hệ",
        "Tên hiển thị",
        "Họ tên",
        "Số điện thoại",
        "E-mail",
        "Địa chỉ",
        "Tổ chức",
        "Gộp vào",
        "Tạo lúc",
    ]
    rows = [
        [
            text(c["id"]),
            *(text(c[k]) for k in ("display_name", "full_name", "phone", "email", "address", "organisation")),
            text(c.get("merged_into_id")),
            when(c["created_at"]),
        ]
        for c in (data["contact"], *data["merged_contacts"])
    ]
    return "Liên hệ", heads, rows


def _identities(data: dict[str, Any]) -> Table:
    heads = [
        "Kênh",
        "Mã trên kênh",
        "Tên trên kênh",
        "Hồ sơ kênh cung cấp",
        "Đang quan tâm (Zalo OA)",
        "Ghi nhận lúc",
    ]
    rows = [
        [
            label("channel", i["channel"]),
            text(i["external_id"]),
            text(i["display_name"]),
            text(i["profile"]),
            text(i["following"]),
            when(i["created_at"]),
        ]
        for i in data["identities"]
    ]
    return "Kênh liên lạc", heads, rows


def _messages(data: dict[str, Any]) -> Table:
    heads = [
        "Hội thoại",
        "Kênh",
        "Thời gian",
        "Chiều",
        "Người gửi",
        "Tiêu đề thư",
        "Nội dung",
        "Tệp đính kèm",
    ]
    rows = [
        [
            text(c["id"]),
            label("channel", m["channel"]),
            when(m["at"]),
            DIRECTION.get(m["direction"], m["direction"]),
            label("sender", m["sender_role"]),
            text(m.get("subject")),
            text(m["text"]),
            ", ".join(text(a) for a in m["attachments"]),
        ]
        for c in data["conversations"]
        for m in c["messages"]
    ]
    return "Tin nhắn", heads, rows


def _attachments(data: dict[str, Any]) -> Table:
    heads = ["Hội thoại", "Kênh", "Thời gian", "Tên tệp", "Loại", "Kích thước (byte)"]
    rows = [
        [
            text(a["conversation_id"]),
            label("channel", a["channel"]),
            when(a["at"]),
            text(a["name"]),
            text(a["mime_type"] or a["kind"]),
            text(a["size"]),
        ]
        for a in data["attachments"]
    ]
    return "Tệp đính kèm", heads, rows


def _tickets(data: dict[str, Any]) -> Table:
    heads = [
        "Mã phiếu",
        "Kênh",
        "Tiếp nhận",
        "Trạng thái",
        "Nội dung",
        "Lĩnh vực",
        "Đơn vị",
        "Hạn",
        "Trả lời",
        "Thông tin khác",
    ]
    rows = []
    for t in data["tickets"]:
        other = {k: v for k, v in t["fields"].items() if k != "answer" and v not in (None, False, "")}
        answer = t["answer"] or t["fields"].get("refusal_reason") or t["fields"].get("call_answer")
        rows.append(
            [
                t["code"],
                label("channel", t["channel"]),
                when(t["created_at"]),
                label("status", t["status"]),
                text(t["content"]),
                text(t["domain"]),
                text(t["agency"]),
                when(t["due_at"]),
                text(answer),
                text(other) if other else "",
            ]
        )
    return "Phiếu", heads, rows


def _events(data: dict[str, Any]) -> Table:
    heads = ["Mã phiếu", "Thời gian", "Việc", "Từ trạng thái", "Sang trạng thái", "Ghi chú"]
    rows = [
        [
            t["code"],
            when(e["at"]),
            label("ticket_event", e["action"]),
            label("status", e["from"]) if e["from"] else "",
            label("status", e["to"]),
            text(e["text"]),
        ]
        for t in data["tickets"]
        for e in t["events"]
    ]
    return "Lịch sử phiếu", heads, rows


def _announcements(data: dict[str, Any]) -> Table:
    ann = data["announcements"]
    channels = {i["id"]: i["channel"] for i in data["identities"]}
    heads = ["Loại", "Kênh", "Thông báo", "Kết quả", "Thời gian"]
    rows = [
        [
            "Thông báo đã gửi",
            label("channel", r["channel"]),
            text(r["title"]),
            RECIPIENT.get(r["status"], r["status"]),
            when(r["sent_at"]),
        ]
        for r in ann["recipients"]
    ]
    rows += [
        ["Từ chối nhận thông báo", label("channel", channels.get(o["identity_id"])), "", "", when(o["at"])]
        for o in ann["opt_outs"]
    ]
    rows += [["Nhãn", "", text(tag), "", ""] for tag in ann["tags"]]
    return "Thông báo", heads, rows


TABLE_NAMES = {"data_requests": "Yêu cầu về dữ liệu", "contact_restrictions": "Hạn chế xử lý"}
REQUEST_SHOWN = (
    "id",
    "table",
    "reference",
    "kind",
    "status",
    "received_at",
    "due_at",
    "answer",
    "refusal_basis",
)


def _requests(data: dict[str, Any]) -> Table:
    heads = ["Loại hồ sơ", "Mã", "Yêu cầu", "Trạng thái", "Tiếp nhận", "Hạn", "Trả lời", "Chi tiết khác"]
    rows = [
        [
            TABLE_NAMES.get(r["table"], r["table"]),
            text(r.get("reference") or r.get("id")),
            text(r.get("kind")),
            text(r.get("status")),
            when(r.get("received_at") or r.get("since")),
            when(r.get("due_at")),
            text(r.get("answer") or r.get("refusal_basis")),
            text({k: v for k, v in r.items() if k not in REQUEST_SHOWN and v is not None}),
        ]
        for r in data["data_requests"]
    ]
    return "Yêu cầu về dữ liệu", heads, rows


def _who(row: dict[str, Any]) -> str:
    """The account, or the application whose API token made the request."""
    token = (row.get("detail") or {}).get("token")
    return text(row["username"]) if row["username"] or not token else f"Ứng dụng: {token}"


def _access(data: dict[str, Any]) -> Table:
    heads = ["Thời gian", "Tài khoản", "Vai trò", "Việc", "Đối tượng", "Mã đối tượng", "Địa chỉ IP"]
    rows = [
        [
            when(a["at"]),
            _who(a),
            label("role", a["role"]) if a["role"] else "",
            label("audit_action", a["action"]),
            label("audit_object", a["object_type"]),
            text(a["object_id"]),
            text(a["ip"]),
        ]
        for a in data["access_log"]
    ]
    return "Nhật ký truy cập", heads, rows


SECTIONS: tuple[Callable[[dict[str, Any]], Table], ...] = (
    _profile,
    _identities,
    _messages,
    _attachments,
    _tickets,
    _events,
    _announcements,
    _requests,
    _access,
)


def sections(data: dict[str, Any]) -> list[Table]:
    """The export as titled tables, in reading order."""
    return [make(data) for make in SECTIONS]


def safe_cell(value: str) -> str:
    """Text a spreadsheet shows as typed: no formula (a leading quote), no control
    characters openpyxl refuses, at most :data:`MAX_CELL` characters."""
    value = ILLEGAL_CHARACTERS_RE.sub("", value)[:MAX_CELL]
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def export_xlsx(data: dict[str, Any]) -> bytes:
    """One sheet per section, a bold header row, text cells."""
    wb = Workbook()
    wb.remove(wb.active)
    for title, heads, rows in sections(data):
        ws = wb.create_sheet(title[:31])
        ws.append(heads)
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in rows:
            ws.append([safe_cell(v) for v in row])
        for i, head in enumerate(heads):
            width = max([len(head), *(min(len(r[i]), 60) for r in rows)]) + 2
            ws.column_dimensions[ws.cell(row=1, column=i + 1).column_letter].width = width
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
