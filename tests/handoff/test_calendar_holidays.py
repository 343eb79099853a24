"""Vietnam's statutory holidays: lunar dates, Tết, days in lieu, per-year announcements."""

from __future__ import annotations

import datetime as dt
import warnings

from lunardate import LunarDate

from handoff.calendar import load_calendar_text
from handoff.holidays import (
    WEEKDAYS,
    DayKind,
    days_off_for_years,
    hung_kings_day,
    parse_rules,
    statutory_holidays,
    tet_date,
    vietnam_rules,
)
from tests.handoff.calendars import MON_FRI

D = dt.date


def _kinds(text: str, year: int) -> dict[dt.date, DayKind]:
    return {d.date: d.kind for d in load_calendar_text(text).days_off(year)}


def test_tet_and_hung_kings_2027_from_the_lunar_library() -> None:
    assert tet_date(2027) == D(2027, 2, 6)
    assert hung_kings_day(2027) == D(2027, 4, 16)


def test_vietnamese_not_chinese_lunar_calendar() -> None:
    # Tết 1985: Vietnam (UTC+7) 21 Jan 1985, China (UTC+8) 20 Feb 1985.
    assert tet_date(1985) == D(1985, 1, 21)
    # Tết 2030: Vietnam 2 Feb, China 3 Feb.
    assert tet_date(2030) == D(2030, 2, 2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        chinese_1985 = LunarDate(1985, 1, 1).toSolarDate()
    assert chinese_1985 == D(1985, 2, 20)  # why lunardate is not used
    assert tet_date(2024) == D(2024, 2, 10)
    assert tet_date(2025) == D(2025, 1, 29)
    assert tet_date(2026) == D(2026, 2, 17)


def test_statutory_set_2027_default_rules() -> None:
    days = {d.date: d.name for d in statutory_holidays(2027, vietnam_rules())}
    assert sorted(days) == [
        D(2027, 1, 1),
        D(2027, 2, 5),  # last day of the lunar year
        D(2027, 2, 6),
        D(2027, 2, 7),
        D(2027, 2, 8),
        D(2027, 2, 9),  # mùng 4
        D(2027, 4, 16),  # Giỗ Tổ 10/3 âm lịch
        D(2027, 4, 30),
        D(2027, 5, 1),
        D(2027, 9, 2),
        D(2027, 9, 3),  # 2/9 is a Thursday: the adjacent day joins the weekend
    ]
    assert days[D(2027, 4, 16)] == "Giỗ Tổ Hùng Vương"


def test_days_in_lieu_2027_mon_fri() -> None:
    kinds = _kinds(MON_FRI, 2027)
    # Tết on Sat 6 and Sun 7 Feb → Wed 10 and Thu 11 (Mon 8, Tue 9 are Tết days themselves).
    assert kinds[D(2027, 2, 10)] is DayKind.IN_LIEU
    assert kinds[D(2027, 2, 11)] is DayKind.IN_LIEU
    assert D(2027, 2, 12) not in kinds
    # 1/5 is a Saturday → Monday 3/5.
    assert kinds[D(2027, 5, 1)] is DayKind.HOLIDAY
    assert kinds[D(2027, 5, 3)] is DayKind.IN_LIEU
    assert sum(k is DayKind.IN_LIEU for k in kinds.values()) == 3


def test_holiday_on_a_worked_saturday_gives_no_day_in_lieu() -> None:
    six_days = MON_FRI.replace("public_holidays", '  sat: ["07:30-11:30"]\npublic_holidays')
    calendar = load_calendar_text(six_days)
    assert calendar.regular_periods(D(2027, 5, 1))  # Saturdays are worked here
    kinds = _kinds(six_days, 2027)
    assert D(2027, 5, 3) not in kinds
    assert kinds[D(2027, 2, 8)] is DayKind.HOLIDAY
    assert kinds[D(2027, 2, 10)] is DayKind.IN_LIEU  # only Sunday 7 Feb is a weekly day off
    assert D(2027, 2, 11) not in kinds


def test_national_day_adjacent_day_follows_the_published_choice() -> None:
    rules = vietnam_rules()
    names = {d.date for d in statutory_holidays(2024, rules)}
    assert {D(2024, 9, 2), D(2024, 9, 3)} <= names  # 2/9/2024 Monday + 3/9
    names = {d.date for d in statutory_holidays(2025, rules)}
    assert {D(2025, 9, 1), D(2025, 9, 2)} <= names  # 2/9/2025 Tuesday + 1/9
    assert D(2025, 9, 3) not in names


def test_announced_tet_and_swaps_2025() -> None:
    kinds = _kinds(MON_FRI, 2025)
    # Tết Ất Tỵ: 5 Tết days 27–31 Jan, no day in lieu needed.
    for day in range(27, 32):
        assert kinds[D(2025, 1, day)] is DayKind.HOLIDAY
    assert D(2025, 2, 3) not in kinds
    # 30/4–1/5: Friday 2/5 off, Saturday 26/4 worked.
    assert kinds[D(2025, 5, 2)] is DayKind.EXTRA_OFF
    assert kinds[D(2025, 4, 26)] is DayKind.EXTRA_WORKING
    calendar = load_calendar_text(MON_FRI)
    assert not calendar.is_working_day(D(2025, 5, 2))
    assert calendar.is_working_day(D(2025, 4, 26))


def test_announced_tet_2024_seven_days() -> None:
    calendar = load_calendar_text(MON_FRI)
    off = [D(2024, 2, 8) + dt.timedelta(days=i) for i in range(7)]
    assert all(not calendar.is_working_day(d) for d in off)
    assert calendar.is_working_day(D(2024, 2, 7))
    assert calendar.is_working_day(D(2024, 2, 15))  # no extra day in lieu beyond the announced break


def test_holiday_years_in_the_calendar_file_override_the_rules() -> None:
    text = (
        MON_FRI
        + """
holiday_years:
  2027:
    tet: ["2027-02-04", "2027-02-05", "2027-02-08", "2027-02-09", "2027-02-10"]
    national_day_extra: "2027-09-01"
    extra_working_days: ["2027-01-30"]
"""
    )
    kinds = _kinds(text, 2027)
    assert kinds[D(2027, 2, 4)] is DayKind.HOLIDAY
    assert D(2027, 2, 11) not in kinds  # the announced Tết days are all weekdays: no day in lieu
    assert kinds[D(2027, 9, 1)] is DayKind.HOLIDAY
    assert D(2027, 9, 3) not in kinds
    assert kinds[D(2027, 1, 30)] is DayKind.EXTRA_WORKING


def test_day_in_lieu_skips_extra_days_off() -> None:
    text = MON_FRI + 'extra_days_off: ["2027-05-03"]\n'
    kinds = _kinds(text, 2027)
    assert kinds[D(2027, 5, 3)] is DayKind.EXTRA_OFF
    assert kinds[D(2027, 5, 4)] is DayKind.IN_LIEU  # 1/5 Saturday's day in lieu moves on


def test_public_holidays_none() -> None:
    text = MON_FRI.replace("public_holidays: vietnam", "public_holidays: none")
    calendar = load_calendar_text(text)
    assert calendar.is_working_day(D(2027, 2, 8))
    assert calendar.days_off(2027) == []


def test_two_holidays_on_one_date_give_a_day_in_lieu() -> None:
    # Giỗ Tổ fell on 30/4 in 1947; with test rules, a fixed 16/4 coincides with Giỗ Tổ 2027 (a Friday).
    data = {
        "fixed": [{"date": "04-16", "name": "Ngày thử"}],
        "lunar": [{"date": "03-10", "name": "Giỗ Tổ Hùng Vương"}],
        "tet": {"offsets": [0]},
        "national_day_extra": {"by_weekday_of_sep_2": dict.fromkeys(WEEKDAYS, "09-03")},
    }
    rules = parse_rules(data, "test rules")
    listed = [d.date for d in statutory_holidays(2027, rules)]
    assert listed.count(D(2027, 4, 16)) == 2
    days = days_off_for_years([2027], rules, lambda d: d.weekday() >= 5)
    in_lieu = [d for d in days if d.kind is DayKind.IN_LIEU]
    # Fri 16/4 twice → Mon 19/4; Tết Sat 6/2 → Mon 8/2.
    assert [d.date for d in in_lieu] == [D(2027, 2, 8), D(2027, 4, 19)]
    assert [d.date for d in statutory_holidays(1947, vietnam_rules())].count(D(1947, 4, 30)) == 2
