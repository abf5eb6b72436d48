"""The zones file: its schema (pydantic, unknown keys refused), and storing it in the database."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from edge.evidence.bundle import ID_PATTERN
from server.errors import UserFacingError
from server.storage.models import AuditLog, Device, Zone

EXAMPLE_ZONES = Path(__file__).with_name("example_zones.toml")

HHMM = Annotated[str, Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$")]


class ZoneFileError(UserFacingError):
    """A zones file that cannot be loaded; names the file and the zone/key."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class HoursWindow(_Strict):
    days: Annotated[list[Annotated[int, Field(ge=1, le=7)]], Field(min_length=1)]
    start: HHMM
    end: HHMM


class ZoneEntry(_Strict):
    id: Annotated[str, Field(pattern=r"^[0-9A-Za-z_-]{1,32}$")]
    name_zh: Annotated[str, Field(min_length=1, max_length=128)]
    name_en: Annotated[str, Field(min_length=1, max_length=128)]
    district: Annotated[str, Field(min_length=1, max_length=64)]
    district_zh: Annotated[str, Field(min_length=1, max_length=64)]
    tz: str = "Asia/Shanghai"
    devices: list[Annotated[str, Field(pattern=ID_PATTERN)]] = Field(default_factory=list)
    # Outer ring of the zone as [longitude, latitude] pairs (WGS-84); closed automatically.
    polygon: Annotated[list[tuple[float, float]], Field(min_length=3)]
    hours: list[HoursWindow] = Field(default_factory=list)

    @field_validator("tz")
    @classmethod
    def _known_tz(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @field_validator("polygon")
    @classmethod
    def _on_earth(cls, ring: list[tuple[float, float]]) -> list[tuple[float, float]]:
        for lon, lat in ring:
            if not (-180 <= lon <= 180 and -90 <= lat <= 90):
                raise ValueError(f"[{lon}, {lat}] is not a [longitude, latitude] pair")
        return ring

    def geometry(self) -> dict[str, Any]:
        """The polygon as a GeoJSON geometry, ring closed."""
        ring = [list(p) for p in self.polygon]
        if ring[0] != ring[-1]:
            ring.append(ring[0])
        return {"type": "Polygon", "coordinates": [ring]}


class ZoneFile(_Strict):
    example: bool = False  # true for demonstration data, shown as such on the pages
    zone: Annotated[list[ZoneEntry], Field(min_length=1)]

    @model_validator(mode="after")
    def _unique(self) -> ZoneFile:
        ids = [z.id for z in self.zone]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"zone id(s) listed twice: {', '.join(dupes)}")
        owners: dict[str, str] = {}
        for z in self.zone:
            for d in z.devices:
                if d in owners:
                    raise ValueError(f"device {d} is in both {owners[d]} and {z.id}")
                owners[d] = z.id
        return self


def load_zone_file(path: str | Path) -> ZoneFile:
    """Parse and validate a zones file; errors name the file, the zone's index and the key."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ZoneFileError(f"cannot read zones file {path}: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ZoneFileError(f"{path}: not valid TOML: {exc}") from None
    try:
        return ZoneFile.model_validate(raw)
    except ValidationError as exc:
        raise ZoneFileError(f"{path}: {describe_errors(exc)}") from None


def describe_errors(exc: ValidationError) -> str:
    """The first few problems as ``key.path: message``, the way a zones file error reads."""
    problems = []
    for err in exc.errors()[:5]:
        path_s = ".".join(str(p) for p in err["loc"]) or "(top level)"
        msg = "unknown key" if err["type"] == "extra_forbidden" else err["msg"]
        problems.append(f"{path_s}: {msg}")
    return "; ".join(problems)


def store_zones(session: Session, zones: ZoneFile, actor: str = "cli") -> tuple[int, int]:
    """Insert or update every zone of the file and attach registered devices (not committed).

    Zones missing from the file are kept: cases refer to them. Returns (added, updated).
    """
    added = updated = 0
    for entry in zones.zone:
        row = session.get(Zone, entry.id)
        if row is None:
            row = Zone(id=entry.id)
            session.add(row)
            added += 1
        else:
            updated += 1
        row.name_zh, row.name_en = entry.name_zh, entry.name_en
        row.district, row.district_zh, row.tz = entry.district, entry.district_zh, entry.tz
        row.geometry = entry.geometry()
        row.hours = [w.model_dump() for w in entry.hours]
        row.device_ids = list(entry.devices)
        row.example = zones.example
    session.flush()
    owner = {d: z.id for z in zones.zone for d in z.devices}
    for device in session.scalars(select(Device).where(Device.id.in_(owner))):
        device.zone_id = owner[device.id]
    session.add(
        AuditLog(
            actor=actor,
            action="zones.load",
            detail={"added": added, "updated": updated, "example": zones.example},
        )
    )
    session.flush()
    return added, updated
