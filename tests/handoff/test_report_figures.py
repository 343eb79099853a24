"""The report's figures over records with known times (handoff.report_figures), on the packaged
working calendar (07:30–11:30, 13:00–17:00, Monday to Friday): answered within the 8 working
hours of the forward, late with a progress update and new appointment, late without one, still
open and overdue; a phone answer written up within 4 working hours and one written late;
urgent requests; how requests were handled; the median time to a person's first reply; and
the period presets."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from handoff.calendar import default_calendar
from handoff.deadlines import answer_due, phone_writeup_due
from handoff.records import RequestRecord
from handoff.report_figures import PeriodError, figures, period, previous_month

VN = ZoneInfo("Asia/Ho_Chi_Minh")
CAL = default_calendar()


def vn(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2027, 3, day, hour, minute, tzinfo=VN).astimezone(dt.UTC)


FWD = vn(2, 9)  # Tuesday 09:00: due Wednesday 09:00
DUE = vn(3, 9)
NOW = vn(5, 9)  # Friday


def forwarded(agency: str = "Sở Y tế", **kw: Any) -> RequestRecord:
    base: dict[str, Any] = {
        "source": "ticket",
        "received_at": vn(2, 8, 50),
        "channel": "webchat",
        "content": "…",
        "result": "at_agency",
        "agency": agency,
        "domain": "Y tế",
        "forwarded_at": FWD,
        "answer_due_at": DUE,
        "due_at": DUE,
        "status": "forwarded",
    }
    base.update(kw)
    return RequestRecord(**base)


def answered(at: dt.datetime, **kw: Any) -> RequestRecord:
    return forwarded(answered_at=at, answer="Trả lời", status="answered", result="forwarded_answered", **kw)


RECORDS = [
    # Sở Y tế
    answered(vn(2, 15), first_human_reply_at=vn(2, 8, 52)),  # in time; first reply after 2 min
    answered(DUE, urgent=True),  # at the due minute: in time; urgent
    # late although before the officer's own new appointment: late WITH progress, never on time
    answered(vn(3, 15), progress_count=1, appointment_at=vn(4, 9), first_human_reply_at=vn(2, 8, 54)),
    answered(vn(3, 9, 1), urgent=True, first_human_reply_at=vn(2, 9)),  # late, no progress update
    forwarded(status="in_progress", progress_count=1, appointment_at=vn(4, 9), due_at=vn(4, 9)),  # overdue
    # Sở Giao thông vận tải
    forwarded("Sở Giao thông vận tải", urgent=True),  # open, overdue, urgent
    forwarded("Sở Giao thông vận tải", forwarded_at=vn(5, 8), answer_due_at=vn(8, 8), due_at=vn(8, 8)),
    # phone answers (Tuesday 14:00, write-up due Wednesday 08:30)
    answered(vn(3, 8, 30), phone_answered_at=vn(2, 14), channel="phone:1022", agency="Công an tỉnh"),
    answered(vn(3, 9, 30), phone_answered_at=vn(2, 14), channel="phone:1022", agency="Công an tỉnh"),
    # handled without an agency
    RequestRecord("bot", vn(2, 10), "zalo", "…", "bot_answer", domain="Giao thông"),
    RequestRecord("bot", vn(2, 10), "zalo", "…", "bot_suggestion", domain="Giao thông"),
    RequestRecord("bot", vn(2, 11), "facebook", "…", "bot_refused"),
    RequestRecord("ticket", vn(2, 11), "phone:1022", "…", "operator_answered", status="answered"),
    RequestRecord(
        "ticket", vn(2, 12), "webchat", "…", "refused", status="refused", first_human_reply_at=vn(2, 12, 30)
    ),
    RequestRecord("ticket", vn(2, 12), "email", "…", "pending", status="new"),
]


def test_the_fixture_times_are_what_the_calendar_says() -> None:
    assert answer_due(FWD, CAL) == DUE
    assert phone_writeup_due(vn(2, 14), CAL) == vn(3, 8, 30)


def test_report_figures_against_known_times() -> None:
    f = figures(RECORDS, CAL, NOW)
    assert f["total"] == 15
    assert f["by_channel"] == {"webchat": 8, "phone": 3, "zalo": 2, "facebook": 1, "email": 1}
    yte, gtvt = (
        next(a for a in f["agencies"] if a["agency"] == name) for name in ("Sở Y tế", "Sở Giao thông vận tải")
    )
    assert yte == {
        "agency": "Sở Y tế",
        "forwarded": 5,
        "answered_in_time": 2,
        "late_with_progress": 1,
        "late_without_progress": 1,
        "open_overdue": 1,
        "open_in_time": 0,
        "urgent": 2,
    }
    assert (gtvt["forwarded"], gtvt["open_overdue"], gtvt["open_in_time"], gtvt["urgent"]) == (2, 1, 1, 1)
    assert [a["agency"] for a in f["agencies"]] == ["Công an tỉnh", "Sở Giao thông vận tải", "Sở Y tế"]
    assert f["phone_writeup"] == {"in_time": 1, "late": 1, "pending": 0}
    assert f["urgent"] == {"total": 3, "answered_in_time": 1, "late": 1, "open_overdue": 1}
    assert f["handled"] == {
        "bot_direct": 1,
        "bot_suggestion": 1,
        "operator": 1,
        "forwarded": 9,
        "refused": 2,
        "open": 1,
    }
    assert f["first_reply_count"] == 4 and f["first_reply_median_minutes"] == 7.0  # 2, 4, 10, 30 min
    assert {d["name"]: d["count"] for d in f["by_domain"]} == {
        "Y tế": 9,
        "Giao thông": 2,
        "(chưa phân lĩnh vực)": 4,
    }
    assert {a["name"]: a["count"] for a in f["by_agency"]} == {
        "Sở Y tế": 5,
        "Sở Giao thông vận tải": 2,
        "Công an tỉnh": 2,
    }


def test_a_phone_answer_not_written_up() -> None:
    pending = answered(vn(3, 8), phone_answered_at=vn(2, 14))
    pending.answered_at, pending.status = None, "phone_answered"
    assert figures([pending], CAL, vn(3, 8))["phone_writeup"] == {"in_time": 0, "late": 0, "pending": 1}
    assert figures([pending], CAL, vn(3, 8, 31))["phone_writeup"] == {"in_time": 0, "late": 1, "pending": 0}


def test_period_presets() -> None:
    today = dt.date(2027, 5, 14)
    assert period("month", today) == (dt.date(2027, 5, 1), dt.date(2027, 5, 31))
    assert period("month", today, dt.date(2027, 2, 10)) == (dt.date(2027, 2, 1), dt.date(2027, 2, 28))
    assert period("quarter", today) == (dt.date(2027, 4, 1), dt.date(2027, 6, 30))
    assert period("quarter", today, dt.date(2027, 11, 2)) == (dt.date(2027, 10, 1), dt.date(2027, 12, 31))
    assert period("year", today) == (dt.date(2027, 1, 1), dt.date(2027, 12, 31))
    assert period("custom", today, dt.date(2027, 5, 2), dt.date(2027, 5, 9)) == (
        dt.date(2027, 5, 2),
        dt.date(2027, 5, 9),
    )
    assert previous_month(dt.date(2027, 1, 4)) == (dt.date(2026, 12, 1), dt.date(2026, 12, 31))
    for bad in (
        ("custom", None, None),
        ("custom", dt.date(2027, 5, 9), dt.date(2027, 5, 2)),
        ("week", None, None),
    ):
        with pytest.raises(PeriodError):
            period(bad[0], today, bad[1], bad[2])
