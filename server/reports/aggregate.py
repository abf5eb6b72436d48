"""Counting cases per zone and district per half-month, and by hour of the day.

Pure functions over `(zone_id, time_utc)` pairs so that the arithmetic is tested without a
database and the same code serves the page, the CSV and the JSON API.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from server.reports.periods import HalfMonth, rise_fall_rate


@dataclass(frozen=True)
class ZoneInfoRow:
    """What a report needs to know about a zone."""

    zone_id: str
    name: str
    district: str
    tz: ZoneInfo


@dataclass(frozen=True)
class PeriodCount:
    """Cases in one zone or district in a half-month, against the half-month before."""

    key: str
    name: str
    district: str
    current: int
    previous: int

    @property
    def rate(self) -> float | None:
        return rise_fall_rate(self.current, self.previous)

    @property
    def worse(self) -> bool:
        """Got worse: more cases than the previous half-month (the rectification-notice rule)."""
        return self.current > self.previous


@dataclass(frozen=True)
class HalfMonthReport:
    period: HalfMonth
    zones: list[PeriodCount]
    districts: list[PeriodCount]

    @property
    def worse_zones(self) -> list[PeriodCount]:
        """Zones that got worse, largest increase first: the rectification-notice list."""
        return sorted((z for z in self.zones if z.worse), key=lambda z: (z.previous - z.current, z.key))

    @property
    def total_current(self) -> int:
        return sum(z.current for z in self.zones)

    @property
    def total_previous(self) -> int:
        return sum(z.previous for z in self.zones)


def query_window(
    first: HalfMonth, last: HalfMonth, zones: Iterable[ZoneInfoRow]
) -> tuple[datetime, datetime]:
    """The UTC range from the start of `first` to the end of `last` in every zone's time zone."""
    tzs = [zone.tz for zone in zones] or [ZoneInfo("UTC")]
    return min(first.utc_bounds(tz)[0] for tz in tzs), max(last.utc_bounds(tz)[1] for tz in tzs)


def half_month_report(
    period: HalfMonth,
    zones: Iterable[ZoneInfoRow],
    events: Iterable[tuple[str, datetime]],
) -> HalfMonthReport:
    """Count `events` (zone id, aware UTC time) for `period` and the previous half-month.

    Every zone appears, with zero when silent: a zone with no cases is information, too.
    Events in unknown zones are ignored (a zone deleted from the config keeps its cases but
    leaves the report).
    """
    zone_list = sorted(zones, key=lambda z: z.zone_id)
    by_id = {z.zone_id: z for z in zone_list}
    previous = period.previous()
    now_counts: Counter[str] = Counter()
    before_counts: Counter[str] = Counter()
    for zone_id, moment in events:
        zone = by_id.get(zone_id)
        if zone is None:
            continue
        bucket = HalfMonth.at(_aware(moment), zone.tz)
        if bucket == period:
            now_counts[zone_id] += 1
        elif bucket == previous:
            before_counts[zone_id] += 1
    zone_rows = [
        PeriodCount(z.zone_id, z.name, z.district, now_counts[z.zone_id], before_counts[z.zone_id])
        for z in zone_list
    ]
    return HalfMonthReport(period, zone_rows, _districts(zone_rows))


def _districts(zone_rows: list[PeriodCount]) -> list[PeriodCount]:
    current: Counter[str] = Counter()
    previous: Counter[str] = Counter()
    for row in zone_rows:
        current[row.district] += row.current
        previous[row.district] += row.previous
    return [PeriodCount(d, d, d, current[d], previous[d]) for d in sorted(set(current) | set(previous))]


def hourly_pattern(
    zones: Iterable[ZoneInfoRow], events: Iterable[tuple[str, datetime]]
) -> dict[str, list[int]]:
    """Cases per local hour of day (0–23) for every zone: when to schedule patrols."""
    zone_map: Mapping[str, ZoneInfoRow] = {z.zone_id: z for z in zones}
    pattern = {zone_id: [0] * 24 for zone_id in sorted(zone_map)}
    for zone_id, moment in events:
        zone = zone_map.get(zone_id)
        if zone is not None:
            pattern[zone_id][_aware(moment).astimezone(zone.tz).hour] += 1
    return pattern


def _aware(moment: datetime) -> datetime:
    """Naive datetimes from the database are UTC by convention (SQLite drops the offset)."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def district_trend(
    periods: list[HalfMonth], zones: Iterable[ZoneInfoRow], events: Iterable[tuple[str, datetime]]
) -> dict[str, list[int]]:
    """Cases per district in each of `periods` (oldest first): the supervisors' running chart."""
    zone_map: Mapping[str, ZoneInfoRow] = {z.zone_id: z for z in zones}
    index = {p: i for i, p in enumerate(periods)}
    trend = {d: [0] * len(periods) for d in sorted({z.district for z in zone_map.values()})}
    for zone_id, moment in events:
        zone = zone_map.get(zone_id)
        if zone is None:
            continue
        i = index.get(HalfMonth.at(_aware(moment), zone.tz))
        if i is not None:
            trend[zone.district][i] += 1
    return trend
