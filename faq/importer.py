"""Read agency FAQ spreadsheets (.xlsx, .xls, .csv) safely and turn them into FaqEntry rows.

Spreadsheets as agencies really make them: title rows above the header, merged cells,
blank rows, several sheets, columns in any order; the header row is found by its names
(Vietnamese or English, with or without diacritics). Safety: size limit, zip-bomb guard,
no XML entity expansion, formulas read as cached values (never executed), macros refused.
All-or-nothing: any validation error raises :class:`ImportRejected` with the full report.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from faq.model import FaqEntry, stable_id
from faq.normalize import clean_spaces, fold, nfc
from faq.validate import Issue, RawRow, ValidationReport, ValidationRules, validate_rows

ProgressCallback = Callable[[int, int], None]

# header field -> accepted names (compared folded, without punctuation)
HEADER_NAMES: dict[str, tuple[str, ...]] = {
    "id": ("mã", "mã câu hỏi", "mã số", "stt", "id", "số thứ tự", "code"),
    "question": ("câu hỏi", "nội dung câu hỏi", "question", "câu hỏi thường gặp"),
    "answer": ("trả lời", "câu trả lời", "nội dung trả lời", "answer", "giải đáp"),
    "domain": ("lĩnh vực", "chủ đề", "domain", "nhóm", "topic", "category"),
    "agency": ("đơn vị", "cơ quan", "đơn vị chủ trì", "agency", "đơn vị trả lời", "cơ quan trả lời"),
    "alternatives": ("câu hỏi tương tự", "cách hỏi khác", "alternatives", "alternative questions"),
    "keywords": ("từ khóa", "từ khoá", "keywords", "keyword"),
}
HEADER_SCAN_ROWS = 30


@dataclass(frozen=True)
class ImportLimits:
    max_file_bytes: int = 20 * 1024 * 1024
    max_zip_entries: int = 500
    max_uncompressed_bytes: int = 200 * 1024 * 1024
    max_compression_ratio: float = 100.0
    max_rows: int = 50_000


class ImportRejected(Exception):
    """The file cannot be imported; ``report`` says why, by sheet/row/column, in Vietnamese."""

    def __init__(self, report: ValidationReport) -> None:
        super().__init__(report.to_text())
        self.report = report


def _reject(message: str, code: str = "unsafe_file") -> ImportRejected:
    report = ValidationReport()
    report.add(Issue("-", 0, "", code, message))
    return ImportRejected(report)


@dataclass(frozen=True)
class Sheet:
    name: str
    rows: list[list[str]]


# ------------------------------------------------------------------ cell text
def cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return nfc(str(value)).strip()


# ------------------------------------------------------------------ CSV
def decode_csv(data: bytes) -> str:
    """UTF-8 (with/without BOM), UTF-16 (BOM) or Windows-1258; returned NFC."""
    if data.startswith(b"\xef\xbb\xbf"):
        return nfc(data[3:].decode("utf-8"))
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return nfc(data.decode("utf-16"))
    if len(data) >= 4 and data[1:4:2] == b"\x00\x00" and data[0:3:2] != b"\x00\x00":
        return nfc(data.decode("utf-16-le"))
    try:
        return nfc(data.decode("utf-8"))
    except UnicodeDecodeError:
        return nfc(data.decode("cp1258"))


def read_csv(data: bytes, name: str = "CSV", limits: ImportLimits | None = None) -> list[Sheet]:
    import csv

    limits = limits or ImportLimits()
    text = decode_csv(data)
    sample = text[:4096]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    rows = [[cell_text(c) for c in row] for row in csv.reader(io.StringIO(text), dialect)]
    if len(rows) > limits.max_rows:
        raise _reject(f"tệp có quá nhiều dòng ({len(rows)}, tối đa {limits.max_rows}).", "too_many_rows")
    return [Sheet(name, rows)]


# ------------------------------------------------------------------ XLSX
def check_zip(data: bytes, limits: ImportLimits) -> None:
    """Zip-bomb, macro and XML-entity guards for an OOXML file (before any XML is parsed)."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as err:
        raise _reject("tệp .xlsx bị hỏng hoặc không phải bảng tính Excel.", "bad_file") from err
    with zf:
        infos = zf.infolist()
        if len(infos) > limits.max_zip_entries:
            raise _reject(f"tệp chứa quá nhiều thành phần ({len(infos)}), có thể là tệp độc hại.")
        total = sum(i.file_size for i in infos)
        packed = sum(i.compress_size for i in infos) or 1
        if total > limits.max_uncompressed_bytes:
            raise _reject("dung lượng sau giải nén quá lớn, có thể là tệp độc hại (zip bomb).")
        if total / packed > limits.max_compression_ratio:
            raise _reject("tỉ lệ nén bất thường, có thể là tệp độc hại (zip bomb).")
        for info in infos:
            lower = info.filename.lower()
            if lower.endswith("vbaproject.bin") or "vbaproject" in lower:
                raise _reject("tệp chứa macro (VBA); hãy lưu lại dưới dạng .xlsx không có macro.", "macro")
            if lower.endswith((".xml", ".rels", ".vml")):
                head = zf.open(info).read(64 * 1024)
                if b"<!DOCTYPE" in head.upper() or b"<!ENTITY" in head.upper():
                    raise _reject("tệp chứa khai báo XML DOCTYPE/ENTITY không được phép.", "xml_entity")
        ctypes = zf.read("[Content_Types].xml") if "[Content_Types].xml" in zf.namelist() else b""
        if b"macroEnabled" in ctypes:
            raise _reject("tệp là bảng tính có macro (.xlsm); hãy lưu lại dưới dạng .xlsx.", "macro")


def read_xlsx(data: bytes, limits: ImportLimits) -> list[Sheet]:
    import openpyxl

    check_zip(data, limits)
    # data_only: formulas come back as the value Excel cached, never evaluated here.
    wb = openpyxl.load_workbook(io.BytesIO(data), data_only=True, read_only=False, keep_vba=False)
    sheets: list[Sheet] = []
    try:
        for ws in wb.worksheets:
            if ws.max_row > limits.max_rows:
                raise _reject(f"trang tính “{ws.title}” có quá nhiều dòng ({ws.max_row}).", "too_many_rows")
            grid = [[cell_text(c) for c in row] for row in ws.iter_rows(values_only=True)]
            for rng in ws.merged_cells.ranges:
                value = cell_text(ws.cell(rng.min_row, rng.min_col).value)
                for r in range(rng.min_row, rng.max_row + 1):
                    for c in range(rng.min_col, rng.max_col + 1):
                        if r - 1 < len(grid) and c - 1 < len(grid[r - 1]):
                            grid[r - 1][c - 1] = value
            sheets.append(Sheet(ws.title, grid))
    finally:
        wb.close()
    return sheets


# ------------------------------------------------------------------ XLS (BIFF)
def read_xls(data: bytes, limits: ImportLimits) -> list[Sheet]:
    import xlrd

    if "_VBA_PROJECT".encode("utf-16-le") in data or b"_VBA_PROJECT" in data:
        raise _reject("tệp chứa macro (VBA); hãy lưu lại không có macro.", "macro")
    try:
        book = xlrd.open_workbook(file_contents=data, formatting_info=True, on_demand=True)
    except xlrd.XLRDError as err:
        raise _reject(f"không đọc được tệp .xls: {err}", "bad_file") from err
    sheets: list[Sheet] = []
    try:
        for idx in range(book.nsheets):
            sh = book.sheet_by_index(idx)
            if sh.nrows > limits.max_rows:
                raise _reject(f"trang tính “{sh.name}” có quá nhiều dòng ({sh.nrows}).", "too_many_rows")
            grid = [[cell_text(sh.cell_value(r, c)) for c in range(sh.ncols)] for r in range(sh.nrows)]
            for rlo, rhi, clo, chi in sh.merged_cells:
                value = grid[rlo][clo]
                for r in range(rlo, rhi):
                    for c in range(clo, chi):
                        grid[r][c] = value
            sheets.append(Sheet(sh.name, grid))
    finally:
        book.release_resources()
    return sheets


# ------------------------------------------------------------------ dispatch
def read_sheets(path: Path, limits: ImportLimits | None = None) -> list[Sheet]:
    """All sheets of a spreadsheet file as text grids (merged cells filled)."""
    limits = limits or ImportLimits()
    size = path.stat().st_size
    if size > limits.max_file_bytes:
        raise _reject(
            f"tệp quá lớn ({size // 1024} KB, tối đa {limits.max_file_bytes // 1024} KB).", "too_large"
        )
    data = path.read_bytes()
    ext = path.suffix.lower()
    if ext in (".xlsm", ".xltm", ".xlsb"):
        raise _reject(
            "bảng tính có macro (.xlsm/.xlsb) không được chấp nhận; hãy lưu dưới dạng .xlsx.", "macro"
        )
    if data.startswith(b"PK"):
        return read_xlsx(data, limits)
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        return read_xls(data, limits)
    if ext in (".xlsx", ".xls"):
        raise _reject("tệp không phải bảng tính Excel hợp lệ.", "bad_file")
    return read_csv(data, path.stem, limits)


# ------------------------------------------------------------------ header
def _header_key(text: str) -> str:
    return clean_spaces(re.sub(r"[^\w ]+", " ", fold(text)))


_HEADER_LOOKUP = {_header_key(n): f for f, names in HEADER_NAMES.items() for n in names}


def find_header(rows: Sequence[Sequence[str]]) -> tuple[int, dict[str, int]] | None:
    """(row index, field -> column) of the first row naming both question and answer."""
    for r, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        cols: dict[str, int] = {}
        for c, cell in enumerate(row):
            fieldname = _HEADER_LOOKUP.get(_header_key(cell))
            if fieldname and fieldname not in cols:
                cols[fieldname] = c
        if "question" in cols and "answer" in cols:
            return r, cols
    return None


def _split_lines(text: str) -> tuple[str, ...]:
    return tuple(clean_spaces(p) for p in re.split(r"[\r\n]+", text) if p.strip())


def _split_keywords(text: str) -> tuple[str, ...]:
    return tuple(clean_spaces(p) for p in re.split(r"[,;\r\n]+", text) if p.strip())


def sheet_rows(sheet: Sheet, several_sheets: bool, report: ValidationReport) -> list[RawRow]:
    found = find_header(sheet.rows)
    if found is None:
        if any(any(c for c in row) for row in sheet.rows):
            report.add(
                Issue(
                    sheet.name,
                    1,
                    "",
                    "no_header",
                    "không tìm thấy dòng tiêu đề có cột “Câu hỏi” và “Trả lời”.",
                )
            )
        return []
    hdr, cols = found
    header_row = sheet.rows[hdr]
    headers = {f: header_row[c] for f, c in cols.items()}
    id_is_serial = "id" in cols and _header_key(header_row[cols["id"]]) in ("stt", "so thu tu")
    out: list[RawRow] = []
    for r in range(hdr + 1, len(sheet.rows)):
        row = sheet.rows[r]

        def get(name: str, row: Sequence[str] = row) -> str:
            c = cols.get(name)
            return row[c] if c is not None and c < len(row) else ""

        if not any(get(f) for f in ("question", "answer")):
            continue  # blank or decoration row
        if _HEADER_LOOKUP.get(_header_key(get("question"))) == "question":
            continue  # header repeated
        raw_id = get("id")
        if raw_id and id_is_serial and several_sheets:
            raw_id = f"{sheet.name}-{raw_id}"
        out.append(
            RawRow(
                sheet=sheet.name,
                row=r + 1,
                id=raw_id or stable_id(get("question")),
                question=clean_spaces(get("question")),
                answer=get("answer").strip(),
                domain=clean_spaces(get("domain")),
                agency=clean_spaces(get("agency")),
                alternatives=_split_lines(get("alternatives")),
                keywords=_split_keywords(get("keywords")),
                headers=headers,
            )
        )
    return out


def to_entries(rows: Iterable[RawRow], default_agency: str = "") -> list[FaqEntry]:
    return [
        FaqEntry(
            id=r.id,
            question=r.question,
            answer=r.answer,
            domain=r.domain,
            agency=r.agency or default_agency,
            alternatives=r.alternatives,
            keywords=r.keywords,
        )
        for r in rows
    ]


@dataclass(frozen=True)
class ImportResult:
    entries: list[FaqEntry]
    report: ValidationReport


def parse_file(
    path: Path,
    rules: ValidationRules | None = None,
    limits: ImportLimits | None = None,
    on_progress: ProgressCallback | None = None,
    default_agency: str = "",
    strict: bool = True,
) -> ImportResult:
    """Read, validate and convert one file. Raises ImportRejected on any problem (nothing half-done).

    ``strict=False`` (evaluation only, never for imports into the hub) keeps going past row
    problems: rows without question/answer and repeated ids are left out, the rest is used,
    and the report lists everything.
    """
    sheets = read_sheets(path, limits)
    report = ValidationReport()
    several = len([s for s in sheets if find_header(s.rows)]) > 1
    raw: list[RawRow] = []
    total = sum(len(s.rows) for s in sheets)
    done = 0
    for sheet in sheets:
        raw.extend(sheet_rows(sheet, several, report))
        done += len(sheet.rows)
        if on_progress is not None:
            on_progress(done, total)
    checked = validate_rows(raw, rules)
    report.issues.extend(checked.issues)
    report.rows_read = len(raw)
    if not raw and report.ok:
        report.add(Issue(path.name, 0, "", "empty", "tệp không có câu hỏi nào."))
    if not report.ok and (strict or not raw):
        raise ImportRejected(report)
    if not strict:
        raw = _usable_rows(raw)
    return ImportResult(to_entries(raw, default_agency), report)


def _usable_rows(rows: Sequence[RawRow]) -> list[RawRow]:
    seen: set[str] = set()
    out = []
    for r in rows:
        if r.question.strip() and r.answer.strip() and r.id not in seen:
            seen.add(r.id)
            out.append(r)
    return out


def load_entries(
    source: Path,
    rules: ValidationRules | None = None,
    limits: ImportLimits | None = None,
    on_progress: ProgressCallback | None = None,
    strict: bool = True,
    warn: Callable[[ValidationReport], None] | None = None,
) -> list[FaqEntry]:
    """Entries from one file or every spreadsheet in a folder (validated together)."""

    def one(path: Path) -> list[FaqEntry]:
        result = parse_file(path, rules, limits, on_progress, strict=strict)
        if warn is not None and not result.report.ok:
            warn(result.report)
        return result.entries

    if not source.is_dir():
        return one(source)
    files = sorted(p for p in source.iterdir() if p.suffix.lower() in (".xlsx", ".xls", ".csv"))
    entries: list[FaqEntry] = []
    for f in files:
        entries.extend(one(f))
    ids = [e.id for e in entries]
    if not strict:
        unique = {e.id: e for e in reversed(entries)}
        entries = [e for e in entries if unique.get(e.id) is e]
    elif len(set(ids)) != len(ids):
        dup = sorted({i for i in ids if ids.count(i) > 1})
        raise _reject(f"mã câu hỏi trùng giữa các tệp: {', '.join(dup[:10])}.", "duplicate_id")
    return entries
