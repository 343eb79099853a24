"""The working-time calendar of state administrative bodies (Điều 10.3) and its YAML file.

A :class:`WorkingCalendar` knows, for any date, which office-hour periods are
worked: weekly hours (several periods a day), optional seasonal variants,
Vietnam's statutory public holidays with days in lieu, and per-year extra days
off / extra working days. Deadline arithmetic lives in :mod:`handoff.deadlines`.

File format (see docs/calendar.md)::

    timezone: Asia/Ho_Chi_Minh
    office_hours:              # weekdays not listed are days off
      mon: ["07:30-11:30", "13:00-17:00"]
    public_holidays: vietnam   # or none
    extra_days_off: ["2027-02-05"]
    extra_working_days: ["2027-02-20"]
    seasons:                   # optional
      - {name: summer, from: "04-15", to: "10-14", office_hours: {mon: ["07:00-11:30"]}}
    holiday_years:             # optional, per-year government announcements
      2027: {tet: [...], national_day_extra: "2027-09-03"}
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from handoff.holidays import (
    WEEKDAY_NAMES_VI,
    WEEKDAYS,
    DayKind,
    DayOff,
    HolidayDataError,
    HolidayRules,
    days_off_for_years,
    parse_dates,
    parse_month_day,
    parse_year_overrides,
    vietnam_rules,
)

DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"
# the hotline's time zone: the one constant for times shown to people (ticket notes, due
# texts, console dates and exports), the year of a ticket code, and a calendar's default
HOTLINE_TZ = ZoneInfo(DEFAULT_TIMEZONE)
CALENDAR_ENV = "HUB_CALENDAR_FILE"
MINUTES_PER_DAY = 24 * 60
_TOP_KEYS = frozenset(
    {
        "timezone",
        "office_hours",
        "public_holidays",
        "extra_days_off",
        "extra_working_days",
        "seasons",
        "holiday_years",
    }
)


class CalendarConfigError(ValueError):
    """A calendar file or value is invalid; the message says where and why (vi / en)."""


@dataclass(frozen=True, order=True)
class Period:
    """One office-hours period of a day, in minutes from local midnight; end may be 24:00."""

    start: int
    end: int

    def __post_init__(self) -> None:
        if not 0 <= self.start < self.end <= MINUTES_PER_DAY:
            raise CalendarConfigError(f"khoảng giờ không hợp lệ / invalid period {self.start}-{self.end}")

    @classmethod
    def parse(cls, text: Any, where: str = "period") -> Period:
        """``"07:30-11:30"`` → Period(450, 690)."""
        if not isinstance(text, str) or text.count("-") != 1:
            raise CalendarConfigError(
                f'{where}: khoảng giờ không hợp lệ / invalid time range {text!r}, expected "HH:MM-HH:MM"'
            )
        left, right = (part.strip() for part in text.split("-"))
        start, end = _parse_clock(left, where, text), _parse_clock(right, where, text)
        if end <= start:
            raise CalendarConfigError(
                f"{where}: giờ kết thúc phải sau giờ bắt đầu / end must be after start in {text!r}"
            )
        return cls(start, end)

    def __str__(self) -> str:
        return f"{_format_clock(self.start)}-{_format_clock(self.end)}"

    @property
    def duration(self) -> dt.timedelta:
        return dt.timedelta(minutes=self.end - self.start)


WeeklyHours = tuple[tuple[Period, ...], ...]  # exactly 7 entries, Monday first
NO_HOURS: WeeklyHours = ((),) * 7


@dataclass(frozen=True)
class Season:
    """Office hours used on dates from ``start`` to ``end`` (month, day), inclusive; may wrap the year."""

    name: str
    start: tuple[int, int]
    end: tuple[int, int]
    weekly: WeeklyHours

    def contains(self, day: dt.date) -> bool:
        key = (day.month, day.day)
        if self.start <= self.end:
            return self.start <= key <= self.end
        return key >= self.start or key <= self.end


@dataclass(frozen=True)
class _YearTable:
    off: dict[dt.date, DayOff]
    working: dict[dt.date, DayOff]


@dataclass(frozen=True, eq=False)
class WorkingCalendar:
    """Which periods are worked on each date, in one timezone."""

    timezone: ZoneInfo = field(default_factory=lambda: HOTLINE_TZ)
    weekly: WeeklyHours = NO_HOURS
    seasons: tuple[Season, ...] = ()
    holiday_rules: HolidayRules | None = None
    extra_days_off: frozenset[dt.date] = frozenset()
    extra_working_days: frozenset[dt.date] = frozenset()
    source: str = "<memory>"
    _years: dict[int, _YearTable] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        if len(self.weekly) != 7 or any(len(s.weekly) != 7 for s in self.seasons):
            raise CalendarConfigError("weekly hours need 7 entries, Monday first")
        both = self.extra_days_off & self.extra_working_days
        if both:
            raise CalendarConfigError(
                "ngày vừa trong extra_days_off vừa trong extra_working_days / dates both off and working: "
                + ", ".join(sorted(map(str, both)))
            )
        if not any(any(day) for day in self.weekly) and not any(
            any(any(day) for day in s.weekly) for s in self.seasons
        ):
            raise CalendarConfigError(
                "lịch không có giờ làm việc nào / the calendar has no office hours at all"
            )

    # --- weekly and seasonal hours ---------------------------------------

    def weekly_hours_for(self, day: dt.date) -> WeeklyHours:
        """The weekly hours in force on ``day`` (the first season containing it, else the base)."""
        for season in self.seasons:
            if season.contains(day):
                return season.weekly
        return self.weekly

    def regular_periods(self, day: dt.date) -> tuple[Period, ...]:
        """The weekday's hours, ignoring holidays and overrides."""
        return self.weekly_hours_for(day)[day.weekday()]

    def is_weekend_rest_day(self, day: dt.date) -> bool:
        """A day in lieu is owed when a holiday falls on the weekend (Saturday or Sunday)
        and the calendar does not work that day; a weekday the calendar simply does not
        list (a part-time office) earns none."""
        return day.weekday() >= 5 and self.is_weekly_day_off(day)

    def is_weekly_day_off(self, day: dt.date) -> bool:
        return not self.regular_periods(day)

    def extra_working_day_periods(self, day: dt.date) -> tuple[Period, ...]:
        """Hours of an extra working day.

        Its own weekday's hours if that weekday is listed, else Monday's, else the
        first listed weekday's (Monday to Sunday) — in the season in force."""
        weekly = self.weekly_hours_for(day)
        if weekly[day.weekday()]:
            return weekly[day.weekday()]
        for periods in weekly:
            if periods:
                return periods
        return ()

    # --- days off --------------------------------------------------------

    def _table(self, year: int) -> _YearTable:
        table = self._years.get(year)
        if table is None:
            table = self._build_table(year)
            self._years[year] = table
        return table

    def _build_table(self, year: int) -> _YearTable:
        user_off = {d: "Ngày nghỉ theo lịch của đơn vị" for d in self.extra_days_off}
        working = {
            d: DayOff(d, "Ngày làm việc thêm theo lịch của đơn vị", DayKind.EXTRA_WORKING)
            for d in self.extra_working_days
            if d.year == year
        }
        if self.holiday_rules is None:
            days = [DayOff(d, name, DayKind.EXTRA_OFF) for d, name in user_off.items()]
        else:
            days = days_off_for_years(
                (year - 1, year),
                self.holiday_rules,
                self.is_weekly_day_off,
                user_off,
                self.is_weekend_rest_day,
            )
            for d in self.holiday_rules.override(year).extra_working_days:
                if d.year == year and d not in self.extra_days_off:
                    working.setdefault(
                        d, DayOff(d, "Làm bù theo thông báo của Chính phủ", DayKind.EXTRA_WORKING)
                    )
        off = {d.date: d for d in days if d.date.year == year and d.date not in working}
        return _YearTable(off, working)

    def days_off(self, year: int) -> list[DayOff]:
        """Every exception to the weekly hours in ``year``: holidays, days in lieu, extra days off
        and (kind EXTRA_WORKING) extra working days — sorted by date."""
        table = self._table(year)
        return sorted([*table.off.values(), *table.working.values()])

    def exception_on(self, day: dt.date) -> DayOff | None:
        table = self._table(day.year)
        return table.working.get(day) or table.off.get(day)

    def periods_on(self, day: dt.date) -> tuple[Period, ...]:
        """The office-hours periods actually worked on ``day``."""
        exception = self.exception_on(day)
        if exception is None:
            return self.regular_periods(day)
        if exception.kind is DayKind.EXTRA_WORKING:
            return self.extra_working_day_periods(day)
        return ()

    def is_working_day(self, day: dt.date) -> bool:
        return bool(self.periods_on(day))

    def intervals_on(self, day: dt.date) -> list[tuple[dt.datetime, dt.datetime]]:
        """The worked intervals of ``day`` as UTC-aware datetimes (absolute time, DST-safe)."""
        result = []
        for period in self.periods_on(day):
            start = _local_instant(day, period.start, self.timezone)
            end = _local_instant(day, period.end, self.timezone)
            if end > start:
                result.append((start, end))
        return result


def _local_instant(day: dt.date, minutes: int, tz: ZoneInfo) -> dt.datetime:
    day = day + dt.timedelta(days=minutes // MINUTES_PER_DAY)
    minutes %= MINUTES_PER_DAY
    local = dt.datetime(day.year, day.month, day.day, minutes // 60, minutes % 60, tzinfo=tz)
    return local.astimezone(dt.UTC)


def _parse_clock(text: str, where: str, whole: str) -> int:
    parts = text.split(":")
    if len(parts) == 2 and all(p.isdigit() and len(p) == 2 for p in parts):
        hours, minutes = int(parts[0]), int(parts[1])
        if (0 <= hours <= 23 and 0 <= minutes <= 59) or (hours, minutes) == (24, 0):
            return hours * 60 + minutes
    raise CalendarConfigError(
        f"{where}: giờ không hợp lệ / invalid time {text!r} in {whole!r}, expected HH:MM (00:00–24:00)"
    )


def _format_clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


# --- loading ------------------------------------------------------------------


def parse_office_hours(value: Any, where: str = "office_hours") -> WeeklyHours:
    """``{mon: ["07:30-11:30", ...], ...}`` → WeeklyHours; unlisted weekdays are days off."""
    if value is None:
        return NO_HOURS
    if not isinstance(value, Mapping):
        raise CalendarConfigError(f"{where}: cần bảng thứ → giờ / expected a mapping weekday → periods")
    days: list[tuple[Period, ...]] = [()] * 7
    for key, periods in value.items():
        name = str(key).strip().lower()
        if name not in WEEKDAYS:
            raise CalendarConfigError(
                f"{where}: thứ không hợp lệ / unknown weekday {key!r}; "
                f"dùng / use one of {', '.join(WEEKDAYS)}"
            )
        index = WEEKDAYS.index(name)
        days[index] = _parse_day(periods, f"{where}.{name} ({WEEKDAY_NAMES_VI[index]})")
    return tuple(days)


def _parse_day(value: Any, where: str) -> tuple[Period, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        raise CalendarConfigError(f'{where}: cần danh sách khoảng giờ / expected a list of "HH:MM-HH:MM"')
    periods = sorted(Period.parse(item, f"{where}[{i}]") for i, item in enumerate(value))
    for before, after in itertools.pairwise(periods):
        if after.start < before.end:
            raise CalendarConfigError(
                f"{where}: các khoảng giờ chồng lên nhau / overlapping periods {before} and {after}"
            )
    return tuple(periods)


def _parse_seasons(value: Any) -> tuple[Season, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise CalendarConfigError("seasons: cần danh sách mùa / expected a list of seasons")
    seasons = []
    for i, item in enumerate(value):
        where = f"seasons[{i}]"
        if not isinstance(item, Mapping):
            raise CalendarConfigError(f"{where}: cần bảng {{from, to, office_hours}} / expected a mapping")
        unknown = set(item) - {"name", "from", "to", "office_hours"}
        if unknown:
            raise CalendarConfigError(
                f"{where}: khóa không hợp lệ / unknown keys {sorted(map(str, unknown))}"
            )
        for key in ("from", "to", "office_hours"):
            if key not in item:
                raise CalendarConfigError(f"{where}: thiếu / missing {key!r}")
        try:
            start = parse_month_day(item["from"], f"{where}.from")
            end = parse_month_day(item["to"], f"{where}.to")
        except HolidayDataError as err:
            raise CalendarConfigError(str(err)) from err
        name = str(item.get("name") or f"season {i + 1}")
        seasons.append(
            Season(name, start, end, parse_office_hours(item["office_hours"], f"{where}.office_hours"))
        )
    _check_seasons_disjoint(seasons)
    return tuple(seasons)


def _check_seasons_disjoint(seasons: list[Season]) -> None:
    day = dt.date(2000, 1, 1)  # a leap year covers 29 Feb
    while day.year == 2000:
        matching = [s.name for s in seasons if s.contains(day)]
        if len(matching) > 1:
            raise CalendarConfigError(
                f"seasons: các mùa chồng lên nhau / seasons overlap on {day:%m-%d}: {', '.join(matching)}"
            )
        day += dt.timedelta(days=1)


def _parse_timezone(value: Any) -> ZoneInfo:
    name = DEFAULT_TIMEZONE if value is None else value
    if not isinstance(name, str):
        raise CalendarConfigError(f"timezone: múi giờ không hợp lệ / invalid timezone {value!r}")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as err:
        raise CalendarConfigError(
            f"timezone: không biết múi giờ / unknown timezone {name!r} (e.g. Asia/Ho_Chi_Minh)"
        ) from err


def _parse_public_holidays(value: Any, years: Any) -> HolidayRules | None:
    if value in (None, False) or (isinstance(value, str) and value.strip().lower() == "none"):
        if years:
            raise CalendarConfigError("holiday_years: chỉ dùng với / only with public_holidays: vietnam")
        return None
    if not (isinstance(value, str) and value.strip().lower() == "vietnam"):
        raise CalendarConfigError(
            f"public_holidays: giá trị không hợp lệ / invalid value {value!r}; dùng / use 'vietnam' or 'none'"
        )
    return vietnam_rules().with_years(parse_year_overrides(years, "holiday_years"))


def parse_calendar(data: Any, source: str = "<memory>") -> WorkingCalendar:
    """A calendar from the parsed YAML mapping; raises :class:`CalendarConfigError`."""
    try:
        return _parse_calendar(data, source)
    except CalendarConfigError as err:
        raise CalendarConfigError(f"{source}: {err}") from err
    except HolidayDataError as err:
        raise CalendarConfigError(f"{source}: {err}") from err


def _parse_calendar(data: Any, source: str) -> WorkingCalendar:
    if not isinstance(data, Mapping):
        raise CalendarConfigError("tệp lịch phải là một bảng YAML / the calendar file must be a YAML mapping")
    unknown = set(data) - _TOP_KEYS
    if unknown:
        raise CalendarConfigError(
            f"khóa không hợp lệ / unknown keys {sorted(map(str, unknown))}; allowed: {sorted(_TOP_KEYS)}"
        )
    if "office_hours" not in data:
        raise CalendarConfigError("thiếu office_hours / missing office_hours")
    return WorkingCalendar(
        timezone=_parse_timezone(data.get("timezone")),
        weekly=parse_office_hours(data["office_hours"]),
        seasons=_parse_seasons(data.get("seasons")),
        holiday_rules=_parse_public_holidays(
            data.get("public_holidays", "vietnam"), data.get("holiday_years")
        ),
        extra_days_off=parse_dates(data.get("extra_days_off"), "extra_days_off"),
        extra_working_days=parse_dates(data.get("extra_working_days"), "extra_working_days"),
        source=source,
    )


def load_calendar_text(text: str, source: str = "<text>") -> WorkingCalendar:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise CalendarConfigError(f"{source}: YAML không hợp lệ / invalid YAML: {err}") from err
    return parse_calendar(data, source)


def load_calendar(path: str | os.PathLike[str]) -> WorkingCalendar:
    """Load a calendar YAML file."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as err:
        raise CalendarConfigError(
            f"{path}: không đọc được tệp lịch / cannot read calendar file: {err}"
        ) from err
    return load_calendar_text(text, str(path))


def default_calendar() -> WorkingCalendar:
    """The packaged default (``handoff/data/calendar.yml``)."""
    text = resources.files("handoff").joinpath("data/calendar.yml").read_text(encoding="utf-8")
    return load_calendar_text(text, "handoff/data/calendar.yml")


def configured_calendar(environ: Mapping[str, str] | None = None) -> WorkingCalendar:
    """The hub's calendar: the file named by ``HUB_CALENDAR_FILE`` if set, else the packaged default."""
    env = os.environ if environ is None else environ
    path = env.get(CALENDAR_ENV, "").strip()
    return load_calendar(path) if path else default_calendar()
