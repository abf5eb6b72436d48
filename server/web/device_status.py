"""A device's state as the status page and the API report it, including the silence alert."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from server.storage.models import Device
from server.web.formatting import to_utc

CLOCK_OFFSET_ALERT_S = 0.02
"""Sound and image must agree within 20 ms; a clock further off than that undermines evidence."""


@dataclass(frozen=True)
class DeviceState:
    device: Device
    online: bool
    silent_s: float | None  # seconds since the last message; None if never heard from
    silent_alert: bool
    clock_alert: bool

    @property
    def conditions(self) -> list[str]:
        """What the device's last heartbeat said is wrong, in its own words (`Heartbeat.conditions`,
        validated on ingest), its refused config included."""
        health = self.device.last_health or {}
        found = [c for c in health.get("conditions") or [] if isinstance(c, str)]
        if isinstance(health.get("config_error"), str):
            found.append(f"config refused: {health['config_error']}")
        return found

    @property
    def alerts(self) -> list[str]:
        """Stable alert words (translated on the page): silent, never_seen, clock, dead_channels,
        revoked, and from the last heartbeat audio, camera, wind, hot, disk, config and condition (any
        other).

        Why the heartbeat's conditions: an array that delivers only silence, a camera that does
        not open or an outbox filling its disk leave the device online and talking, so neither
        the silence timer nor the retained status shows them; for months the zone would simply
        produce no evidence."""
        words = []
        if self.device.revoked:
            words.append("revoked")
        if self.silent_s is None:
            words.append("never_seen")
        elif self.silent_alert:
            words.append("silent")
        if self.clock_alert:
            words.append("clock")
        if self.device.dead_channels:
            words.append("dead_channels")
        for c in self.conditions:
            word = next((w for w in _CONDITION_WORDS if c.startswith(w)), "condition")
            if word not in words:
                words.append(word)
        if (self.device.last_health or {}).get("quota_alarm") is True and "disk" not in words:
            words.append("disk")
        return words


# Heartbeat conditions by their first word (edge.node.runner.Node.pipeline_health and
# edge.transport.health.HealthReporter, `conditions` above); anything else is shown as
# "condition", its text beside it.
_CONDITION_WORDS = ("audio", "camera", "config", "wind", "hot", "storage", "disk")


def device_state(device: Device, now: datetime, silent_after_s: float) -> DeviceState:
    """Online means the retained status says so *and* the device spoke recently enough.

    A device that lost power without its last will reaching the broker still reads "online"
    in the retained topic; the silence timer is what catches it.
    """
    silent = (now - to_utc(device.last_seen)).total_seconds() if device.last_seen else None
    silent_alert = silent is None or silent > silent_after_s
    clock_alert = device.clock_synced is False or (
        device.clock_offset_s is not None and abs(device.clock_offset_s) > CLOCK_OFFSET_ALERT_S
    )
    online = device.status == "online" and not silent_alert and not device.revoked
    return DeviceState(device, online, silent, silent_alert and not device.revoked, clock_alert)
