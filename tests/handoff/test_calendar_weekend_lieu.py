"""Days in lieu are owed for holidays on the weekend, not for weekdays a part-time
calendar happens not to list (the issue: "a day off in lieu when a holiday falls on a
weekend")."""

from __future__ import annotations

import datetime as dt

from handoff.calendar import load_calendar_text
from handoff.deadlines import add_working_time

PART_TIME = """
timezone: Asia/Ho_Chi_Minh
office_hours:
  mon: ["07:30-11:30", "13:00-17:00"]
  tue: ["07:30-11:30", "13:00-17:00"]
public_holidays: vietnam
"""


def test_friday_holiday_on_an_unlisted_weekday_earns_no_day_in_lieu() -> None:
    cal = load_calendar_text(PART_TIME)
    start = dt.datetime(2027, 4, 29, 15, 0, tzinfo=dt.timezone(dt.timedelta(hours=7)))
    # 30/4 (Fri, not listed) earns nothing; 1/5 (Sat) earns Monday 3/5; Tuesday 4/5 works
    assert add_working_time(start, 8, cal).isoformat() == "2027-05-04T17:00:00+07:00"
    assert not cal.is_working_day(dt.date(2027, 5, 3))
    assert cal.is_working_day(dt.date(2027, 5, 4))
