"""Validation of imported FAQ rows, with a report an agency clerk can act on (Vietnamese)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

from faq.normalize import clean_spaces, fold, normalize

MAX_QUESTION_CHARS = 500
MAX_ANSWER_CHARS = 5000
MAX_OTHER_CHARS = 500
NEAR_DUPLICATE_SCORE = 92.0


@dataclass(frozen=True)
class Issue:
    sheet: str
    row: int  # 1-based row number as the clerk sees it in the spreadsheet
    column: str  # column header as written in the file ("" when not tied to a column)
    code: str
    message: str

    def to_text(self) -> str:
        where = f"Trang tính “{self.sheet}”, dòng {self.row}"
        if self.column:
            where += f", cột “{self.column}”"
        return f"{where}: {self.message}"


@dataclass
class ValidationReport:
    issues: list[Issue] = field(default_factory=list)
    rows_read: int = 0

    @property
    def ok(self) -> bool:
        return not self.issues

    def add(self, issue: Issue) -> None:
        self.issues.append(issue)

    def to_text(self) -> str:
        if self.ok:
            return f"Tệp hợp lệ: {self.rows_read} câu hỏi."
        lines = [f"Tệp có {len(self.issues)} lỗi, chưa nhập câu hỏi nào. Vui lòng sửa rồi tải lên lại:"]
        lines.extend(f"- {i.to_text()}" for i in self.issues)
        return "\n".join(lines)


@dataclass(frozen=True)
class RawRow:
    """One data row as read, before it becomes a FaqEntry."""

    sheet: str
    row: int
    id: str
    question: str
    answer: str
    domain: str
    agency: str
    alternatives: tuple[str, ...]
    keywords: tuple[str, ...]
    headers: dict[str, str]  # field -> header text as written (for the report)


@dataclass(frozen=True)
class ValidationRules:
    known_domains: frozenset[str] | None = None
    known_agencies: frozenset[str] | None = None
    max_question_chars: int = MAX_QUESTION_CHARS
    max_answer_chars: int = MAX_ANSWER_CHARS
    max_other_chars: int = MAX_OTHER_CHARS
    near_duplicate_score: float = NEAR_DUPLICATE_SCORE


def _key(text: str) -> str:
    return clean_spaces(fold(normalize(text)))


def _col(r: RawRow, name: str) -> str:
    return r.headers.get(name, "")


def _check_required(r: RawRow, report: ValidationReport) -> None:
    if not r.question.strip():
        report.add(Issue(r.sheet, r.row, _col(r, "question"), "missing_question", "thiếu nội dung câu hỏi."))
    if not r.answer.strip():
        report.add(Issue(r.sheet, r.row, _col(r, "answer"), "missing_answer", "thiếu nội dung trả lời."))


def _check_lengths(r: RawRow, rules: ValidationRules, report: ValidationReport) -> None:
    limits = (
        ("question", r.question, rules.max_question_chars),
        ("answer", r.answer, rules.max_answer_chars),
        ("domain", r.domain, rules.max_other_chars),
        ("agency", r.agency, rules.max_other_chars),
    )
    for name, value, limit in limits:
        if len(value) > limit:
            report.add(
                Issue(
                    r.sheet,
                    r.row,
                    _col(r, name),
                    "too_long",
                    f"ô quá dài ({len(value)} ký tự, tối đa {limit}).",
                )
            )


def _check_known(r: RawRow, rules: ValidationRules, report: ValidationReport) -> None:
    checks = (
        ("domain", r.domain, rules.known_domains, "unknown_domain", "lĩnh vực"),
        ("agency", r.agency, rules.known_agencies, "unknown_agency", "đơn vị"),
    )
    for name, value, known, code, label in checks:
        if known is None or not value:
            continue
        if _key(value) not in {_key(k) for k in known}:
            report.add(
                Issue(r.sheet, r.row, _col(r, name), code, f"{label} “{value}” không có trong danh mục.")
            )


def _check_duplicates(rows: Sequence[RawRow], rules: ValidationRules, report: ValidationReport) -> None:
    seen_ids: dict[str, RawRow] = {}
    seen_q: dict[str, RawRow] = {}
    for r in rows:
        if r.id and r.id in seen_ids:
            first = seen_ids[r.id]
            report.add(
                Issue(
                    r.sheet,
                    r.row,
                    _col(r, "id"),
                    "duplicate_id",
                    f"mã “{r.id}” trùng với dòng {first.row} (trang tính “{first.sheet}”).",
                )
            )
        seen_ids.setdefault(r.id, r)
        key = _key(r.question)
        if key and key in seen_q:
            first = seen_q[key]
            report.add(
                Issue(
                    r.sheet,
                    r.row,
                    _col(r, "question"),
                    "duplicate_question",
                    f"câu hỏi trùng với dòng {first.row} (trang tính “{first.sheet}”).",
                )
            )
        elif key:
            seen_q[key] = r
    _check_near_duplicates(list(seen_q.values()), rules, report)


def _check_near_duplicates(rows: Sequence[RawRow], rules: ValidationRules, report: ValidationReport) -> None:
    if len(rows) < 2:
        return
    keys = [_key(r.question) for r in rows]
    matrix = process.cdist(
        keys, keys, scorer=fuzz.ratio, score_cutoff=rules.near_duplicate_score, workers=-1, dtype="uint8"
    )
    for i, j in zip(*matrix.nonzero(), strict=True):
        if j >= i:
            continue
        a, b = rows[j], rows[i]
        report.add(
            Issue(
                b.sheet,
                b.row,
                _col(b, "question"),
                "near_duplicate_question",
                f"câu hỏi gần trùng với dòng {a.row} (trang tính “{a.sheet}”, giống {int(matrix[i, j])}%).",
            )
        )


def validate_rows(rows: Iterable[RawRow], rules: ValidationRules | None = None) -> ValidationReport:
    """Every problem in the rows; an empty report means the import may proceed."""
    rules = rules or ValidationRules()
    rows = list(rows)
    report = ValidationReport(rows_read=len(rows))
    for r in rows:
        _check_required(r, report)
        _check_lengths(r, rules, report)
        _check_known(r, rules, report)
    _check_duplicates(rows, rules, report)
    return report
