"""Properties of working-time arithmetic (hypothesis), over several calendars."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from hypothesis import example, given, settings
from hypothesis import strategies as st

from handoff.calendar import WorkingCalendar, default_calendar, load_calendar_text
from handoff.deadlines import add_working_time, next_working_instant, working_time_between

SEASONAL = load_calendar_text(
    """
timezone: Asia/Ho_Chi_Minh
office_hours:
  mon: ["07:30-11:30", "13:00-17:00"]
  tue: ["07:30-11:30", "13:00-17:00"]
  sat: ["08:00-11:00"]
public_holidays: vietnam
extra_days_off: ["2027-02-05", "2027-03-09"]
extra_working_days: ["2027-02-20", "2027-03-10"]
seasons:
  - name: he
    from: "04-15"
    to: "10-14"
    office_hours: {mon: ["07:00-11:30", "13:30-17:00"], fri: ["13:30-17:00"]}
"""
)
BERLIN = load_calendar_text(
    'timezone: Europe/Berlin\noffice_hours:\n  sun: ["00:30-03:30"]\n  wed: ["01:00-02:45", "22:00-24:00"]\n'
    "public_holidays: none\n"
)
CALENDARS = st.sampled_from([default_calendar(), SEASONAL, BERLIN])
ZONES = st.sampled_from(
    [dt.UTC, ZoneInfo("Asia/Ho_Chi_Minh"), ZoneInfo("Europe/Berlin"), ZoneInfo("America/New_York")]
)
STARTS = st.datetimes(
    min_value=dt.datetime(2024, 1, 1), max_value=dt.datetime(2029, 12, 31), timezones=ZONES
).filter(lambda d: d.utcoffset() is not None)
# Python compares datetimes sharing a tzinfo by wall time (wrong around a DST change): compare in UTC.


def u(value: dt.datetime) -> dt.datetime:
    return value.astimezone(dt.UTC)


DURATIONS = st.integers(min_value=0, max_value=60 * 60 * 24 * 30).map(lambda s: dt.timedelta(seconds=s))


@settings(max_examples=150, deadline=None)
@given(calendar=CALENDARS, start=STARTS, hours=st.floats(min_value=0, max_value=300))
def test_between_inverts_add(calendar: WorkingCalendar, start: dt.datetime, hours: float) -> None:
    due = add_working_time(start, hours, calendar)
    assert u(due) >= u(start)
    assert working_time_between(start, due, calendar) == dt.timedelta(hours=hours)


@settings(max_examples=100, deadline=None)
@given(calendar=CALENDARS, start=STARTS, a=DURATIONS, b=DURATIONS)
def test_monotone_in_duration_and_additive(
    calendar: WorkingCalendar, start: dt.datetime, a: dt.timedelta, b: dt.timedelta
) -> None:
    short, long = sorted((a, b))
    assert u(add_working_time(start, short, calendar)) <= u(add_working_time(start, long, calendar))
    chained = add_working_time(add_working_time(start, a, calendar), b, calendar)
    assert u(chained) == u(add_working_time(start, a + b, calendar))


@settings(max_examples=100, deadline=None)
@given(calendar=CALENDARS, s1=STARTS, s2=STARTS, hours=st.floats(min_value=0, max_value=100))
def test_monotone_in_start(calendar: WorkingCalendar, s1: dt.datetime, s2: dt.datetime, hours: float) -> None:
    early, late = sorted((s1, s2), key=u)
    assert u(add_working_time(early, hours, calendar)) <= u(add_working_time(late, hours, calendar))


@settings(max_examples=100, deadline=None)
@given(calendar=CALENDARS, a=STARTS, b=STARTS, c=STARTS)
def test_between_is_additive_and_antisymmetric(
    calendar: WorkingCalendar, a: dt.datetime, b: dt.datetime, c: dt.datetime
) -> None:
    ab = working_time_between(a, b, calendar)
    assert ab == -working_time_between(b, a, calendar)
    assert abs(ab) <= abs(b - a)
    assert ab + working_time_between(b, c, calendar) == working_time_between(a, c, calendar)


@settings(max_examples=100, deadline=None)
@given(calendar=CALENDARS, start=STARTS)
@example(
    calendar=load_calendar_text('timezone: Europe/Berlin\noffice_hours:\n  sun: ["00:30-03:30"]\n'),
    start=dt.datetime(2024, 10, 27, 2, 0, fold=1, tzinfo=ZoneInfo("Europe/Berlin")),
)
def test_counting_starts_on_a_worked_day(calendar: WorkingCalendar, start: dt.datetime) -> None:
    begin = next_working_instant(start, calendar)
    assert u(begin) >= u(start)
    assert working_time_between(start, begin, calendar) == dt.timedelta(0)
    assert calendar.is_working_day(begin.astimezone(calendar.timezone).date())
    one_minute = dt.timedelta(minutes=1)
    # one real minute later: adding to a local time would be wall-clock arithmetic (and drops
    # the fold of a repeated hour at a DST change), so add in UTC
    assert working_time_between(begin, u(begin) + one_minute, calendar) > dt.timedelta(0)
