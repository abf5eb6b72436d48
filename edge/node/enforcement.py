"""Enforcement hours: when a zone's horn ban applies. Outside them the node only keeps statistics.

Hours are local wall-clock spans in the zone's time zone (an overnight span like 22:00-06:00
wraps midnight and belongs to the weekday it started on), so daylight-saving changes move
them with the signs on the street.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from edge.config.sections import WEEKDAYS, EnforcementSection, parse_span


class EnforcementWindow:
    def __init__(self, section: EnforcementSection) -> None:
        self.zone = ZoneInfo(section.timezone)
        self.spans = [parse_span(s) for s in section.hours]
        self.weekdays = {WEEKDAYS.index(d) for d in section.weekdays}

    def active(self, when_utc: datetime) -> bool:
        local = when_utc.astimezone(self.zone)
        now = local.time().replace(tzinfo=None)
        for start, end in self.spans:
            if end is None or start < end:  # same-day span
                if local.weekday() in self.weekdays and start <= now and (end is None or now < end):
                    return True
            else:  # overnight: the part after midnight belongs to the previous day
                if local.weekday() in self.weekdays and now >= start:
                    return True
                if (local - timedelta(days=1)).weekday() in self.weekdays and now < end:
                    return True
        return False
