"""The node's config sections, one typed model each; every one forbids unknown keys.

A typo (`[audio] blocksize`) must stop the node at start with the dotted path of the key, not
leave it running on a default nobody chose.
"""

from __future__ import annotations

from datetime import time as dtime
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from edge.transport.outbox import OutboxSettings
from edge.transport.publisher import MqttSettings

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class DeviceSection(Section):
    """Who the node is and what hardware it has (`profile`: a name in hardware/profiles or a path)."""

    id: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$")
    zone: str = Field(min_length=1)
    profile: str = Field(min_length=1)
    key_file: Path | None = None  # default: edge.evidence.keys.default_key_file()


class AudioSection(Section):
    """Capture settings; `device` overrides the profile's sound card (name substring or index)."""

    device: str | int | None = None
    block_size: int = Field(2400, ge=64, le=48000)
    ring_s: float = Field(15.0, ge=4.0, le=120.0)
    stall_s: float = Field(2.0, gt=0.1)  # no block for this long = a stalled stream
    reopen_min_s: float = Field(0.5, gt=0)
    reopen_max_s: float = Field(30.0, gt=0)
    open_timeout_s: float = Field(10.0, gt=0)  # no device at start for this long = refuse to start


class CameraSection(Section):
    """Camera capture; `source` overrides the profile's (RTSP URL, V4L2 index, GStreamer pipeline, file)."""

    enabled: bool = True
    source: str | int | None = None
    ring_s: float = Field(8.0, ge=1.0, le=60.0)  # most video held while a long horn is tracked
    keep_s: float = Field(1.0, ge=0.2, le=60.0)  # video always held (a 1080p frame is 6 MB)
    latency_s: float = Field(
        0.0, ge=0.0, le=2.0
    )  # capture pipeline delay: a frame was exposed this long before it arrived
    reconnect_min_s: float = Field(0.5, gt=0)
    reconnect_max_s: float = Field(30.0, gt=0)
    frozen_s: float = Field(3.0, gt=0)  # identical frames for this long = frozen
    black_level: float = Field(8.0, ge=0, le=255)  # mean grey below this = black
    realtime: bool = True  # a video file is paced at its frame rate (False: read as fast as possible)


class EnforcementSection(Section):
    """When the zone is enforced; outside these hours the node keeps statistics but makes no evidence."""

    timezone: str = "UTC"
    hours: list[str] = Field(default_factory=lambda: ["00:00-24:00"])
    weekdays: list[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]] = Field(
        default_factory=lambda: list(WEEKDAYS)
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (use an IANA name like 'Asia/Shanghai')") from None
        return value

    @field_validator("hours")
    @classmethod
    def _valid_spans(cls, value: list[str]) -> list[str]:
        for span in value:
            parse_span(span)
        return value


def parse_span(span: str) -> tuple[dtime, dtime | None]:
    """`"07:00-22:00"` → (07:00, 22:00); an end of 24:00 is None (end of day). Raises ValueError."""
    try:
        a, b = (part.strip() for part in span.split("-"))
        start = dtime.fromisoformat(a)
        end = None if b == "24:00" else dtime.fromisoformat(b)
    except ValueError:
        raise ValueError(f"hours entry {span!r} is not 'HH:MM-HH:MM'") from None
    if end is not None and end == start:
        raise ValueError(f"hours entry {span!r} is empty")
    return start, end


class TlsSection(Section):
    ca: Path | None = None
    cert: Path | None = None
    key: Path | None = None
    insecure: bool = False

    @model_validator(mode="after")
    def _pair(self) -> TlsSection:
        if (self.cert is None) != (self.key is None):
            raise ValueError("cert and key go together (client certificate)")
        return self


class BrokerSection(Section):
    """The MQTT broker; the password lives in its own file (mode 0600), never in this config."""

    enabled: bool = True
    host: str = "127.0.0.1"
    port: int = Field(1883, ge=1, le=65535)
    protocol: Literal["v5", "v311"] = "v5"
    tls: TlsSection | None = None
    username: str | None = None
    password_file: Path | None = None
    keepalive_s: int = Field(30, ge=5, le=3600)

    @model_validator(mode="after")
    def _credentials(self) -> BrokerSection:
        if self.password_file is not None and self.username is None:
            raise ValueError("password_file given without username")
        return self

    def mqtt_settings(self, health_interval_s: float) -> MqttSettings:
        """The publisher's settings; reads the password file now, so a missing one fails at start."""
        password = None
        if self.password_file is not None:
            try:
                password = self.password_file.read_text(encoding="utf-8").strip()
            except OSError as exc:
                raise ValueError(
                    f"broker.password_file: cannot read {self.password_file} ({exc.strerror})"
                ) from None
        tls = self.tls
        return MqttSettings(
            host=self.host,
            port=self.port,
            protocol="5" if self.protocol == "v5" else "3.1.1",
            username=self.username,
            password=password,
            tls=tls is not None,
            ca_file=tls.ca if tls else None,
            cert_file=tls.cert if tls else None,
            key_file=tls.key if tls else None,
            tls_insecure=tls.insecure if tls else False,
            keepalive_s=self.keepalive_s,
            health_interval_s=health_interval_s,
        )


class HealthSection(Section):
    interval_s: float = Field(30.0, ge=1.0, le=3600.0)


class OutboxSection(OutboxSettings):
    """The durable outbox (path, quota_mb), as the transport defines it."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)
