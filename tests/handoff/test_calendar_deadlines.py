"""Working-hour deadlines (Điều 10.3) with hand-computed expectations."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from handoff.calendar import WorkingCalendar, load_calendar_text
from handoff.deadlines import (
    DeadlineState,
    NaiveDatetimeError,
    NoWorkingTimeError,
    add_working_time,
    answer_due,
    deadline_state,
    next_working_instant,
    phone_writeup_due,
    working_time_between,
)

VN = ZoneInfo("Asia/Ho_Chi_Minh")
H = dt.timedelta(hours=1)
WEEK = "\n".join(f'  {d}: ["07:30-11:30", "13:00-17:00"]' for d in ("mon", "tue", "wed", "thu", "fri"))


def vn(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> dt.datetime:
    return dt.datetime(y, mo, d, h, mi, tzinfo=VN)


def calendar(extra: str = "", holidays: str = "vietnam", week: str = WEEK) -> WorkingCalendar:
    text = f"timezone: Asia/Ho_Chi_Minh\noffice_hours:\n{week}\npublic_holidays: {holidays}\n{extra}"
    return load_calendar_text(text)


CAL = calendar()


def test_across_a_night() -> None:
    # Wed 16:00: 1 h today, Thu 07:30-11:30 (4 h), 13:00-16:00 (3 h).
    assert add_working_time(vn(2027, 3, 10, 16), 8, CAL) == vn(2027, 3, 11, 16)


def test_across_a_weekend() -> None:
    # Fri 15:00: 2 h Friday, Mon 07:30-11:30, 13:00-15:00.
    assert add_working_time(vn(2027, 3, 12, 15), 8, CAL) == vn(2027, 3, 15, 15)


def test_across_tet_2027() -> None:
    # Tết Đinh Mùi: Fri 5 – Tue 9 Feb, days in lieu Wed 10, Thu 11 (for Sat 6, Sun 7).
    assert add_working_time(vn(2027, 2, 4, 16), 8, CAL) == vn(2027, 2, 12, 16)
    assert working_time_between(vn(2027, 2, 4, 7, 30), vn(2027, 2, 12, 17), CAL) == 16 * H


def test_holiday_on_a_saturday_gives_monday_off() -> None:
    # Thu 29/4/2027 15:00: 2 h Thursday; Fri 30/4 holiday; Sat 1/5 holiday → Mon 3/5 in lieu.
    assert add_working_time(vn(2027, 4, 29, 15), 8, CAL) == vn(2027, 5, 4, 15)


def test_hung_kings_day_on_a_sunday_and_end_of_period() -> None:
    # Giỗ Tổ 2026 = Sun 26/4 → Mon 27/4 in lieu. Fri 24/4 13:00: 4 h Friday, then Tue 28/4
    # 07:30-11:30: the last working minute ends the morning period, so due at 11:30 sharp.
    due = add_working_time(vn(2026, 4, 24, 13), 8, CAL)
    assert due == vn(2026, 4, 28, 11, 30)
    assert due.isoformat() == "2026-04-28T11:30:00+07:00"


def test_deadline_ending_a_period_is_due_at_that_instant() -> None:
    assert add_working_time(vn(2027, 3, 8, 7, 30), 4, CAL) == vn(2027, 3, 8, 11, 30)
    assert add_working_time(vn(2027, 3, 8, 7, 30), 8, CAL) == vn(2027, 3, 8, 17)
    assert add_working_time(vn(2027, 3, 8, 9), 2.5, CAL) == vn(2027, 3, 8, 11, 30)
    assert add_working_time(vn(2027, 3, 8, 11, 30), 0.5, CAL) == vn(2027, 3, 8, 13, 30)


def test_receipt_outside_office_hours_starts_at_next_period() -> None:
    assert add_working_time(vn(2027, 3, 8, 5), 1, CAL) == vn(2027, 3, 8, 8, 30)  # early morning
    assert add_working_time(vn(2027, 3, 8, 12), 1, CAL) == vn(2027, 3, 8, 14)  # lunch break
    assert add_working_time(vn(2027, 3, 8, 22), 1, CAL) == vn(2027, 3, 9, 8, 30)  # night
    assert add_working_time(vn(2027, 3, 13, 10), 1, CAL) == vn(2027, 3, 15, 8, 30)  # Saturday
    assert next_working_instant(vn(2027, 3, 8, 11, 30), CAL) == vn(2027, 3, 8, 13)
    assert add_working_time(vn(2027, 3, 8, 12), 0, CAL) == vn(2027, 3, 8, 13)
    assert add_working_time(vn(2027, 3, 8, 9), 0, CAL) == vn(2027, 3, 8, 9)


def test_minutes_and_seconds_are_kept() -> None:
    start = dt.datetime(2027, 3, 8, 9, 17, 42, 123456, tzinfo=VN)
    assert add_working_time(start, dt.timedelta(minutes=90), CAL) == start + dt.timedelta(minutes=90)


def test_extra_days_off_and_extra_working_days() -> None:
    cal = calendar('extra_days_off: ["2027-03-10"]\nextra_working_days: ["2027-03-13"]\n', holidays="none")
    # Tue 13:00: 4 h; Wed 10/3 off; Thu 07:30-11:30.
    assert add_working_time(vn(2027, 3, 9, 13), 8, cal) == vn(2027, 3, 11, 11, 30)
    # Fri 13:00: 4 h; Sat 13/3 is a make-up day with Monday's hours.
    assert add_working_time(vn(2027, 3, 12, 13), 8, cal) == vn(2027, 3, 13, 11, 30)
    assert add_working_time(vn(2027, 3, 12, 13), 12, cal) == vn(2027, 3, 13, 17)


def test_announced_make_up_saturday_2025_counts() -> None:
    # 2025: Sat 26/4 worked (make-up), Fri 2/5 off (swap), 30/4 and 1/5 holidays.
    assert add_working_time(vn(2025, 4, 25, 13), 8, CAL) == vn(2025, 4, 26, 11, 30)
    # Tue 29/4 13:00: 4 h; Wed 30/4 – Sun 4/5 off; Mon 5/5 07:30-11:30.
    assert add_working_time(vn(2025, 4, 29, 13), 8, CAL) == vn(2025, 5, 5, 11, 30)


def test_seasonal_hours() -> None:
    summer = 'seasons:\n  - name: "mùa hè"\n    from: "04-15"\n    to: "10-14"\n    office_hours:\n'
    summer += "\n".join(
        f'      {d}: ["07:00-11:30", "13:30-17:00"]' for d in ("mon", "tue", "wed", "thu", "fri")
    )
    cal = calendar(summer + "\n", holidays="none")
    assert add_working_time(vn(2027, 4, 12, 7, 30), 4, cal) == vn(2027, 4, 12, 11, 30)  # winter hours
    assert add_working_time(vn(2027, 4, 15, 7), 4.5, cal) == vn(2027, 4, 15, 11, 30)  # summer starts 15/4
    # Wed 14/4 16:00 (winter, until 17:00) then Thu 15/4 from 07:00 (summer).
    assert add_working_time(vn(2027, 4, 14, 16), 2, cal) == vn(2027, 4, 15, 8)
    assert add_working_time(vn(2027, 4, 15, 12), 1, cal) == vn(2027, 4, 15, 14, 30)
    # Thu 14/10 16:30 (last summer day) then Fri 15/10 winter from 07:30.
    assert add_working_time(vn(2027, 10, 14, 16, 30), 1, cal) == vn(2027, 10, 15, 8)


def test_other_offsets_are_converted_and_results_carry_plus_seven() -> None:
    utc_start = dt.datetime(2027, 3, 10, 9, tzinfo=dt.UTC)  # = 16:00 +07:00
    due = add_working_time(utc_start, 8, CAL)
    assert due == vn(2027, 3, 11, 16)
    assert due.utcoffset() == 7 * H
    tokyo = dt.datetime(2027, 3, 10, 18, tzinfo=dt.timezone(9 * H))  # = 16:00 +07:00
    assert add_working_time(tokyo, 8, CAL).isoformat() == "2027-03-11T16:00:00+07:00"


def test_vietnam_has_no_daylight_saving_all_year() -> None:
    for month in range(1, 13):
        due = add_working_time(vn(2027, month, 1, 0), 1, CAL)
        assert due.utcoffset() == 7 * H
        assert due.astimezone(dt.UTC).hour in (1, 2, 6, 7, 8, 9)  # 08:30 or 14:00 local, UTC = local − 7


def test_dst_zone_counts_absolute_time() -> None:
    # Europe/Berlin springs forward on Sun 28 Mar 2027 at 02:00 → 03:00: 01:00-04:00 lasts 2 hours.
    text = 'timezone: Europe/Berlin\noffice_hours:\n  sun: ["01:00-04:00"]\npublic_holidays: none\n'
    cal = load_calendar_text(text)
    berlin = ZoneInfo("Europe/Berlin")
    start = dt.datetime(2027, 3, 28, 1, tzinfo=berlin)
    assert working_time_between(start, dt.datetime(2027, 3, 28, 5, tzinfo=berlin), cal) == 2 * H
    assert add_working_time(start, 2, cal) == dt.datetime(2027, 3, 28, 4, tzinfo=berlin)
    assert add_working_time(start, 3, cal) == dt.datetime(2027, 4, 4, 2, tzinfo=berlin)


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(NaiveDatetimeError, match="naive datetime"):
        add_working_time(dt.datetime(2027, 3, 8, 9), 1, CAL)
    with pytest.raises(NaiveDatetimeError, match="thiếu múi giờ"):
        working_time_between(vn(2027, 3, 8), dt.datetime(2027, 3, 9), CAL)


@pytest.mark.parametrize("hours", [-1, float("nan"), float("inf"), -dt.timedelta(minutes=1)])
def test_invalid_hours_are_refused(hours: float | dt.timedelta) -> None:
    with pytest.raises(ValueError, match="working hours"):
        add_working_time(vn(2027, 3, 8, 9), hours, CAL)


def test_working_time_between_basics() -> None:
    assert working_time_between(vn(2027, 3, 8, 7, 30), vn(2027, 3, 9, 7, 30), CAL) == 8 * H
    assert working_time_between(vn(2027, 3, 9, 7, 30), vn(2027, 3, 8, 7, 30), CAL) == -8 * H
    assert working_time_between(vn(2027, 3, 8, 11), vn(2027, 3, 8, 13, 30), CAL) == H
    assert working_time_between(vn(2027, 3, 13), vn(2027, 3, 14, 23), CAL) == dt.timedelta(0)
    assert working_time_between(vn(2027, 1, 1), vn(2028, 1, 1), CAL) > 1900 * H


def test_regulation_deadlines_and_states() -> None:
    received = vn(2027, 3, 10, 16)
    due = answer_due(received, CAL)
    assert due == vn(2027, 3, 11, 16)
    assert phone_writeup_due(received, CAL) == vn(2027, 3, 11, 10, 30)
    assert deadline_state(vn(2027, 3, 10, 17), due, CAL) is DeadlineState.ON_TIME
    assert deadline_state(vn(2027, 3, 11, 14), due, CAL) is DeadlineState.APPROACHING
    assert deadline_state(vn(2027, 3, 11, 12), due, CAL) is DeadlineState.ON_TIME  # 3 h of work left
    assert deadline_state(due, due, CAL) is DeadlineState.APPROACHING
    assert deadline_state(due + dt.timedelta(seconds=1), due, CAL) is DeadlineState.OVERDUE


def test_calendar_without_any_working_day_fails_instead_of_looping() -> None:
    text = (
        'office_hours: {mon: ["07:30-11:30"]}\npublic_holidays: none\n'
        'seasons: [{from: "01-01", to: "12-31", office_hours: {}}]\n'
    )
    cal = load_calendar_text(text)
    with pytest.raises(NoWorkingTimeError, match="no working time"):
        add_working_time(vn(2027, 3, 8), 1, cal)
