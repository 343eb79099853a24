"""Deadlines counted in working hours (Điều 10.3): pure functions over a WorkingCalendar.

Rules:
- Only aware datetimes are accepted; results are in the calendar's timezone.
- Time outside office hours does not count: a receipt at night starts counting at
  the next period's start.
- A deadline whose last working minute ends a period is due at that instant
  (e.g. 11:30), not at the next period's start.
- No timers: the caller stores the returned instant and compares it with its clock.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator, Mapping
from enum import StrEnum

from handoff.calendar import CalendarConfigError, WorkingCalendar

ANSWER_WITHIN = dt.timedelta(hours=8)  # Điều 10.3: answer a forwarded request within 8 working hours
PHONE_WRITEUP_WITHIN = dt.timedelta(hours=4)  # Điều 10.3: write up a phone answer within 4 working hours
URGENT_ENV = "HUB_URGENT_DEADLINE_HOURS"  # Điều 13.2: an urgent ticket's working hours (≤ 8)
MAX_IDLE_DAYS = 3660  # give up after ~10 years without a single working period


class NaiveDatetimeError(ValueError):
    """A datetime without timezone was given; deadlines need an absolute instant."""


class NoWorkingTimeError(CalendarConfigError):
    """The calendar has no working period in the searched range."""


class DeadlineState(StrEnum):
    ON_TIME = "on_time"
    APPROACHING = "approaching"
    OVERDUE = "overdue"


def require_aware(value: dt.datetime, name: str = "datetime") -> dt.datetime:
    """``value`` in UTC; raises :class:`NaiveDatetimeError` when it has no timezone."""
    if not isinstance(value, dt.datetime):
        raise TypeError(f"{name}: expected a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise NaiveDatetimeError(
            f"{name}: thiếu múi giờ / naive datetime {value.isoformat()} — "
            "give an aware datetime, e.g. 2027-04-29T15:00:00+07:00"
        )
    return value.astimezone(dt.UTC)


def _as_duration(hours: float | dt.timedelta) -> dt.timedelta:
    if isinstance(hours, dt.timedelta):
        duration = hours
    else:
        if isinstance(hours, bool) or not isinstance(hours, int | float) or not math.isfinite(hours):
            raise ValueError(f"số giờ làm việc không hợp lệ / invalid working hours {hours!r}")
        duration = dt.timedelta(hours=hours)
    if duration < dt.timedelta(0):
        raise ValueError(f"số giờ làm việc phải ≥ 0 / working hours must not be negative: {hours!r}")
    return duration


def _days_from(day: dt.date) -> Iterator[dt.date]:
    while True:
        yield day
        day += dt.timedelta(days=1)


def _intervals_from(
    start: dt.datetime, calendar: WorkingCalendar
) -> Iterator[tuple[dt.datetime, dt.datetime]]:
    """Working intervals (UTC) at or after ``start`` (UTC), clipped, in order; never-ending."""
    first = start.astimezone(calendar.timezone).date() - dt.timedelta(days=1)
    idle = 0
    for day in _days_from(first):
        found = False
        for begin, end in calendar.intervals_on(day):
            if end <= start:
                continue
            found = True
            yield max(begin, start), end
        idle = 0 if found else idle + 1
        if idle > MAX_IDLE_DAYS:
            raise NoWorkingTimeError(
                f"lịch không có giờ làm việc trong {MAX_IDLE_DAYS} ngày kể từ {day} / "
                f"no working time within {MAX_IDLE_DAYS} days ({calendar.source})"
            )


def next_working_instant(at: dt.datetime, calendar: WorkingCalendar) -> dt.datetime:
    """The first instant at or after ``at`` from which working time is counted."""
    start = require_aware(at, "at")
    begin, _ = next(_intervals_from(start, calendar))
    return begin.astimezone(calendar.timezone)


def add_working_time(
    start: dt.datetime, hours: float | dt.timedelta, calendar: WorkingCalendar
) -> dt.datetime:
    """The instant when ``hours`` of working time have elapsed since ``start``.

    Zero hours gives :func:`next_working_instant`. The result is in the calendar's timezone.
    """
    remaining = _as_duration(hours)
    origin = require_aware(start, "start")
    for begin, end in _intervals_from(origin, calendar):
        available = end - begin
        if remaining <= available:
            return (begin + remaining).astimezone(calendar.timezone)
        remaining -= available
    raise AssertionError("unreachable: _intervals_from never ends")  # pragma: no cover


def working_time_between(a: dt.datetime, b: dt.datetime, calendar: WorkingCalendar) -> dt.timedelta:
    """Working time from ``a`` to ``b``; negative when ``b`` is before ``a``."""
    start, stop = require_aware(a, "a"), require_aware(b, "b")
    if stop < start:
        return -working_time_between(b, a, calendar)
    total = dt.timedelta(0)
    day = start.astimezone(calendar.timezone).date() - dt.timedelta(days=1)
    last = stop.astimezone(calendar.timezone).date() + dt.timedelta(days=1)
    while day <= last:
        for begin, end in calendar.intervals_on(day):
            overlap = min(end, stop) - max(begin, start)
            if overlap > dt.timedelta(0):
                total += overlap
        day += dt.timedelta(days=1)
    return total


def answer_due(
    received: dt.datetime, calendar: WorkingCalendar, within: dt.timedelta = ANSWER_WITHIN
) -> dt.datetime:
    """Điều 10.3: a forwarded request must be answered within 8 working hours of receipt
    (``within``: shorter for an urgent request, :func:`urgent_answer_within`)."""
    return add_working_time(received, within, calendar)


def forward_due(
    forwarded: dt.datetime,
    calendar: WorkingCalendar,
    call_transferred: bool,
    urgent: bool,
    urgent_within: dt.timedelta = ANSWER_WITHIN,
) -> dt.datetime:
    """The deadline a forward sets: a call answered on the agency's line, 4 working hours to
    write it up; an urgent request, ``urgent_within`` (never more than 8); else 8."""
    if call_transferred:
        return phone_writeup_due(forwarded, calendar)
    return answer_due(forwarded, calendar, min(urgent_within, ANSWER_WITHIN) if urgent else ANSWER_WITHIN)


def urgent_answer_within(env: Mapping[str, str]) -> dt.timedelta:
    """The working time an urgent ticket gets from its forward (Điều 13.2):
    ``HUB_URGENT_DEADLINE_HOURS`` (a number of working hours, more than 0 and at most 8),
    unset: the regulation's 8 hours. Raises ValueError naming the variable."""
    raw = (env.get(URGENT_ENV) or "").strip()
    if not raw:
        return ANSWER_WITHIN
    try:
        hours = float(raw)
    except ValueError:
        hours = math.nan
    if not math.isfinite(hours) or hours <= 0 or dt.timedelta(hours=hours) > ANSWER_WITHIN:
        limit = int(ANSWER_WITHIN.total_seconds() // 3600)
        raise ValueError(f"{URGENT_ENV}={raw!r}: cần số giờ làm việc lớn hơn 0 và không quá {limit}")
    return dt.timedelta(hours=hours)


def phone_writeup_due(answered: dt.datetime, calendar: WorkingCalendar) -> dt.datetime:
    """Điều 10.3: an answer given by phone must be written up within 4 working hours."""
    return add_working_time(answered, PHONE_WRITEUP_WITHIN, calendar)


def deadline_state(
    now: dt.datetime,
    due: dt.datetime,
    calendar: WorkingCalendar,
    warn_before: dt.timedelta = dt.timedelta(hours=2),
) -> DeadlineState:
    """OVERDUE after ``due``; APPROACHING when at most ``warn_before`` working time is left."""
    if require_aware(now, "now") > require_aware(due, "due"):
        return DeadlineState.OVERDUE
    if working_time_between(now, due, calendar) <= warn_before:
        return DeadlineState.APPROACHING
    return DeadlineState.ON_TIME
