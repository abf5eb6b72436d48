"""Half-month arithmetic, counts per zone and district, rise/fall rates and hourly patterns."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from server_support import server_config  # noqa: F401  (fixture)
from server_web_support import seed

from server.config import ServerConfig
from server.reports import service
from server.reports.aggregate import ZoneInfoRow, half_month_report, hourly_pattern
from server.reports.export import half_month_csv
from server.reports.periods import HalfMonth, rise_fall_rate
from server.storage.models import Case

SHANGHAI = ZoneInfo("Asia/Shanghai")
ZONES = [
    ZoneInfoRow("Z01", "North gate", "Futian", SHANGHAI),
    ZoneInfoRow("Z02", "Hospital", "Futian", SHANGHAI),
    ZoneInfoRow("Z03", "Park", "Nanshan", SHANGHAI),
]


def test_half_month_boundaries_and_neighbours() -> None:
    assert HalfMonth.containing(date(2026, 11, 15)) == HalfMonth(2026, 11, 1)
    assert HalfMonth.containing(date(2026, 11, 16)) == HalfMonth(2026, 11, 2)
    assert HalfMonth(2026, 2, 2).last_day == date(2026, 2, 28)
    assert HalfMonth(2028, 2, 2).last_day == date(2028, 2, 29)
    assert HalfMonth(2026, 1, 1).previous() == HalfMonth(2025, 12, 2)
    assert HalfMonth(2026, 12, 2).next() == HalfMonth(2027, 1, 1)
    assert HalfMonth.parse("2026-11-H2").label == "2026-11-H2"
    with pytest.raises(ValueError, match="YYYY-MM-H1"):
        HalfMonth.parse("2026-11-3")


def test_periods_follow_the_zone_wall_clock_not_utc() -> None:
    # 16:30 UTC on the 15th is 00:30 on the 16th in Shanghai: second half there, first half in UTC.
    moment = datetime(2026, 11, 15, 16, 30, tzinfo=UTC)
    assert HalfMonth.at(moment, SHANGHAI) == HalfMonth(2026, 11, 2)
    assert HalfMonth.at(moment, ZoneInfo("UTC")) == HalfMonth(2026, 11, 1)
    start, end = HalfMonth(2026, 11, 2).utc_bounds(SHANGHAI)
    assert start == datetime(2026, 11, 15, 16, 0, tzinfo=UTC)
    assert end == datetime(2026, 11, 30, 16, 0, tzinfo=UTC)
    with pytest.raises(ValueError, match="aware"):
        HalfMonth.at(datetime(2026, 11, 15), SHANGHAI)


def test_rise_fall_rate() -> None:
    assert rise_fall_rate(12, 4) == 2.0
    assert rise_fall_rate(2, 4) == -0.5
    assert rise_fall_rate(3, 0) is None
    assert rise_fall_rate(0, 0) is None


def _at(day: int, hour: int = 10, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=SHANGHAI).astimezone(UTC)


def test_counts_per_zone_and_district_and_the_rectification_list() -> None:
    events = (
        [("Z01", _at(3))] * 2  # previous half (H1)
        + [("Z01", _at(20))] * 5  # current half (H2): rose from 2 to 5
        + [("Z02", _at(4))] * 4
        + [("Z02", _at(18))] * 1  # fell from 4 to 1
        + [("Z03", _at(25))] * 2  # new: 0 to 2
        + [("Z01", _at(20, month=10))]  # two periods back: not counted
        + [("Z99", _at(20))]  # unknown zone: ignored
    )
    report = half_month_report(HalfMonth(2026, 11, 2), ZONES, events)
    by_zone = {z.key: (z.current, z.previous) for z in report.zones}
    assert by_zone == {"Z01": (5, 2), "Z02": (1, 4), "Z03": (2, 0)}
    districts = {d.key: (d.current, d.previous, d.rate) for d in report.districts}
    assert districts == {"Futian": (6, 6, 0.0), "Nanshan": (2, 0, None)}
    assert [z.key for z in report.worse_zones] == ["Z01", "Z03"]  # largest increase first
    assert report.zones[0].rate == pytest.approx(1.5)
    csv_text = half_month_csv(report)
    assert csv_text.startswith("\ufeffperiod,level,id")
    assert "2026-11-H2,zone,Z01,North gate,Futian,5,2,1.5000,1" in csv_text
    assert "2026-11-H2,district,Nanshan,Nanshan,Nanshan,2,0,,1" in csv_text


def test_hourly_pattern_uses_local_hours() -> None:
    pattern = hourly_pattern(ZONES, [("Z01", _at(3, 8)), ("Z01", _at(4, 8)), ("Z03", _at(5, 23))])
    assert pattern["Z01"][8] == 2 and sum(pattern["Z01"]) == 2
    assert pattern["Z03"][23] == 1
    assert sum(pattern["Z02"]) == 0


def test_reports_from_the_database(server_config: ServerConfig) -> None:  # noqa: F811
    seeded = seed(server_config)
    # Two cases in H1 and three in H2 for Z01, one in H2 for Z03; one H2 case is rejected.
    ids = [
        seeded.add_case(_at(d, 9), zone=z)
        for d, z in ((2, "Z01"), (9, "Z01"), (17, "Z01"), (18, "Z01"), (19, "Z01"), (21, "Z03"))
    ]
    with seeded.sessions() as db:
        for case_id in ids[:-2]:
            db.get(Case, case_id).status = "confirmed"
        db.get(Case, ids[-2]).status = "rejected"
        db.commit()
        confirmed = service.half_month(db, HalfMonth(2026, 11, 2), "confirmed")
        detected = service.half_month(db, HalfMonth(2026, 11, 2), "detected", lang="zh")
        hourly = service.hourly(db, HalfMonth(2026, 11, 2), "detected")
        periods, trend = service.trend(db, HalfMonth(2026, 11, 2), 3, "confirmed")
    assert {z.key: (z.current, z.previous) for z in confirmed.zones}["Z01"] == (2, 2)
    detected_counts = {z.key: (z.current, z.previous) for z in detected.zones}
    assert detected_counts["Z01"] == (2, 2) and detected_counts["Z03"] == (1, 0)
    assert {d.key for d in detected.districts} == {"福田区", "南山区"}
    assert hourly["Z01"][9] == 2 and hourly["Z03"][9] == 1
    assert [p.label for p in periods] == ["2026-10-H2", "2026-11-H1", "2026-11-H2"]
    assert trend["Futian"] == [0, 2, 2]
    seeded.engine.dispose()
