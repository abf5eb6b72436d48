"""How times and plates look to an officer: zone-local time, Chinese plate format."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from edge.evidence.bundle import format_utc

# Province abbreviations used on mainland Chinese plates (GA 36), plus 使/领 for diplomatic plates.
PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼使领"
_SEPARATORS = re.compile(r"[\s·•.\-_]+")
# Province, issuing-authority letter, then 5 characters (6 for new-energy plates), optionally a
# suffix character (trailer, police, learner, Hong Kong / Macau crossing).
_PLATE = re.compile(rf"^([{PROVINCES}])([A-Z])([A-Z0-9]{{5,6}}|[A-Z0-9]{{4}}[挂警学港澳])$")


class PlateError(ValueError):
    """A reviewer typed something that is not a Chinese plate."""


def iso_utc(moment: datetime | None) -> str | None:
    """The contract's time format (ISO 8601 UTC, milliseconds, `Z`) for the API and exports."""
    return None if moment is None else format_utc(to_utc(moment))


def to_utc(moment: datetime) -> datetime:
    """Stored times are UTC; SQLite hands them back naive, PostgreSQL aware."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def local_time(moment: datetime | None, tz: ZoneInfo, with_zone: bool = True) -> str:
    """`2026-11-28 17:15:03 +08:00` in the zone's wall clock, the offset shown so nobody guesses."""
    if moment is None:
        return "—"
    local = to_utc(moment).astimezone(tz)
    text = local.strftime("%Y-%m-%d %H:%M:%S")
    return f"{text} {local.strftime('%z')[:3]}:{local.strftime('%z')[3:]}" if with_zone else text


def normalize_plate(text: str) -> str:
    """Canonical stored form of a plate: no separators, upper case (粤R12345)."""
    return _SEPARATORS.sub("", text).upper()


def validate_plate(text: str) -> str:
    """The canonical plate for a reviewer's input, or PlateError naming what is wrong."""
    plate = normalize_plate(text)
    if not _PLATE.match(plate):
        raise PlateError(plate)
    return plate


def display_plate(plate: str | None) -> str:
    """粤R12345 → 粤R·12345; anything not in the Chinese format is shown as it is."""
    if not plate:
        return ""
    canonical = normalize_plate(plate)
    match = _PLATE.match(canonical)
    return f"{match.group(1)}{match.group(2)}·{match.group(3)}" if match else plate
