"""The node's run loop: source → Analyzer → (enforcement hours) → evidence sink → outbox/publisher.

One thread does the analysis; capture, camera, evidence building, MQTT and the systemd
watchdog each have their own. Everything that changes at run time — a pushed config, a stop
request — is applied between two blocks, so the analysis never sees a half-applied setting.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np

from edge.analysis.analyzer import Analyzer
from edge.analysis.events import HornEvent
from edge.analysis.health import SILENT_DBFS, typical_level
from edge.camera.capture import CameraCapture
from edge.config.node import LiveSettings
from edge.evidence.sink import EvidenceSink
from edge.node.clock import StreamUtc
from edge.node.enforcement import EnforcementWindow
from edge.node.levels import SILENT_SHARE, LevelMeter
from edge.node.media import LiveMedia
from edge.node.systemd import SystemdNotifier
from edge.sources.base import ArraySource
from edge.sources.ring import AudioRing
from edge.transport.health import PipelineHealth

log = logging.getLogger(__name__)

_HOLD_MARGIN_S = 0.5  # sound travel time and the hops before a track opens
# A heartbeat condition when wind blew in at least this share of the interval (gusts come and go).
WIND_SHARE = 0.2


@dataclass
class NodeStats:
    """Counters an operator reads in the log and the heartbeat; statistics are kept at all hours."""

    blocks: int = 0
    events: int = 0
    evidence: int = 0
    outside_hours: int = 0
    not_enforceable: int = 0
    analysis_s: float = 0.0
    config_changes: int = 0
    events_by_hour: dict[int, int] = field(default_factory=dict)


class Node:
    def __init__(
        self,
        source: ArraySource,
        analyzer: Analyzer,
        live: LiveSettings,
        *,
        ring: AudioRing | None = None,
        sink: EvidenceSink | None = None,
        camera: CameraCapture | None = None,
        utc: StreamUtc | None = None,
        notifier: SystemdNotifier | None = None,
        source_status: Callable[[], tuple[str, int, int]] | None = None,
        on_event: Callable[[HornEvent, bool], None] | None = None,
        media: LiveMedia | None = None,
    ) -> None:
        self.source = source
        self.analyzer = analyzer
        self.ring = ring  # filled here when the source has no ring of its own (scene, simulator)
        self.sink = sink
        self.camera = camera
        self.utc = utc or StreamUtc()
        self.notifier = notifier or SystemdNotifier()
        self.source_status = source_status  # (state, overflows, dropped frames) of a live source
        self.on_event = on_event
        self.media = media
        self.stats = NodeStats()
        self._live = live
        self._window = EnforcementWindow(live.enforcement)
        self._pending_live: LiveSettings | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._progress = time.monotonic()
        self._levels = LevelMeter()
        self._wind_seen = (0, 0)  # the analyzer's (hops, wind hops) at the previous heartbeat
        self._dropped_seen = 0  # the source's dropped frames at the previous heartbeat
        self._apply_live(live)

    # ----- control (any thread) -----

    def request_stop(self) -> None:
        """Finish the current block and shut down cleanly (SIGTERM, SIGINT); `run` closes the source."""
        self._stop.set()
        self.source.stop()

    def update_live(self, live: LiveSettings) -> None:
        """A validated pushed config; applied before the next block."""
        with self._lock:
            self._pending_live = live

    @property
    def live(self) -> LiveSettings:
        return self._live

    # ----- the loop -----

    def run(self) -> NodeStats:
        fs = self.analyzer.sample_rate
        watchdog = threading.Thread(target=self._watchdog, name="honkwatch-watchdog", daemon=True)
        watchdog.start()
        self.notifier.notify("READY=1\nSTATUS=analysing")
        try:
            for start, block in self.source:
                if self._stop.is_set():
                    break
                self._take_pending_live()
                t_end = (start + len(block)) / fs
                self.utc.update(t_end)
                if self.ring is not None:
                    self.ring.write(block)
                t0 = time.perf_counter()
                events = self.analyzer.feed(block, start)
                self.stats.analysis_s += time.perf_counter() - t0
                self.stats.blocks += 1
                self._levels.add(block)
                for event in events:
                    self._handle(event)
                self._hold_frames()
                if self.sink is not None:
                    self.sink.advance(t_end)
                self._progress = time.monotonic()
            if not self._stop.is_set():
                for event in self.analyzer.flush():
                    self._handle(event)
        finally:
            self._stop.set()
            self.notifier.notify("STOPPING=1")
            if self.sink is not None:
                self.sink.close()
            if self.camera is not None:
                self.camera.stop()
            self.source.close()
        return self.stats

    def _handle(self, event: HornEvent) -> None:
        self.stats.events += 1
        when = self.utc(event.t_start)
        hour = when.hour
        self.stats.events_by_hour[hour] = self.stats.events_by_hour.get(hour, 0) + 1
        enforcing = self._window.active(when)
        evidence = False
        if not enforcing:
            self.stats.outside_hours += 1
        elif not event.enforceable:
            self.stats.not_enforceable += 1
        elif self.sink is not None:
            if self.media is not None:
                self.media.pin(event)
            self.sink.submit(event)
            self.stats.evidence += 1
            evidence = True
        log.info(
            "horn %.2f-%.2f s az %.1f el %.1f conf %.2f: %s",
            event.t_start,
            event.t_end,
            event.azimuth_deg,
            event.elevation_deg,
            event.confidence,
            "evidence" if evidence else ("outside enforcement hours" if not enforcing else "statistics only"),
        )
        if self.on_event is not None:
            self.on_event(event, evidence)

    def _hold_frames(self) -> None:
        """Keep camera frames from the start of any horn still being tracked (its picture may lie there)."""
        if self.camera is None:
            return
        tracker = self.analyzer.tracker
        starts = [t.t_start for t in tracker.active] + [t.t_start for t in tracker.pending]
        self.camera.ring.hold_from(min(starts) - _HOLD_MARGIN_S if starts else None)

    # ----- live config -----

    def _take_pending_live(self) -> None:
        with self._lock:
            live, self._pending_live = self._pending_live, None
        if live is not None:
            self._apply_live(live)
            self.stats.config_changes += 1
            log.info(
                "live settings applied: threshold %.2f, hours %s",
                live.detector.threshold,
                live.enforcement.hours,
            )

    def _apply_live(self, live: LiveSettings) -> None:
        cfg = self.analyzer.cfg
        cfg.detector.threshold = live.detector.threshold
        cfg.detector.release = live.detector.release
        self.analyzer.tracker.threshold = live.detector.threshold
        self.analyzer.tracker.release = live.detector.release
        for name in type(live.tracker).model_fields:
            setattr(cfg.tracker, name, getattr(live.tracker, name))
        self._window = EnforcementWindow(live.enforcement)
        self._live = live

    # ----- health -----

    def pipeline_health(self) -> PipelineHealth:
        """The run loop's part of the heartbeat."""
        state, overflows, dropped = self.source_status() if self.source_status else ("running", 0, 0)
        levels = self._levels.take()
        rms = levels.channel_rms_db
        dead: list[int] = []
        if rms:
            typical = typical_level(np.asarray(rms))  # the analysis's own reference
            dead = [
                i for i, v in enumerate(rms) if v < typical - self.analyzer.cfg.health.dead_below_median_db
            ]
        cam = self.camera.status() if self.camera is not None else None
        # Opening and closing are no fault: a beat sent while the node starts or stops must not
        # leave the device page showing an audio fault until the next start.
        conditions = [] if state in ("running", "starting", "closed") else [f"audio {state}"]
        lost, self._dropped_seen = dropped - self._dropped_seen, dropped
        if lost > 0:
            # Audio the analysis never heard: it fell behind (a throttled CPU) or the device stalled.
            conditions.append(
                f"audio dropped: {lost / self.analyzer.sample_rate:.1f} s lost since the last heartbeat"
            )
        if levels.silent_share >= SILENT_SHARE:
            # The analysis detects nothing in such audio (`HealthState.silent`): say so, or an
            # unplugged or muted array would look like a quiet street for months.
            conditions.append(
                f"audio silent: no channel above {SILENT_DBFS:g} dBFS in "
                f"{levels.silent_share:.0%} of the audio since the last heartbeat"
            )
        wind = self._wind_share()
        if wind >= WIND_SHARE:
            # Events in wind are not evidence: say why the zone goes quiet (a gale, or a torn
            # windscreen on the array), or nobody learns it from a zone that stopped reporting.
            conditions.append(
                f"wind: enforcement suspended for {wind:.0%} of the time since the last heartbeat"
            )
        held = self.sink.held() if self.sink is not None else None
        if held is not None and held.bundles:
            # Signed evidence no destination would take (a full disk): it lives only in memory.
            conditions.append(
                f"storage: {held.bundles} bundle(s) of evidence ({held.bytes / 1e6:.1f} MB) held in "
                f"memory, not yet stored ({held.last_error}); lost if the node restarts"
            )
        if cam is not None and cam.state not in ("starting", "running", "ended", "stopped"):
            conditions.append(f"camera {cam.state}" + (f": {cam.last_error}" if cam.last_error else ""))
        block = max(1, round(self.analyzer.sample_rate * 0.05))
        return PipelineHealth(
            dropped_blocks=dropped // block,
            overflows=overflows,
            channel_rms_db=rms,
            dead_channels=dead,
            camera_fps=cam.fps if cam else None,
            camera_state=cam.state if cam else "absent",
            conditions=conditions,
            enforcing=self._window.active(datetime.now(UTC)),
        )

    def _wind_share(self) -> float:
        """Share of the hops analysed since the previous heartbeat in which wind blew."""
        hops, wind = self.analyzer.hops, self.analyzer.wind_hops
        (h0, w0), self._wind_seen = self._wind_seen, (hops, wind)
        # The two counters are read while the analysis may move on between them: clamp.
        return min(1.0, (wind - w0) / (hops - h0)) if hops > h0 else 0.0

    # ----- systemd watchdog -----

    def _watchdog(self) -> None:
        """Pet systemd's watchdog while the loop makes progress, or while the source is reconnecting.

        A hung analysis loop stops the petting and systemd restarts the node; a missing sound card
        does not (a restart cannot plug it back in — the heartbeat reports it instead).
        """
        period = self.notifier.watchdog_s
        if period is None:
            return
        while not self._stop.wait(period / 3):
            stalled_for = time.monotonic() - self._progress
            waiting = self.source_status is not None and self.source_status()[0] in ("stalled", "reopening")
            if stalled_for < period / 2 or waiting:
                self.notifier.notify("WATCHDOG=1")
