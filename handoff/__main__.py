"""Command line: ``python -m handoff due|holidays`` — deadline checks for admins (Điều 10.3).

    python -m handoff due --from 2027-04-29T15:00:00+07:00 --working-hours 8 [--calendar FILE]
    python -m handoff holidays --year 2027 [--calendar FILE]

Without ``--calendar`` the hub's calendar is used: the file named by the
environment variable HUB_CALENDAR_FILE, else the packaged handoff/data/calendar.yml.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Sequence

from handoff.calendar import CalendarConfigError, WorkingCalendar, configured_calendar, load_calendar
from handoff.deadlines import NaiveDatetimeError, add_working_time
from handoff.holidays import WEEKDAY_NAMES_VI, DayKind

_KIND_LABELS = {
    DayKind.HOLIDAY: "nghỉ lễ",
    DayKind.IN_LIEU: "nghỉ bù",
    DayKind.EXTRA_OFF: "nghỉ thêm",
    DayKind.EXTRA_WORKING: "làm bù",
}


class UsageError(Exception):
    """Bad command-line input; printed to stderr with exit status 2."""


def _aware_datetime(text: str) -> dt.datetime:
    try:
        value = dt.datetime.fromisoformat(text.strip())
    except ValueError as err:
        raise UsageError(
            f"--from: thời điểm không hợp lệ / invalid ISO 8601 datetime {text!r} "
            "(e.g. 2027-04-29T15:00:00+07:00)"
        ) from err
    if value.tzinfo is None:
        raise UsageError(
            f"--from: thiếu múi giờ / missing UTC offset in {text!r} (e.g. 2027-04-29T15:00:00+07:00)"
        )
    return value


def _hours(text: str) -> float:
    try:
        value = float(text)
    except ValueError as err:
        raise UsageError(f"--working-hours: không phải số / not a number: {text!r}") from err
    if not value >= 0 or value == float("inf"):
        raise UsageError(f"--working-hours: phải là số ≥ 0 / must be a finite number ≥ 0: {text!r}")
    return value


def _calendar(path: str | None) -> WorkingCalendar:
    return load_calendar(path) if path else configured_calendar()


def _cmd_due(args: argparse.Namespace) -> int:
    start = _aware_datetime(args.start)
    hours = _hours(args.working_hours)
    due = add_working_time(start, hours, _calendar(args.calendar))
    print(due.isoformat())
    return 0


def _cmd_holidays(args: argparse.Namespace) -> int:
    calendar = _calendar(args.calendar)
    print(f"# Ngày nghỉ / days off {args.year} — {calendar.source} ({calendar.timezone.key})")
    for day in calendar.days_off(args.year):
        weekday = WEEKDAY_NAMES_VI[day.date.weekday()]
        print(f"{day.date.isoformat()}  {weekday:<9}  {_KIND_LABELS[day.kind]:<9}  {day.name}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m handoff", description="Thời hạn theo giờ làm việc (Điều 10.3)"
    )
    sub = parser.add_subparsers(dest="command", required=True)
    due = sub.add_parser("due", help="hạn xử lý / due time after N working hours")
    due.add_argument(
        "--from", dest="start", required=True, help="ISO 8601 with offset, e.g. 2027-04-29T15:00:00+07:00"
    )
    due.add_argument("--working-hours", required=True, help="working hours to add, e.g. 8")
    due.add_argument(
        "--calendar", help="calendar YAML file (default: $HUB_CALENDAR_FILE or the packaged one)"
    )
    due.set_defaults(handler=_cmd_due)
    holidays = sub.add_parser("holidays", help="ngày nghỉ trong năm / days off of a year")
    holidays.add_argument("--year", type=int, required=True)
    holidays.add_argument("--calendar", help="calendar YAML file")
    holidays.set_defaults(handler=_cmd_holidays)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args))
    except (UsageError, CalendarConfigError, NaiveDatetimeError, ValueError) as err:
        print(f"lỗi / error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
