"""Request and response bodies of `/api/v1` (separate from the ORM rows they are built from)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class MediaOut(BaseModel):
    name: str
    role: str
    media_type: str
    sha256: str
    size: int
    url: str = Field(description="GET with the same bearer token to download the file")


class CaseOut(BaseModel):
    id: str
    status: str
    zone_id: str
    zone_name_zh: str | None
    zone_name_en: str | None
    district: str | None
    district_zh: str | None
    device_id: str
    t_start_utc: str
    t_end_utc: str
    t_start_local: str = Field(description="Wall-clock time in the zone's time zone, with its offset")
    time_zone: str
    plate: str | None = Field(description="Chinese format, e.g. 粤R·12345; the reviewer's correction wins")
    plate_device: str | None
    plate_corrected: str | None
    spl_db: float | None
    spl_calibrated: bool
    azimuth_deg: float
    elevation_deg: float
    confidence: float
    horn_probability: float
    enforceable: bool
    conditions: list[str]
    clock_synced: bool
    clock_offset_s: float | None
    signature_ok: bool
    manifest_sha256: str
    reviewers: list[str]
    decided_at: str | None
    evidence: dict[str, str] = Field(description="role → download URL")
    media: list[MediaOut]


class CaseList(BaseModel):
    total: int
    cases: list[CaseOut]


class ReviewIn(BaseModel):
    decision: Literal["confirm", "reject"]
    reason: str = Field(default="", description="Required for a rejection")
    plate: str | None = Field(default=None, description="Set or correct the plate while deciding")


class PlateIn(BaseModel):
    plate: str = Field(description="Chinese plate (粤R12345 or 粤R·12345); empty clears the correction")


class AuditOut(BaseModel):
    id: int
    at: str
    actor: str
    action: str
    case_id: str | None
    target: str | None
    reason: str
    detail: dict


class DeviceOut(BaseModel):
    id: str
    zone_id: str | None
    status: str = Field(description="Retained MQTT status: online, offline or unknown")
    online: bool = Field(description="Online and heard from within the silence limit")
    revoked: bool
    last_seen: str | None
    last_heartbeat: str | None
    silent_s: float | None
    queue_depth: int | None
    dead_channels: list[int]
    clock_offset_s: float | None
    clock_synced: bool | None
    alerts: list[str]
    conditions: list[str] = Field(description="What the last heartbeat reported wrong, in the device's words")


class ZoneOut(BaseModel):
    id: str
    name_zh: str
    name_en: str
    district: str
    district_zh: str
    tz: str
    hours: list[dict]
    geometry: dict
    device_ids: list[str]


class ZoneChangeIn(BaseModel):
    """Fields of a zone to change (admins), named as in the zones file; omitted ones stay.

    Checked with the zones file's rules: `hours` windows are ``{"days": [1..7], "start": "HH:MM",
    "end": "HH:MM"}``, `devices` are device ids, and a device may belong to one zone only.
    """

    model_config = ConfigDict(extra="forbid")

    name_zh: str | None = None
    name_en: str | None = None
    district: str | None = None
    district_zh: str | None = None
    hours: list[dict] | None = None
    devices: list[str] | None = None


class PeriodCountOut(BaseModel):
    id: str
    name: str
    district: str
    count: int
    previous: int
    rate: float | None = Field(description="(count - previous) / previous; null when previous is 0")
    worse: bool


class HalfMonthReportOut(BaseModel):
    period: str
    previous_period: str
    basis: str
    zones: list[PeriodCountOut]
    districts: list[PeriodCountOut]
    rectification: list[str] = Field(description="Zone ids that got worse, largest increase first")


class HourlyOut(BaseModel):
    period: str
    basis: str
    zones: dict[str, list[int]] = Field(description="zone id → 24 counts by local hour")


class ExportOut(BaseModel):
    format: str = "honkwatch-export/1"
    cases: list[CaseOut]
