"""Half-month reporting periods: the supervisors' rhythm (1st–15th, 16th–end of month).

Periods are calendar days in the zone's own time zone, because a honk at 23:30 local time on the
15th belongs to the first half of the month even though it is already the 16th in UTC for some
zones and still the 15th in others. Boundaries are converted to UTC once, so the database only
ever sees UTC ranges.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_LABEL = re.compile(r"^(\d{4})-(\d{2})-H([12])$")


@dataclass(frozen=True, order=True)
class HalfMonth:
    """One half of a calendar month: half 1 is days 1–15, half 2 is day 16 to the month's end."""

    year: int
    month: int
    half: int

    def __post_init__(self) -> None:
        if not 1 <= self.month <= 12 or self.half not in (1, 2):
            raise ValueError(f"not a half-month: {self.year}-{self.month:02d} half {self.half}")

    @classmethod
    def containing(cls, day: date) -> HalfMonth:
        """The half-month a local calendar day falls in."""
        return cls(day.year, day.month, 1 if day.day <= 15 else 2)

    @classmethod
    def at(cls, moment: datetime, tz: ZoneInfo) -> HalfMonth:
        """The half-month an aware instant falls in, judged by the wall clock in `tz`."""
        if moment.tzinfo is None:
            raise ValueError("HalfMonth.at needs an aware datetime (times are stored in UTC)")
        return cls.containing(moment.astimezone(tz).date())

    @classmethod
    def parse(cls, label: str) -> HalfMonth:
        """Parse the label form `2026-11-H2` used in URLs and CSV files."""
        match = _LABEL.match(label.strip())
        if not match:
            raise ValueError(f"bad half-month {label!r}: expected YYYY-MM-H1 or YYYY-MM-H2")
        return cls(int(match.group(1)), int(match.group(2)), int(match.group(3)))

    @property
    def label(self) -> str:
        return f"{self.year:04d}-{self.month:02d}-H{self.half}"

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1 if self.half == 1 else 16)

    @property
    def last_day(self) -> date:
        if self.half == 1:
            return date(self.year, self.month, 15)
        return date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])

    def previous(self) -> HalfMonth:
        if self.half == 2:
            return HalfMonth(self.year, self.month, 1)
        if self.month == 1:
            return HalfMonth(self.year - 1, 12, 2)
        return HalfMonth(self.year, self.month - 1, 2)

    def next(self) -> HalfMonth:
        if self.half == 1:
            return HalfMonth(self.year, self.month, 2)
        if self.month == 12:
            return HalfMonth(self.year + 1, 1, 1)
        return HalfMonth(self.year, self.month + 1, 1)

    def utc_bounds(self, tz: ZoneInfo) -> tuple[datetime, datetime]:
        """[start, end) of the period in UTC for a zone whose wall clock is `tz`."""
        start = datetime.combine(self.first_day, time.min, tz)
        end = datetime.combine(self.last_day + timedelta(days=1), time.min, tz)
        return start.astimezone(UTC), end.astimezone(UTC)


def rise_fall_rate(current: int, previous: int) -> float | None:
    """Relative change against the previous period (0.25 = +25 %); None when there is no base.

    A zone going from 0 to some cases has no defined rate; the report shows it as "new" rather
    than an infinite percentage, and it still counts as worse.
    """
    if previous == 0:
        return None
    return (current - previous) / previous


def zone_tz(name: str | None) -> ZoneInfo:
    """A zone's time zone by IANA name; UTC when the zone file names none or an unknown one."""
    try:
        return ZoneInfo(name) if name else ZoneInfo("UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")
