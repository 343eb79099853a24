"""Import of real-looking messy spreadsheets: formats, encodings, header detection, ids."""

from __future__ import annotations

import csv
import io
import unicodedata
from pathlib import Path

import pytest

from faq.importer import ImportRejected, load_entries, parse_file
from faq.model import FaqEntry, stable_id
from faq.validate import ValidationReport
from faq.versions import diff
from tests.faq.spreadsheets import ROWS_A, write_xls, write_xlsx_messy

HEADER = ["Mã câu hỏi", "Câu hỏi", "Trả lời", "Lĩnh vực", "Cơ quan"]
DATA = [
    [
        "Y01",
        "Phụ nữ mang thai có được tiêm vắc xin không?",
        "Được, từ tuần thứ 13 của thai kỳ.",
        "Y tế",
        "Sở Y tế",
    ],
    [
        "Y02",
        "Sau khi tiêm bị sốt thì xử lý thế nào?",
        "Chườm mát, uống nhiều nước, theo dõi 24 giờ.",
        "Y tế",
        "Sở Y tế",
    ],
]


def to_cp1258(text: str) -> bytes:
    """Encode as Windows-1258 does: precomposed where the code page has it, else base + tone mark."""
    out = bytearray()
    for ch in unicodedata.normalize("NFC", text):
        try:
            out += ch.encode("cp1258")
        except UnicodeEncodeError:
            decomposed = unicodedata.normalize("NFD", ch)
            tones = "".join(c for c in decomposed if c in "\u0300\u0301\u0303\u0309\u0323")
            base = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in tones))
            out += (base + tones).encode("cp1258")
    return bytes(out)


def _encode(text: str, encoding: str) -> bytes:
    return to_cp1258(text) if encoding == "cp1258" else text.encode(encoding)


def _csv_text(rows: list[list[str]], title: str | None = "DANH MỤC CÂU HỎI - SỞ Y TẾ") -> str:
    buf = io.StringIO()
    writer = csv.writer(buf)
    if title:
        writer.writerow([title])
        writer.writerow([])
    for row in rows:
        writer.writerow(row)
    return buf.getvalue()


def test_xlsx_title_rows_merged_cells_blank_rows_two_sheets(tmp_path: Path) -> None:
    path = write_xlsx_messy(tmp_path / "faq.xlsx")
    progress: list[tuple[int, int]] = []
    result = parse_file(path, on_progress=lambda done, total: progress.append((done, total)))
    by_q = {e.question: e for e in result.entries}
    assert len(result.entries) == 3
    khai_tu = by_q["Thủ tục đăng ký khai tử cho người thân gồm những gì?"]
    assert khai_tu.domain == "Dịch vụ công"  # filled from the merged cell above
    assert khai_tu.agency == "Văn phòng UBND tỉnh"
    cccd = by_q["Bị mất căn cước công dân thì làm thủ tục cấp lại ở đâu?"]
    assert cccd.alternatives == ("Mất CCCD làm lại ở đâu?", "Làm lại căn cước ở đâu?")
    # STT is a row number: with several sheets it is qualified by the sheet name
    assert cccd.id == "Dịch vụ công-1"
    gt = by_q["Thi sát hạch giấy phép lái xe có bị hoãn do dịch không?"]
    assert (gt.id, gt.domain, gt.agency) == ("GT-01", "Giao thông vận tải", "Sở Giao thông vận tải")
    assert progress and progress[-1][0] == progress[-1][1]


def test_real_xls_with_title_and_merged_column(tmp_path: Path) -> None:
    rows = [list(ROWS_A[0]), list(ROWS_A[1]), list(ROWS_A[3])]
    rows[2][0] = None  # domain given once, merged over both data rows
    path = write_xls(tmp_path / "faq.xls", rows, merge_first_column=(1, 2))
    assert path.read_bytes()[:4] == b"\xd0\xcf\x11\xe0"  # a real BIFF/OLE2 file
    entries = parse_file(path).entries
    assert [e.id for e in entries] == ["1", "2"]
    assert all(e.domain == "Dịch vụ công" for e in entries)
    assert entries[1].agency == "Văn phòng UBND tỉnh"


@pytest.mark.parametrize(
    ("encoding", "bom"),
    [("utf-8", b""), ("utf-8", b"\xef\xbb\xbf"), ("utf-16", b""), ("cp1258", b"")],
)
def test_csv_encodings(tmp_path: Path, encoding: str, bom: bytes) -> None:
    text = _csv_text([HEADER, *DATA])
    path = tmp_path / f"faq-{encoding}.csv"
    path.write_bytes(bom + _encode(text, encoding))
    entries = parse_file(path).entries
    assert [e.id for e in entries] == ["Y01", "Y02"]
    assert entries[0].question == DATA[0][1]
    assert entries[1].answer == DATA[1][2]


def test_windows_1258_decomposed_tones_become_nfc(tmp_path: Path) -> None:
    # cp1258 stores tones as separate combining marks; the import must hand back NFC text
    path = tmp_path / "faq.csv"
    path.write_bytes(to_cp1258(_csv_text([HEADER, *DATA])))
    raw = path.read_bytes().decode("cp1258")
    assert "Phụ nữ" not in raw  # really decomposed on disk
    assert parse_file(path).entries[0].question.startswith("Phụ nữ mang thai")


def test_semicolon_csv_headers_without_diacritics_any_order(tmp_path: Path) -> None:
    path = tmp_path / "faq.csv"
    path.write_text(
        "Tra loi;Cau hoi;Linh vuc\nNộp tại bưu điện.;Có thể nhận kết quả qua bưu điện không?;Dịch vụ công\n",
        encoding="utf-8",
    )
    (entry,) = parse_file(path, default_agency="Văn phòng UBND tỉnh").entries
    assert entry.question == "Có thể nhận kết quả qua bưu điện không?"
    assert entry.agency == "Văn phòng UBND tỉnh"
    assert entry.id == stable_id(entry.question)


def test_stable_ids_ignore_case_diacritics_and_spacing() -> None:
    a = stable_id("Thời gian cách ly được tính từ ngày nào?")
    assert a == stable_id("  thoi gian  cach ly duoc tinh tu ngay nao? ")
    assert a != stable_id("Thời gian cách ly được tính từ hôm nào?")


def test_folder_of_spreadsheets(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text(_csv_text([HEADER, DATA[0]]), encoding="utf-8")
    write_xlsx_messy(tmp_path / "b.xlsx")
    (tmp_path / "notes.txt").write_text("không phải bảng tính", encoding="utf-8")
    entries = load_entries(tmp_path)
    assert len(entries) == 4


def test_folder_rejects_ids_duplicated_across_files(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text(_csv_text([HEADER, DATA[0]]), encoding="utf-8")
    other = [DATA[0][0], "Câu hỏi khác hẳn về giao thông?", "Trả lời.", "Y tế", "Sở Y tế"]
    (tmp_path / "b.csv").write_text(_csv_text([HEADER, other]), encoding="utf-8")
    with pytest.raises(ImportRejected, match="Y01"):
        load_entries(tmp_path)


def test_diff_added_changed_removed() -> None:
    a = FaqEntry("1", "Hỏi một?", "Đáp một.")
    b = FaqEntry("2", "Hỏi hai?", "Đáp hai.")
    b2 = FaqEntry("2", "Hỏi hai?", "Đáp hai, đã sửa.")
    c = FaqEntry("3", "Hỏi ba?", "Đáp ba.")
    d = diff([a, b], [b2, c])
    assert [e.id for e in d.added] == ["3"]
    assert [e.id for e in d.removed] == ["1"]
    assert [(ch.old.id, ch.fields) for ch in d.changed] == [("2", ("answer",))]
    assert not d.empty and "1 câu hỏi mới" in d.summary()
    assert diff([a, b], [a, b]).empty


def test_non_strict_loading_for_evaluation_skips_bad_rows(tmp_path: Path) -> None:
    rows = [
        HEADER,
        DATA[0],
        ["Y03", "Câu hỏi không có trả lời?", "", "Y tế", "Sở Y tế"],
        [DATA[0][0], *DATA[1][1:]],
    ]
    path = tmp_path / "faq.csv"
    path.write_text(_csv_text(rows), encoding="utf-8")
    with pytest.raises(ImportRejected):
        load_entries(path)
    reports: list[ValidationReport] = []
    entries = load_entries(path, strict=False, warn=reports.append)
    assert [e.id for e in entries] == ["Y01"]
    assert {i.code for i in reports[0].issues} == {"missing_answer", "duplicate_id"}
