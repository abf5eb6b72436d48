"""Enforcement hours: is a zone enforced at a given moment?

Hours are written in the zone's local time because that is how the city publishes them
("07:00–23:00"); times are stored in UTC, so the check converts with the zone's time zone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any
from zoneinfo import ZoneInfo


def _minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def is_enforced(hours: Iterable[Mapping[str, Any]], tz: str, moment: dt.datetime) -> bool:
    """True if the aware `moment` falls in one of the windows (``{"days", "start", "end"}``).

    A window whose end is not after its start runs past midnight; its late part belongs to the
    day it started on (a Friday 22:00–06:00 window covers Saturday 03:00).
    """
    local = moment.astimezone(ZoneInfo(tz))
    now = local.hour * 60 + local.minute
    today = local.isoweekday()
    yesterday = 7 if today == 1 else today - 1
    for window in hours:
        start, end, days = _minutes(window["start"]), _minutes(window["end"]), window["days"]
        if start < end:
            if today in days and start <= now < end:
                return True
        elif (today in days and now >= start) or (yesterday in days and now < end):
            return True
    return False
