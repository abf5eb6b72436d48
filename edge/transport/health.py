"""The heartbeat on `honkwatch/v1/{device}/health`: what an operator needs to trust the node from afar.

The pipeline's numbers (dropped blocks, channel levels, camera rate) come from the run loop
through a callable; the node's own facts (outbox depth, CPU temperature, clock sync) are read
here. A clock whose sync cannot be established is reported as unknown (`synced: null`), never
guessed, because a defence attacks evidence timestamps first.
"""

from __future__ import annotations

import shutil
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from edge.evidence.bundle import format_utc
from edge.transport.outbox import Outbox

THERMAL_DIR = Path("/sys/class/thermal")


@dataclass(frozen=True)
class PipelineHealth:
    """What the run loop reports each heartbeat (all optional: a replay has no camera)."""

    dropped_blocks: int = 0
    overflows: int = 0
    channel_rms_db: list[float] = field(default_factory=list)
    dead_channels: list[int] = field(default_factory=list)
    camera_fps: float | None = None
    camera_state: str = "absent"
    conditions: list[str] = field(default_factory=list)
    enforcing: bool = False


@dataclass(frozen=True)
class ClockState:
    """Clock sync as the evidence manifest and the heartbeat state it (None = unknown)."""

    synced: bool | None
    source: str | None
    offset_s: float | None

    def for_manifest(self) -> dict[str, Any]:
        """The manifest's `clock` block; an unknown sync state counts as not synced."""
        return {"synced": bool(self.synced), "source": self.source, "offset_s": self.offset_s}


UNKNOWN_CLOCK = ClockState(synced=None, source=None, offset_s=None)


CONDITION_MAX_CHARS = 300
HOT_CPU_C = 80.0  # a heartbeat condition from here: 5 °C before a Raspberry Pi 5 throttles


def read_cpu_temp_c(thermal_dir: Path = THERMAL_DIR) -> float | None:
    """The hottest CPU-ish thermal zone in °C, or None where the kernel exposes none (VMs, containers)."""
    cpu, other = [], []
    for zone in sorted(thermal_dir.glob("thermal_zone*")):
        try:
            kind = (zone / "type").read_text().strip().lower()
            celsius = int((zone / "temp").read_text().strip()) / 1000.0
        except (OSError, ValueError):
            continue
        is_cpu = any(word in kind for word in ("cpu", "soc", "x86_pkg", "core", "arm"))
        (cpu if is_cpu else other).append(celsius)
    temps = cpu or other
    return max(temps) if temps else None


def parse_chronyc_tracking(csv_line: str) -> ClockState:
    """Parse `chronyc -c tracking`: field 4 is the system clock's offset (s), the last the leap status."""
    fields = csv_line.strip().split(",")
    if len(fields) < 14:
        return UNKNOWN_CLOCK
    try:
        offset = float(fields[4])
        stratum = int(fields[2])
    except ValueError:
        return UNKNOWN_CLOCK
    leap = fields[-1].strip()
    synced = leap != "Not synchronised" and fields[0] != "00000000" and 0 < stratum < 16
    return ClockState(synced=synced, source="chrony", offset_s=offset)


class ClockMonitor:
    """Asks chrony at most once per `ttl_s` (it forks a process); unknown where chrony is absent."""

    def __init__(self, ttl_s: float = 60.0, chronyc: str | None = None) -> None:
        self.ttl_s = ttl_s
        self._chronyc = chronyc or shutil.which("chronyc")
        self._lock = threading.Lock()
        self._state = UNKNOWN_CLOCK
        self._read_at = float("-inf")

    def state(self) -> ClockState:
        with self._lock:
            if time.monotonic() - self._read_at >= self.ttl_s:
                self._state = self._query()
                self._read_at = time.monotonic()
            return self._state

    def _query(self) -> ClockState:
        if self._chronyc is None:
            return UNKNOWN_CLOCK
        try:
            out = subprocess.run(
                [self._chronyc, "-c", "tracking"], capture_output=True, text=True, timeout=2, check=False
            )
        except (OSError, subprocess.TimeoutExpired):
            return UNKNOWN_CLOCK
        if out.returncode != 0 or not out.stdout.strip():
            return UNKNOWN_CLOCK
        return parse_chronyc_tracking(out.stdout.splitlines()[0])


class HealthReporter:
    """Builds the heartbeat payload (docs/evidence-format.md) from the node's parts."""

    def __init__(
        self,
        device: str,
        outbox: Outbox,
        pipeline: Callable[[], PipelineHealth] | None = None,
        clock: ClockMonitor | None = None,
        thermal_dir: Path = THERMAL_DIR,
    ) -> None:
        self.device = device
        self.outbox = outbox
        self.pipeline = pipeline or PipelineHealth
        self.clock = clock or ClockMonitor()
        self.thermal_dir = thermal_dir
        self._started = time.monotonic()

    def __call__(self) -> dict[str, Any]:
        box = self.outbox.stats()
        pipe = self.pipeline()
        clock = self.clock.state()
        temp = read_cpu_temp_c(self.thermal_dir)
        # Bounded: the server refuses a heartbeat whose condition text runs past 500 characters (a
        # camera's error message can be long), and a refused heartbeat would leave the device silent.
        conditions = [c[:CONDITION_MAX_CHARS] for c in pipe.conditions]
        if temp is not None and temp >= HOT_CPU_C:
            # A Pi 5 throttles at 85 °C, and a throttled analysis drops audio: a pole in the sun
            # needs shade or a fan, and the operator learns it before the zone goes quiet.
            conditions.append(f"hot: CPU at {temp:.0f} °C")
        if self.outbox.moved_aside:
            conditions.append(
                f"storage: the outbox was unreadable ({self.outbox.moved_aside}); "
                "a new one took its place and the evidence it held was not sent"
            )
        if box.low_disk:
            # Whatever filled it, the operator hears of it while evidence is still being stored.
            conditions.append(
                f"disk low: {box.disk_free_bytes / 1e6:.0f} MB free on the outbox's disk, under the "
                f"{box.keep_free_bytes / 1e6:.0f} MB kept free; acknowledged local copies are given up first"
            )
        return {
            "device": self.device,
            "time_utc": format_utc(datetime.now(UTC)),
            "uptime_s": round(time.monotonic() - self._started, 1),
            "queue_depth": box.pending,
            "outbox_bytes": box.total_bytes,
            "quota_alarm": box.quota_alarm,
            "dropped_blocks": pipe.dropped_blocks,
            "overflows": pipe.overflows,
            "channel_rms_db": [round(v, 1) for v in pipe.channel_rms_db],
            "dead_channels": list(pipe.dead_channels),
            "camera_fps": pipe.camera_fps,
            "camera_state": pipe.camera_state,
            "cpu_temp_c": temp,
            "clock": {"synced": clock.synced, "offset_s": clock.offset_s},
            "conditions": conditions,
            "enforcing": pipe.enforcing,
        }
