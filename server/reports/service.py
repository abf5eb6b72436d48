"""The reports the page, the CSV downloads and the API serve, read from the database.

Each function fetches only the UTC window its periods cover (widened by the zones' offsets)
and leaves the counting to `aggregate`.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session

from server.reports.aggregate import (
    HalfMonthReport,
    district_trend,
    half_month_report,
    hourly_pattern,
    query_window,
)
from server.reports.periods import HalfMonth
from server.reports.source import case_times, report_zones


def current_period(db: Session, now: datetime | None = None) -> HalfMonth:
    """The half-month in progress, by the first zone's wall clock (UTC when there are no zones)."""
    zones = report_zones(db)
    tz = zones[0].tz if zones else UTC
    return HalfMonth.containing((now or datetime.now(UTC)).astimezone(tz).date())


def half_month(db: Session, period: HalfMonth, basis: str = "confirmed", lang: str = "en") -> HalfMonthReport:
    zones = report_zones(db, lang)
    start, end = query_window(period.previous(), period, zones)
    return half_month_report(period, zones, case_times(db, start, end, basis))


def hourly(
    db: Session, period: HalfMonth, basis: str = "confirmed", lang: str = "en"
) -> dict[str, list[int]]:
    """Cases by local hour of day per zone over one half-month."""
    zones = report_zones(db, lang)
    start, end = query_window(period, period, zones)
    by_zone = {z.zone_id: z for z in zones}
    in_period = [
        (z, t)
        for z, t in case_times(db, start, end, basis)
        if z in by_zone and HalfMonth.at(t, by_zone[z].tz) == period
    ]
    return hourly_pattern(zones, in_period)


def trend(
    db: Session, last: HalfMonth, count: int = 6, basis: str = "confirmed", lang: str = "en"
) -> tuple[list[HalfMonth], dict[str, list[int]]]:
    """Cases per district over the `count` half-months ending with `last`."""
    periods = [last]
    while len(periods) < count:
        periods.insert(0, periods[0].previous())
    zones = report_zones(db, lang)
    start, end = query_window(periods[0], last, zones)
    return periods, district_trend(periods, zones, case_times(db, start, end, basis))
