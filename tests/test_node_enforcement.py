"""Enforcement hours in the zone's local time, including overnight spans and weekdays."""

from __future__ import annotations

from datetime import UTC, datetime

from edge.config.sections import EnforcementSection
from edge.node.enforcement import EnforcementWindow


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def test_day_hours_in_local_time() -> None:
    w = EnforcementWindow(EnforcementSection(timezone="Asia/Shanghai", hours=["07:00-22:00"]))
    assert w.active(at("2026-11-30T07:00:00+08:00"))
    assert w.active(at("2026-11-30T21:59:59+08:00"))
    assert not w.active(at("2026-11-30T22:00:00+08:00"))
    assert not w.active(at("2026-11-30T06:59:00+08:00"))
    # 23:30 UTC is 07:30 the next morning in Shanghai.
    assert w.active(datetime(2026, 11, 29, 23, 30, tzinfo=UTC))


def test_overnight_span_belongs_to_the_day_it_starts() -> None:
    w = EnforcementWindow(EnforcementSection(timezone="UTC", hours=["22:00-06:00"], weekdays=["fri"]))
    assert w.active(at("2026-11-27T23:00:00+00:00"))  # Friday night
    assert w.active(at("2026-11-28T05:59:00+00:00"))  # Saturday early morning, still Friday's span
    assert not w.active(at("2026-11-28T23:00:00+00:00"))  # Saturday night
    assert not w.active(at("2026-11-27T05:00:00+00:00"))  # Friday early morning is Thursday's span


def test_weekdays_and_whole_day() -> None:
    w = EnforcementWindow(
        EnforcementSection(hours=["00:00-24:00"], weekdays=["mon", "tue", "wed", "thu", "fri"])
    )
    assert w.active(at("2026-11-27T12:00:00+00:00"))  # Friday
    assert not w.active(at("2026-11-28T12:00:00+00:00"))  # Saturday
    assert w.active(at("2026-11-30T23:59:59+00:00"))  # Monday, last second
