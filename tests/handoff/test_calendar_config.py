"""The calendar YAML loader: the acceptance format, validation errors, defaults."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from handoff.calendar import (
    CalendarConfigError,
    Period,
    configured_calendar,
    default_calendar,
    load_calendar,
    load_calendar_text,
)

ACCEPTANCE = """\
timezone: Asia/Ho_Chi_Minh
office_hours:              # weekdays not listed are days off
  mon: ["07:30-11:30", "13:00-17:00"]
  tue: ["07:30-11:30", "13:00-17:00"]
public_holidays: vietnam   # the statutory set, computed per year, with days in lieu; or `none`
extra_days_off: ["2027-02-05"]
extra_working_days: ["2027-02-20"]
"""


def _cal(office_hours: str, extra: str = "") -> str:
    return f"timezone: Asia/Ho_Chi_Minh\noffice_hours:\n{office_hours}\npublic_holidays: none\n{extra}"


def test_acceptance_format_loads(tmp_path: Path) -> None:
    path = tmp_path / "calendar.yml"
    path.write_text(ACCEPTANCE, encoding="utf-8")
    calendar = load_calendar(path)
    assert calendar.timezone.key == "Asia/Ho_Chi_Minh"
    assert calendar.regular_periods(dt.date(2027, 3, 8)) == (Period(450, 690), Period(780, 1020))
    assert calendar.regular_periods(dt.date(2027, 3, 10)) == ()  # Wednesday not listed: day off
    assert not calendar.is_working_day(dt.date(2027, 2, 5))
    # Saturday 20 Feb is an extra working day; Saturday is not listed, so Monday's hours apply.
    assert calendar.periods_on(dt.date(2027, 2, 20)) == (Period(450, 690), Period(780, 1020))
    assert calendar.source == str(path)


def test_extra_working_day_uses_its_own_weekday_when_listed() -> None:
    text = _cal(
        '  mon: ["07:30-11:30", "13:00-17:00"]\n  sat: ["08:00-11:00"]',
        'extra_working_days: ["2027-03-13"]\nextra_days_off: ["2027-03-15"]\n',
    )
    calendar = load_calendar_text(text)
    assert calendar.periods_on(dt.date(2027, 3, 13)) == (Period(480, 660),)
    assert calendar.periods_on(dt.date(2027, 3, 15)) == ()


def test_extra_working_day_without_monday_uses_first_listed_weekday() -> None:
    calendar = load_calendar_text(
        _cal('  wed: ["08:00-12:00"]\n  fri: ["13:00-16:00"]', 'extra_working_days: ["2027-03-13"]\n')
    )
    assert calendar.periods_on(dt.date(2027, 3, 13)) == (Period(480, 720),)


@pytest.mark.parametrize(
    ("office_hours", "needle"),
    [
        ('  mon: ["11:30-07:30"]', "end must be after start"),
        ('  mon: ["07:30-07:30"]', "end must be after start"),
        ('  mon: ["7:30-11:30"]', "invalid time"),
        ('  mon: ["07:30-25:00"]', "invalid time"),
        ('  mon: ["07:30 to 11:30"]', "invalid time range"),
        ('  mon: ["07:30-11:30", "11:00-17:00"]', "overlapping periods"),
        ('  monday: ["07:30-11:30"]', "unknown weekday"),
        ('  thu2: ["07:30-11:30"]', "thứ không hợp lệ"),
        ("  mon: 5", "expected a list"),
    ],
)
def test_invalid_office_hours_are_rejected_clearly(office_hours: str, needle: str) -> None:
    with pytest.raises(CalendarConfigError, match=needle) as info:
        load_calendar_text(_cal(office_hours), "lich.yml")
    assert "lich.yml" in str(info.value)


def test_touching_periods_and_midnight_end_are_allowed() -> None:
    calendar = load_calendar_text(_cal('  mon: ["07:30-11:30", "11:30-12:00", "22:00-24:00"]'))
    assert calendar.regular_periods(dt.date(2027, 3, 8))[-1] == Period(1320, 1440)


@pytest.mark.parametrize(
    ("extra", "needle"),
    [
        ("timezone_x: 1\n", "unknown keys"),
        ('extra_days_off: ["2027-02-30"]\n', "invalid date"),
        ('extra_days_off: ["2027-03-10"]\nextra_working_days: ["2027-03-10"]\n', "both off and working"),
        ("extra_days_off: 2027-03-10\n", "expected a list"),
    ],
)
def test_invalid_top_level_values(extra: str, needle: str) -> None:
    with pytest.raises(CalendarConfigError, match=needle):
        load_calendar_text(_cal('  mon: ["07:30-11:30"]', extra))


def test_invalid_timezone_and_public_holidays() -> None:
    with pytest.raises(CalendarConfigError, match="unknown timezone"):
        load_calendar_text('timezone: Asia/Hanoi_City\noffice_hours: {mon: ["07:30-11:30"]}\n')
    with pytest.raises(CalendarConfigError, match="use 'vietnam' or 'none'"):
        load_calendar_text('office_hours: {mon: ["07:30-11:30"]}\npublic_holidays: china\n')
    with pytest.raises(CalendarConfigError, match="missing office_hours"):
        load_calendar_text("timezone: Asia/Ho_Chi_Minh\n")
    with pytest.raises(CalendarConfigError, match="no office hours"):
        load_calendar_text("office_hours: {}\n")
    with pytest.raises(CalendarConfigError, match="invalid YAML"):
        load_calendar_text('office_hours: {mon: ["07:30-11:30"\n')
    with pytest.raises(CalendarConfigError, match="cannot read"):
        load_calendar("/nonexistent/lich.yml")


def test_defaults_timezone_and_holidays() -> None:
    calendar = load_calendar_text('office_hours: {mon: ["07:30-11:30"]}\n')
    assert calendar.timezone.key == "Asia/Ho_Chi_Minh"
    assert calendar.holiday_rules is not None


def test_seasons_validation() -> None:
    base = '  mon: ["07:30-11:30", "13:00-17:00"]'
    overlapping = """seasons:
  - {name: he, from: "04-15", to: "10-14", office_hours: {mon: ["07:00-11:30"]}}
  - {name: thu, from: "10-01", to: "12-31", office_hours: {mon: ["07:30-11:30"]}}
"""
    with pytest.raises(CalendarConfigError, match="seasons overlap on 10-01"):
        load_calendar_text(_cal(base, overlapping))
    with pytest.raises(CalendarConfigError, match="MM-DD"):
        load_calendar_text(_cal(base, 'seasons: [{from: "04-31", to: "10-14", office_hours: {}}]\n'))
    with pytest.raises(CalendarConfigError, match="missing 'office_hours'"):
        load_calendar_text(_cal(base, 'seasons: [{from: "04-15", to: "10-14"}]\n'))
    with pytest.raises(CalendarConfigError, match=r"seasons\[0\]\.office_hours\.sun"):
        load_calendar_text(
            _cal(base, 'seasons: [{from: "04-15", to: "10-14", office_hours: {sun: ["9-10"]}}]\n')
        )


def test_season_wrapping_the_new_year() -> None:
    text = _cal(
        '  mon: ["07:00-11:30", "13:30-17:00"]',
        'seasons: [{name: "mùa đông", from: "10-15", to: "04-14",\n'
        '           office_hours: {mon: ["07:30-11:30", "13:00-17:00"]}}]\n',
    )
    calendar = load_calendar_text(text)
    assert calendar.regular_periods(dt.date(2027, 1, 4))[0] == Period(450, 690)  # winter
    assert calendar.regular_periods(dt.date(2027, 4, 12))[0] == Period(450, 690)  # still winter
    assert calendar.regular_periods(dt.date(2027, 4, 19))[0] == Period(420, 690)  # base (summer)
    assert calendar.regular_periods(dt.date(2027, 10, 18))[0] == Period(450, 690)


def test_holiday_years_validation() -> None:
    text = 'office_hours: {mon: ["07:30-11:30"]}\nholiday_years: {2027: {tet: ["2027-02-31"]}}\n'
    with pytest.raises(CalendarConfigError, match=r"holiday_years\.2027\.tet\[0\]"):
        load_calendar_text(text)
    text = 'office_hours: {mon: ["07:30-11:30"]}\nholiday_years: {2027: {days: []}}\n'
    with pytest.raises(CalendarConfigError, match="unknown keys"):
        load_calendar_text(text)


def test_packaged_default_and_env_override(tmp_path: Path) -> None:
    packaged = default_calendar()
    assert packaged.regular_periods(dt.date(2027, 3, 8)) == (Period(450, 690), Period(780, 1020))
    assert packaged.regular_periods(dt.date(2027, 3, 13)) == ()
    assert configured_calendar({}).source == packaged.source
    path = tmp_path / "hub.yml"
    path.write_text(_cal('  mon: ["07:00-11:30", "13:00-16:30"]'), encoding="utf-8")
    configured = configured_calendar({"HUB_CALENDAR_FILE": str(path)})
    assert configured.source == str(path)
    assert configured.regular_periods(dt.date(2027, 3, 8)) == (Period(420, 690), Period(780, 990))


def test_unquoted_yaml_dates_and_single_period_strings() -> None:
    text = "office_hours:\n  mon: 07:30-11:30\n  tue: [07:30-11:30, 13:00-17:00]\npublic_holidays: none\n"
    text += "extra_days_off: [2027-03-09]\nextra_working_days: [2027-03-13]\n"
    calendar = load_calendar_text(text)
    assert calendar.regular_periods(dt.date(2027, 3, 8)) == (Period(450, 690),)
    assert calendar.periods_on(dt.date(2027, 3, 9)) == ()
    assert calendar.periods_on(dt.date(2027, 3, 13)) == (Period(450, 690),)
    with pytest.raises(CalendarConfigError, match="expected a date"):
        load_calendar_text('office_hours: {mon: ["07:30-11:30"]}\nextra_days_off: [2027-03-09T10:00:00]\n')
