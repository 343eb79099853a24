"""Every validation error (reported by sheet/row/column, nothing half-imported) and every safety limit."""

from __future__ import annotations

import zipfile
from pathlib import Path

import openpyxl
import pytest

from faq.importer import ImportLimits, ImportRejected, parse_file
from faq.validate import ValidationRules
from tests.faq.spreadsheets import rewrite_zip, write_xlsx

HEADER = ("Mã", "Câu hỏi", "Trả lời", "Lĩnh vực", "Đơn vị")
GOOD = [
    ("A1", "Thời gian cách ly được tính từ ngày nào?", "Từ ngày tiếp xúc cuối cùng.", "Y tế", "Sở Y tế"),
    (
        "A2",
        "Xin giấy xác nhận tình trạng hôn nhân ở đâu?",
        "Tại UBND cấp xã nơi cư trú.",
        "Tư pháp",
        "UBND xã",
    ),
]


def _reject(path: Path, **kwargs: object) -> ImportRejected:
    with pytest.raises(ImportRejected) as info:
        parse_file(path, **kwargs)  # type: ignore[arg-type]
    return info.value


def _codes(err: ImportRejected) -> list[str]:
    return [i.code for i in err.report.issues]


def test_valid_file_passes(tmp_path: Path) -> None:
    result = parse_file(write_xlsx(tmp_path / "ok.xlsx", [HEADER, *GOOD]))
    assert result.report.ok and len(result.entries) == 2
    assert "hợp lệ" in result.report.to_text()


def test_missing_question_and_answer_reported_by_sheet_row_column(tmp_path: Path) -> None:
    rows = [
        ("BẢNG CÂU HỎI",),
        HEADER,
        GOOD[0],
        ("A3", "", "Có trả lời nhưng thiếu câu hỏi.", "Y tế", "Sở Y tế"),
        ("A4", "Câu hỏi không có trả lời?", None, "Y tế", "Sở Y tế"),
    ]
    err = _reject(write_xlsx(tmp_path / "f.xlsx", rows, title="Y tế"))
    issues = {i.code: i for i in err.report.issues}
    q, a = issues["missing_question"], issues["missing_answer"]
    assert (q.sheet, q.row, q.column) == ("Y tế", 4, "Câu hỏi")
    assert (a.sheet, a.row, a.column) == ("Y tế", 5, "Trả lời")
    text = err.report.to_text()
    assert "Trang tính “Y tế”, dòng 4, cột “Câu hỏi”: thiếu nội dung câu hỏi." in text
    assert "chưa nhập câu hỏi nào" in text


def test_duplicate_and_near_duplicate_questions_and_ids(tmp_path: Path) -> None:
    rows = [
        HEADER,
        *GOOD,
        ("A3", "thoi gian cach ly duoc tinh tu ngay nao?", "Trùng (không dấu).", "Y tế", "Sở Y tế"),
        ("A4", "Xin giấy xác nhận tình trạng hôn nhân ở đâu ạ?", "Gần trùng.", "Tư pháp", "UBND xã"),
        ("A1", "Một câu hỏi hoàn toàn khác về giao thông?", "Trùng mã.", "Y tế", "Sở Y tế"),
    ]
    err = _reject(write_xlsx(tmp_path / "f.xlsx", rows))
    codes = _codes(err)
    assert codes.count("duplicate_question") == 1
    assert codes.count("near_duplicate_question") == 1
    assert codes.count("duplicate_id") == 1
    near = next(i for i in err.report.issues if i.code == "near_duplicate_question")
    assert near.row == 5 and "dòng 3" in near.message


def test_overlong_cells(tmp_path: Path) -> None:
    rows = [HEADER, ("A1", "Hỏi " + "rất dài " * 100 + "?", "Đáp.", "Y tế", "Sở Y tế")]
    err = _reject(write_xlsx(tmp_path / "f.xlsx", rows))
    assert _codes(err) == ["too_long"]
    assert err.report.issues[0].column == "Câu hỏi"
    rows = [HEADER, ("A1", "Hỏi?", "x" * 60, "Y tế", "Sở Y tế")]
    err = _reject(write_xlsx(tmp_path / "g.xlsx", rows), rules=ValidationRules(max_answer_chars=50))
    assert _codes(err) == ["too_long"] and err.report.issues[0].column == "Trả lời"


def test_unknown_domain_and_agency_against_known_lists(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "f.xlsx", [HEADER, *GOOD])
    rules = ValidationRules(known_domains=frozenset({"Y tế"}), known_agencies=frozenset({"so y te"}))
    err = _reject(path, rules=rules)
    assert sorted(_codes(err)) == ["unknown_agency", "unknown_domain"]
    assert all(i.row == 3 for i in err.report.issues)
    # matching ignores case and diacritics ("so y te" == "Sở Y tế")
    ok = ValidationRules(
        known_domains=frozenset({"Y TẾ", "Tư pháp"}), known_agencies=frozenset({"Sở Y tế", "UBND xã"})
    )
    assert len(parse_file(path, rules=ok).entries) == 2


def test_sheet_without_header_and_empty_file(tmp_path: Path) -> None:
    err = _reject(write_xlsx(tmp_path / "f.xlsx", [("Tên", "Nội dung"), ("a", "b")]))
    assert _codes(err) == ["no_header"]
    empty = tmp_path / "e.csv"
    empty.write_text("Câu hỏi,Trả lời\n", encoding="utf-8")
    assert _codes(_reject(empty)) == ["empty"]


# ------------------------------------------------------------------ safety limits
def test_oversize_file_refused_before_parsing(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "f.xlsx", [HEADER, *GOOD])
    err = _reject(path, limits=ImportLimits(max_file_bytes=1024))
    assert _codes(err) == ["too_large"] and "quá lớn" in err.report.to_text()


def test_zip_bomb_ratio_and_uncompressed_size(tmp_path: Path) -> None:
    src = write_xlsx(tmp_path / "f.xlsx", [HEADER, *GOOD])
    bomb = rewrite_zip(src, tmp_path / "bomb.xlsx", {}, extra={"xl/media/padding.bin": b"\0" * 30_000_000})
    assert bomb.stat().st_size < 200_000
    err = _reject(bomb)
    assert "zip bomb" in err.report.to_text()
    err = _reject(src, limits=ImportLimits(max_uncompressed_bytes=1000))
    assert "giải nén" in err.report.to_text()


def test_zip_entry_count_limit(tmp_path: Path) -> None:
    src = write_xlsx(tmp_path / "f.xlsx", [HEADER, *GOOD])
    many = rewrite_zip(src, tmp_path / "many.xlsx", {}, extra={f"xl/x/{i}.txt": b"x" for i in range(600)})
    assert "quá nhiều thành phần" in _reject(many).report.to_text()


def test_xml_entity_expansion_refused(tmp_path: Path) -> None:
    src = write_xlsx(tmp_path / "f.xlsx", [HEADER, *GOOD])
    with zipfile.ZipFile(src) as z:
        sheet = z.read("xl/worksheets/sheet1.xml")
    lol = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
    )
    body = sheet.split(b"?>", 1)[1] if sheet.startswith(b"<?xml") else sheet
    evil = lol + body
    path = rewrite_zip(src, tmp_path / "evil.xlsx", {"xl/worksheets/sheet1.xml": evil})
    assert _codes(_reject(path)) == ["xml_entity"]


def test_macros_refused(tmp_path: Path) -> None:
    src = write_xlsx(tmp_path / "f.xlsx", [HEADER, *GOOD])
    with_vba = rewrite_zip(
        src, tmp_path / "vba.xlsx", {}, extra={"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0macro"}
    )
    assert _codes(_reject(with_vba)) == ["macro"]
    xlsm = tmp_path / "f.xlsm"
    xlsm.write_bytes(src.read_bytes())
    assert _codes(_reject(xlsm)) == ["macro"]
    xls = tmp_path / "f.xls"
    xls.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 64 + "_VBA_PROJECT".encode("utf-16-le"))
    assert _codes(_reject(xls)) == ["macro"]


def test_formulas_read_as_cached_values_never_executed(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(list(HEADER))
    ws.append(["F1", "Tổng đài có số nào?", '=WEBSERVICE("http://127.0.0.1:9/x")', "Y tế", "Sở Y tế"])
    wb.save(tmp_path / "f.xlsx")
    with zipfile.ZipFile(tmp_path / "f.xlsx") as z:
        sheet = z.read("xl/worksheets/sheet1.xml")
    assert b"<f>" in sheet
    # give the formula cell the value Excel would have cached
    cached = sheet.replace(b"<v></v>", b"").replace(b"</f>", "</f><v>Gọi 1022</v>".encode(), 1)
    cached = cached.replace(b'<c r="C2"', b'<c r="C2" t="str"', 1)
    path = rewrite_zip(tmp_path / "f.xlsx", tmp_path / "g.xlsx", {"xl/worksheets/sheet1.xml": cached})
    (entry,) = parse_file(path).entries
    assert entry.answer == "Gọi 1022"
    # without a cached value the cell is empty (the formula is not evaluated): reported, not imported
    err = _reject(tmp_path / "f.xlsx")
    assert _codes(err) == ["missing_answer"]


def test_bad_xlsx_bytes(tmp_path: Path) -> None:
    path = tmp_path / "f.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a zip")
    assert _codes(_reject(path)) == ["bad_file"]


def test_row_count_limit_xlsx_and_csv(tmp_path: Path) -> None:
    rows = [HEADER, *[(f"R{i}", f"Câu hỏi số {i} về thủ tục?", "Đáp.", "Y tế", "Sở Y tế") for i in range(10)]]
    limits = ImportLimits(max_rows=5)
    assert _codes(_reject(write_xlsx(tmp_path / "f.xlsx", rows), limits=limits)) == ["too_many_rows"]
    csv_path = tmp_path / "f.csv"
    csv_path.write_text("\n".join(",".join(r) for r in rows), encoding="utf-8")
    assert _codes(_reject(csv_path, limits=limits)) == ["too_many_rows"]
