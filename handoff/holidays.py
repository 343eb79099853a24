"""Vietnam's statutory public holidays (Labour Code 2019, Art. 112) and days in lieu.

Lunar dates are converted with ``vnlunar``, which follows the *Vietnamese* lunar
calendar (new moons and solar terms computed for UTC+7, Hồ Ngọc Đức's algorithm
and tables). ``lunardate`` follows the Chinese calendar (UTC+8) and is wrong for
Vietnam in some years: Tết 1985 is 21 Jan 1985 in Vietnam but 20 Feb 1985 in
China; Tết 2007, 2030 and Giỗ Tổ 2037/2038 differ by a day as well.

The rules are data (``handoff/data/vietnam_holidays.yml``): fixed solar dates,
lunar dates, the 5 Tết days, the day next to 2/9, and per-year announcements.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from importlib import resources
from typing import Any

import vnlunar
import yaml

WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAY_NAMES_VI: tuple[str, ...] = (
    "Thứ Hai",
    "Thứ Ba",
    "Thứ Tư",
    "Thứ Năm",
    "Thứ Sáu",
    "Thứ Bảy",
    "Chủ nhật",
)
VIETNAM_TZ_HOURS = 7.0


class HolidayDataError(ValueError):
    """The holiday rules or a per-year override are malformed."""


class DayKind(StrEnum):
    HOLIDAY = "holiday"  # ngày nghỉ lễ, tết (Art. 112.1)
    IN_LIEU = "in_lieu"  # ngày nghỉ bù (Art. 112.3)
    EXTRA_OFF = "extra_off"  # ngày nghỉ do hoán đổi / quyết định thêm
    EXTRA_WORKING = "extra_working"  # ngày làm bù


@dataclass(frozen=True, order=True)
class DayOff:
    """One calendar day that is not (or, for EXTRA_WORKING, is) worked, with why."""

    date: dt.date
    name: str
    kind: DayKind


@dataclass(frozen=True)
class YearOverride:
    """What the government announced for one year."""

    tet: tuple[dt.date, ...] | None = None
    national_day_extra: dt.date | None = None
    extra_days_off: frozenset[dt.date] = frozenset()
    extra_working_days: frozenset[dt.date] = frozenset()
    note: str = ""

    def merged(self, other: YearOverride) -> YearOverride:
        """``other``'s fields win where set; day lists are united."""
        return YearOverride(
            tet=other.tet if other.tet is not None else self.tet,
            national_day_extra=other.national_day_extra or self.national_day_extra,
            extra_days_off=self.extra_days_off | other.extra_days_off,
            extra_working_days=self.extra_working_days | other.extra_working_days,
            note=other.note or self.note,
        )


@dataclass(frozen=True)
class HolidayRules:
    """The statutory holiday set as data."""

    fixed: tuple[tuple[int, int, str], ...]
    lunar: tuple[tuple[int, int, str], ...]
    tet_name: str
    tet_offsets: tuple[int, ...]
    national_day_extra_name: str
    national_day_extra_by_weekday: tuple[tuple[int, int], ...]  # index = weekday of 2/9
    years: Mapping[int, YearOverride] = field(default_factory=dict)

    def with_years(self, extra: Mapping[int, YearOverride]) -> HolidayRules:
        years = dict(self.years)
        for year, override in extra.items():
            years[year] = years[year].merged(override) if year in years else override
        return HolidayRules(
            fixed=self.fixed,
            lunar=self.lunar,
            tet_name=self.tet_name,
            tet_offsets=self.tet_offsets,
            national_day_extra_name=self.national_day_extra_name,
            national_day_extra_by_weekday=self.national_day_extra_by_weekday,
            years=years,
        )

    def override(self, year: int) -> YearOverride:
        return self.years.get(year, YearOverride())


# --- lunar calendar -----------------------------------------------------------


def lunar_to_solar(day: int, month: int, year: int, leap: bool = False) -> dt.date:
    """The solar date of a Vietnamese lunar date (UTC+7)."""
    result = vnlunar.convert_lunar_to_solar(day, month, year, 1 if leap else 0)
    if result is None:
        raise HolidayDataError(f"Ngày âm lịch không tồn tại / no such lunar date: {day}/{month}/{year}")
    d, m, y = result
    return dt.date(y, m, d)


def tet_date(year: int) -> dt.date:
    """Mùng 1 Tết (lunar new year's day) of the lunar year starting in solar ``year``."""
    return lunar_to_solar(1, 1, year)


def hung_kings_day(year: int) -> dt.date:
    """Giỗ Tổ Hùng Vương, 10/3 âm lịch."""
    return lunar_to_solar(10, 3, year)


# --- parsing the data file ----------------------------------------------------


def parse_date(value: Any, where: str) -> dt.date:
    """A YAML date: a ``date`` object or an ISO ``YYYY-MM-DD`` string."""
    if isinstance(value, dt.datetime):
        raise HolidayDataError(f"{where}: cần ngày, không phải ngày giờ / expected a date, got {value!r}")
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise HolidayDataError(f"{where}: ngày không hợp lệ / invalid date {value!r} (YYYY-MM-DD)")


def parse_dates(value: Any, where: str) -> frozenset[dt.date]:
    if value is None:
        return frozenset()
    if not isinstance(value, list):
        raise HolidayDataError(f"{where}: cần một danh sách ngày / expected a list of dates")
    return frozenset(parse_date(item, f"{where}[{i}]") for i, item in enumerate(value))


def parse_month_day(value: Any, where: str) -> tuple[int, int]:
    """``"MM-DD"`` → (month, day); 29 Feb allowed."""
    if isinstance(value, str):
        parts = value.strip().split("-")
        if len(parts) == 2 and all(p.isdigit() for p in parts):
            month, day = int(parts[0]), int(parts[1])
            try:
                dt.date(2000, month, day)  # a leap year: accepts 02-29
            except ValueError:
                pass
            else:
                return month, day
    raise HolidayDataError(f'{where}: cần dạng "MM-DD" / expected "MM-DD", got {value!r}')


def _parse_named_days(value: Any, where: str) -> tuple[tuple[int, int, str], ...]:
    if not isinstance(value, list):
        raise HolidayDataError(f"{where}: cần một danh sách / expected a list")
    days = []
    for i, item in enumerate(value):
        if not isinstance(item, Mapping) or "date" not in item:
            raise HolidayDataError(f"{where}[{i}]: cần {{date, name}} / expected {{date, name}}")
        month, day = parse_month_day(item["date"], f"{where}[{i}].date")
        days.append((month, day, str(item.get("name", f"{day:02d}/{month:02d}"))))
    return tuple(days)


def parse_year_override(value: Any, where: str) -> YearOverride:
    if not isinstance(value, Mapping):
        raise HolidayDataError(f"{where}: cần một bảng khóa-giá trị / expected a mapping")
    known = {"tet", "national_day_extra", "extra_days_off", "extra_working_days", "note"}
    unknown = set(value) - known
    if unknown:
        raise HolidayDataError(
            f"{where}: khóa không hợp lệ / unknown keys {sorted(map(str, unknown))}; allowed: {sorted(known)}"
        )
    tet = None
    if value.get("tet") is not None:
        if not isinstance(value["tet"], list) or not value["tet"]:
            raise HolidayDataError(f"{where}.tet: cần danh sách ngày Tết / expected a list of dates")
        tet = tuple(sorted(parse_date(d, f"{where}.tet[{i}]") for i, d in enumerate(value["tet"])))
    extra = value.get("national_day_extra")
    national = parse_date(extra, f"{where}.national_day_extra") if extra is not None else None
    off = parse_dates(value.get("extra_days_off"), f"{where}.extra_days_off")
    work = parse_dates(value.get("extra_working_days"), f"{where}.extra_working_days")
    both = off & work
    if both:
        raise HolidayDataError(
            f"{where}: ngày vừa nghỉ vừa làm / dates both off and working: {sorted(map(str, both))}"
        )
    return YearOverride(tet, national, off, work, str(value.get("note") or "").strip())


def parse_year_overrides(value: Any, where: str) -> dict[int, YearOverride]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise HolidayDataError(f"{where}: cần bảng theo năm / expected a mapping year → overrides")
    result: dict[int, YearOverride] = {}
    for key, item in value.items():
        try:
            year = int(key)
        except (TypeError, ValueError):
            raise HolidayDataError(f"{where}: năm không hợp lệ / invalid year {key!r}") from None
        result[year] = parse_year_override(item, f"{where}.{year}")
    return result


def parse_rules(data: Any, where: str = "vietnam_holidays.yml") -> HolidayRules:
    if not isinstance(data, Mapping):
        raise HolidayDataError(f"{where}: expected a mapping")
    tet = data.get("tet") or {}
    offsets = tuple(int(o) for o in tet.get("offsets", (-1, 0, 1, 2, 3)))
    national = data.get("national_day_extra") or {}
    by_weekday = national.get("by_weekday_of_sep_2") or {}
    missing = [w for w in WEEKDAYS if w not in by_weekday]
    if missing:
        raise HolidayDataError(f"{where}.national_day_extra.by_weekday_of_sep_2: missing {missing}")
    table = tuple(parse_month_day(by_weekday[w], f"{where}.national_day_extra.{w}") for w in WEEKDAYS)
    return HolidayRules(
        fixed=_parse_named_days(data.get("fixed", []), f"{where}.fixed"),
        lunar=_parse_named_days(data.get("lunar", []), f"{where}.lunar"),
        tet_name=str(tet.get("name", "Tết Âm lịch")),
        tet_offsets=offsets,
        national_day_extra_name=str(national.get("name", "Quốc khánh (ngày liền kề)")),
        national_day_extra_by_weekday=table,
        years=parse_year_overrides(data.get("years"), f"{where}.years"),
    )


@lru_cache(maxsize=1)
def vietnam_rules() -> HolidayRules:
    """The packaged statutory rules and known per-year announcements."""
    text = resources.files("handoff").joinpath("data/vietnam_holidays.yml").read_text(encoding="utf-8")
    return parse_rules(yaml.safe_load(text))


# --- computing a year's days off ----------------------------------------------


def statutory_holidays(year: int, rules: HolidayRules) -> list[DayOff]:
    """The Art. 112.1 holidays of solar ``year`` (without days in lieu), sorted.

    Two holidays on the same date (Giỗ Tổ can fall on 30/4, e.g. in 1917 and 1947) are
    both listed; :func:`days_off_for_years` gives the second one a day in lieu."""
    override = rules.override(year)
    days: list[tuple[dt.date, str]] = []
    for month, day, name in rules.fixed:
        if (month, day) == (2, 29) and not _is_leap(year):
            continue
        days.append((dt.date(year, month, day), name))
    for month, day, name in rules.lunar:
        days.append((lunar_to_solar(day, month, year), name))
    if override.tet is not None:
        tet_days: Iterable[dt.date] = override.tet
    else:
        first = tet_date(year)
        tet_days = (first + dt.timedelta(days=o) for o in rules.tet_offsets)
    days.extend((d, rules.tet_name) for d in tet_days)
    extra = override.national_day_extra
    if extra is None:
        month, day = rules.national_day_extra_by_weekday[dt.date(year, 9, 2).weekday()]
        extra = dt.date(year, month, day)
    days.append((extra, rules.national_day_extra_name))
    return sorted(DayOff(d, name, DayKind.HOLIDAY) for d, name in days)


def days_off_for_years(
    years: Iterable[int],
    rules: HolidayRules,
    is_weekly_day_off: Callable[[dt.date], bool],
    extra_days_off: Mapping[dt.date, str] | None = None,
    falls_on_rest_day: Callable[[dt.date], bool] | None = None,
) -> list[DayOff]:
    """Holidays, days in lieu and announced swaps for ``years``, computed jointly.

    Art. 112.3: a holiday on a weekly rest day gives a day in lieu on the next
    working day — the next date that is a regular working weekday, not itself a
    holiday, swapped day off or already another holiday's day in lieu. A holiday on
    the same date as another holiday gets one too. ``falls_on_rest_day`` decides which
    holidays earn a day in lieu (default: any weekly day off of the calendar).
    """
    earns_lieu = falls_on_rest_day or is_weekly_day_off
    holidays: list[DayOff] = []
    off: dict[dt.date, str] = dict(extra_days_off or {})
    for year in sorted(set(years)):
        holidays.extend(statutory_holidays(year, rules))
        for d in rules.override(year).extra_days_off:
            off.setdefault(d, "Nghỉ hoán đổi theo thông báo của Chính phủ")
    holiday_dates = {h.date for h in holidays}
    taken = holiday_dates | set(off)
    result = list(holidays)
    result.extend(DayOff(d, name, DayKind.EXTRA_OFF) for d, name in off.items() if d not in holiday_dates)
    seen: set[dt.date] = set()
    for holiday in sorted(holidays):
        coincides = holiday.date in seen
        seen.add(holiday.date)
        if not coincides and not earns_lieu(holiday.date):
            continue
        candidate = holiday.date + dt.timedelta(days=1)
        for _ in range(366):
            if candidate not in taken and not is_weekly_day_off(candidate):
                break
            candidate += dt.timedelta(days=1)
        else:  # a calendar with no working weekday at all: nothing to give
            continue
        taken.add(candidate)
        result.append(DayOff(candidate, f"Nghỉ bù {holiday.name} ({holiday.date:%d/%m})", DayKind.IN_LIEU))
    return sorted(result)


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
