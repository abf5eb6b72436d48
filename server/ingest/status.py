"""Record what devices say about themselves: the retained status and the heartbeats.

Status (``online``/``offline``, retained) is subscribed by every worker without sharing,
because a broker does not hand retained messages to shared subscriptions; writing the same
status twice is harmless. Heartbeats are shared like evidence, each handled by one worker.
A message that cannot be used is quarantined with the reason, like rejected evidence.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError
from sqlalchemy.orm import Session, sessionmaker

from server.ingest.rejected import Rejected
from server.ingest.strict_json import loads_storable
from server.storage.models import Device, utcnow

log = logging.getLogger(__name__)

STATUSES = ("online", "offline")
_TEXT_MAX = 500  # characters of one heartbeat condition (a camera's error message fits)
_CONDITIONS_MAX = 32


class _Clock(BaseModel):
    model_config = ConfigDict(extra="allow")
    synced: bool | None = None
    offset_s: float | None = None


class Heartbeat(BaseModel):
    """The fields of a health message the server looks at; the whole JSON is kept as sent."""

    model_config = ConfigDict(extra="allow")
    device: str | None = None
    queue_depth: int | None = None
    dead_channels: list[int] | None = None
    clock: _Clock | None = None
    # "audio silent: …", "camera reconnecting: …": shown on the device page, so bounded.
    conditions: list[Annotated[str, StringConstraints(max_length=_TEXT_MAX)]] | None = Field(
        None, max_length=_CONDITIONS_MAX
    )
    quota_alarm: bool | None = None  # the outbox is near its disk quota
    config_error: Annotated[str, StringConstraints(max_length=_TEXT_MAX)] | None = None  # a refused push


class DeviceStatusRecorder:
    """Writes `Device.status*`, `last_seen` and the heartbeat columns."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def record_status(self, device_id: str, payload: bytes, retained: bool) -> None:
        """Set online/offline. A retained replay of an unchanged status keeps the original time.

        An empty payload is how MQTT clears a retained message (a device taken down): nothing
        to record, and nothing wrong.
        """
        if not payload:
            return
        text = payload.decode("utf-8", errors="replace").strip()
        if text not in STATUSES:
            raise Rejected("bad_status", f"status must be 'online' or 'offline', got {text[:40]!r}")
        with self.sessions() as session:
            device = self._device(session, device_id)
            if retained and device.status == text:
                return
            now = utcnow()
            device.status = text
            device.status_at = now
            if not retained:
                device.last_seen = now
            session.commit()

    def record_health(self, device_id: str, payload: bytes) -> None:
        """Keep the heartbeat and copy out queue depth, dead channels and clock offset."""
        try:
            doc: Any = loads_storable(payload)
        except (ValueError, RecursionError) as exc:
            raise Rejected("bad_health", f"health is not JSON: {exc}") from None
        if not isinstance(doc, dict):
            raise Rejected("bad_health", "health is not a JSON object")
        try:
            beat = Heartbeat.model_validate(doc)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise Rejected("bad_health", f"health {where}: {first['msg']}") from None
        if beat.device is not None and beat.device != device_id:
            raise Rejected(
                "device_mismatch", f"health names device {beat.device!r} on the topic of {device_id!r}"
            )
        with self.sessions() as session:
            device = self._device(session, device_id)
            now = utcnow()
            device.last_seen = now
            device.last_health = doc
            device.last_health_at = now
            device.queue_depth = beat.queue_depth
            device.dead_channels = beat.dead_channels
            device.clock_offset_s = beat.clock.offset_s if beat.clock else None
            device.clock_synced = beat.clock.synced if beat.clock else None
            session.commit()

    @staticmethod
    def _device(session: Session, device_id: str) -> Device:
        device = session.get(Device, device_id)
        if device is None:
            raise Rejected("unknown_device", f"device {device_id!r} is not registered")
        return device
