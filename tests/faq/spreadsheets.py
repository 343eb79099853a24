"""Builders of messy, real-looking agency spreadsheets (written to disk as real files)."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from pathlib import Path

import openpyxl
import xlwt

Row = Sequence[object]

ROWS_A: list[Row] = [
    ("Lĩnh vực", "STT", "Nội dung câu hỏi", "Câu trả lời", "Đơn vị chủ trì", "Câu hỏi tương tự"),
    (
        "Dịch vụ công",
        1,
        "Bị mất căn cước công dân thì làm thủ tục cấp lại ở đâu?",
        "Nộp hồ sơ tại Công an cấp huyện hoặc trên Cổng dịch vụ công.",
        "Công an tỉnh",
        "Mất CCCD làm lại ở đâu?\nLàm lại căn cước ở đâu?",
    ),
    (None, None, None, None, None, None),  # blank row in the middle
    (
        "Dịch vụ công",
        2,
        "Thủ tục đăng ký khai tử cho người thân gồm những gì?",
        "Tờ khai, giấy báo tử và giấy tờ tùy thân của người đi khai.",
        "Văn phòng UBND tỉnh",
        None,
    ),
]


def write_xlsx_messy(path: Path) -> Path:
    """Two title rows, merged title and merged domain cells, a blank row, two sheets."""
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Dịch vụ công"
    ws.append(["ỦY BAN NHÂN DÂN TỈNH THANH HÓA"])
    ws.merge_cells("A1:F1")
    ws.append(["DANH SÁCH CÂU HỎI THƯỜNG GẶP (cập nhật tháng 11)"])
    ws.merge_cells("A2:F2")
    ws.append([])
    for row in ROWS_A:
        ws.append(list(row))
    # domain written once and merged down over the two data rows (rows 5..7)
    ws["A7"] = None
    ws.merge_cells("A5:A7")
    ws2 = wb.create_sheet("Giao thong")
    ws2.append(["Bảng 2 - Giao thông"])
    # English/accentless headers, columns in another order
    ws2.append(["Answer", "Question", "Agency", "Chu de", "Ma cau hoi"])
    ws2.append(
        [
            "Vẫn tổ chức sát hạch theo lịch, thí sinh phải khai báo y tế.",
            "Thi sát hạch giấy phép lái xe có bị hoãn do dịch không?",
            "Sở Giao thông vận tải",
            "Giao thông vận tải",
            "GT-01",
        ]
    )
    wb.save(path)
    return path


def write_xlsx(path: Path, rows: Sequence[Row], title: str = "Sheet1") -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = title
    for row in rows:
        ws.append(list(row))
    wb.save(path)
    return path


def write_xls(path: Path, rows: Sequence[Row], merge_first_column: tuple[int, int] | None = None) -> Path:
    """A real BIFF8 .xls (xlwt), optionally with a vertically merged first column."""
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("Câu hỏi")
    sheet.write_merge(0, 0, 0, 4, "SỞ Y TẾ - CÂU HỎI THƯỜNG GẶP")
    merged_rows = set()
    if merge_first_column is not None:
        lo, hi = merge_first_column
        sheet.write_merge(lo + 2, hi + 2, 0, 0, rows[lo][0])
        merged_rows = set(range(lo, hi + 1))
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if c == 0 and r in merged_rows:
                continue
            if value is not None:
                sheet.write(r + 2, c, value)
    book.save(str(path))
    return path


def rewrite_zip(
    src: Path, dst: Path, edit: dict[str, bytes | None], extra: dict[str, bytes] | None = None
) -> Path:
    """Copy an OOXML zip, replacing (or dropping, with None) members and adding extra ones."""
    buf = io.BytesIO()
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            if info.filename in edit:
                data = edit[info.filename]
                if data is not None:
                    zout.writestr(info.filename, data)
            else:
                zout.writestr(info, zin.read(info.filename))
        for name, data in (extra or {}).items():
            zout.writestr(name, data)
    dst.write_bytes(buf.getvalue())
    return dst
