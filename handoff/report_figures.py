"""The report's figures (Điều 11.2, 13.3, 15.5): pure functions over the records of a period
(:mod:`handoff.records`), the working calendar and the clock's time.

- :func:`period` turns a preset (month, quarter, year, custom) into a range of days;
- :func:`figures` counts: volume by channel, domain and agency; how requests were handled;
  the median time to the first human reply; per agency, answers within 8 working hours of
  the forward (Điều 10.3), late with a progress update and new appointment, late without
  one, still open and overdue; phone answers written up within 4 working hours; urgent.

"On time" is judged against the 8 working hours from the forward (``answer_due_at``), never
against the officer's own new appointment: an appointment makes a late answer "late with
progress", not an on-time one.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from statistics import median
from typing import Any

from handoff.calendar import WorkingCalendar
from handoff.collation import vi_key
from handoff.deadlines import phone_writeup_due
from handoff.records import RequestRecord
from storage.models_console import FINAL_STATUSES

HANDLED = ("bot_direct", "bot_suggestion", "operator", "forwarded", "refused", "open")
PRESETS = ("month", "quarter", "year", "custom")
NO_AGENCY = "(chưa có đơn vị)"
AGENCY_KEYS = (
    "forwarded",
    "answered_in_time",
    "late_with_progress",
    "late_without_progress",
    "open_overdue",
    "open_in_time",
    "urgent",
)


class PeriodError(ValueError):
    """A preset or a day that makes no period (the message is Vietnamese)."""


def period(
    preset: str, today: dt.date, start: dt.date | None = None, end: dt.date | None = None
) -> tuple[dt.date, dt.date]:
    """The first and last day of the period: the month, quarter or year that holds ``start``
    (default: ``today``), or [start, end] for ``custom``."""
    day = start or today
    if preset == "month":
        first = day.replace(day=1)
        nxt = (first + dt.timedelta(days=32)).replace(day=1)
        return first, nxt - dt.timedelta(days=1)
    if preset == "quarter":
        q0 = 3 * ((day.month - 1) // 3) + 1
        first = dt.date(day.year, q0, 1)
        nxt = dt.date(day.year + (q0 == 10), 1 if q0 == 10 else q0 + 3, 1)
        return first, nxt - dt.timedelta(days=1)
    if preset == "year":
        return dt.date(day.year, 1, 1), dt.date(day.year, 12, 31)
    if preset == "custom":
        if start is None or end is None:
            raise PeriodError("Khoảng tùy chọn cần cả ngày bắt đầu và ngày kết thúc")
        if end < start:
            raise PeriodError("Ngày kết thúc phải không trước ngày bắt đầu")
        return start, end
    raise PeriodError("Kỳ báo cáo phải là tháng, quý, năm hoặc tùy chọn")


def previous_month(today: dt.date) -> tuple[dt.date, dt.date]:
    last = today.replace(day=1) - dt.timedelta(days=1)
    return last.replace(day=1), last


def agency_outcome(r: RequestRecord, now: dt.datetime) -> str | None:
    """A forwarded request's standing against Điều 10.3 (None: never forwarded)."""
    if r.forwarded_at is None:
        return None
    due8 = r.answer_due_at
    if r.answered_at is not None and r.status in ("answered", "closed") and r.answer:
        if due8 is None or r.answered_at <= due8:
            return "answered_in_time"
        return "late_with_progress" if r.progress_count and r.appointment_at else "late_without_progress"
    if r.status in {s.value for s in FINAL_STATUSES}:
        return None  # closed or refused without an answer: not counted either way
    current = r.due_at or due8
    return "open_overdue" if current is not None and now > current else "open_in_time"


def writeup_outcome(r: RequestRecord, now: dt.datetime, calendar: WorkingCalendar) -> str | None:
    """A phone answer's write-up (Điều 10.3: within 4 working hours): ``in_time``, ``late``
    (written late, or still not written when the 4 hours are over) or ``pending``."""
    if r.phone_answered_at is None:
        return None
    due = phone_writeup_due(r.phone_answered_at, calendar)
    if r.answered_at is not None:
        return "in_time" if r.answered_at <= due else "late"
    return "late" if now > due else "pending"


def handled_as(r: RequestRecord) -> str:
    """One of: bot_direct, bot_suggestion, operator, forwarded, refused, open."""
    if r.result == "bot_answer":
        return "bot_direct"
    if r.result == "bot_suggestion":
        return "bot_suggestion"
    if r.result in ("bot_refused", "refused"):
        return "refused"
    if r.forwarded_at is not None:
        return "forwarded"
    if r.result == "operator_answered":
        return "operator"
    return "open"


def _sorted(c: Counter[str]) -> list[dict[str, Any]]:
    return [{"name": k, "count": v} for k, v in sorted(c.items(), key=lambda kv: vi_key(kv[0]))]


def figures(records: Iterable[RequestRecord], calendar: WorkingCalendar, now: dt.datetime) -> dict[str, Any]:
    """The report's figures over ``records`` (see the module's text). JSON-ready."""
    rows = list(records)
    by_channel: Counter[str] = Counter()
    by_domain: Counter[str] = Counter()
    by_agency: Counter[str] = Counter()
    handled: Counter[str] = Counter({k: 0 for k in HANDLED})
    agencies: dict[str, Counter[str]] = {}
    writeup: Counter[str] = Counter({"in_time": 0, "late": 0, "pending": 0})
    urgent: Counter[str] = Counter({"total": 0, "answered_in_time": 0, "late": 0, "open_overdue": 0})
    waits: list[float] = []
    for r in rows:
        by_channel[r.channel.split(":", 1)[0]] += 1
        by_domain[r.domain or "(chưa phân lĩnh vực)"] += 1
        if r.agency:
            by_agency[r.agency] += 1
        handled[handled_as(r)] += 1
        if r.first_human_reply_at is not None:
            waits.append((r.first_human_reply_at - (r.first_asked_at or r.received_at)).total_seconds())
        outcome = agency_outcome(r, now)
        if outcome is not None:
            row = agencies.setdefault(r.agency or NO_AGENCY, Counter({k: 0 for k in AGENCY_KEYS}))
            row["forwarded"] += 1
            row[outcome] += 1
            row["urgent"] += int(r.urgent)
        if (w := writeup_outcome(r, now, calendar)) is not None:
            writeup[w] += 1
        if r.urgent:
            urgent["total"] += 1
            if outcome == "answered_in_time":
                urgent["answered_in_time"] += 1
            elif outcome in ("late_with_progress", "late_without_progress"):
                urgent["late"] += 1
            elif outcome == "open_overdue":
                urgent["open_overdue"] += 1
    return {
        "total": len(rows),
        "by_channel": dict(by_channel),
        "by_domain": _sorted(by_domain),
        "by_agency": _sorted(by_agency),
        "handled": dict(handled),
        "first_reply_median_minutes": round(median(waits) / 60, 1) if waits else None,
        "first_reply_count": len(waits),
        "agencies": [
            {"agency": name, **dict(c)} for name, c in sorted(agencies.items(), key=lambda kv: vi_key(kv[0]))
        ],
        "phone_writeup": dict(writeup),
        "urgent": dict(urgent),
    }
