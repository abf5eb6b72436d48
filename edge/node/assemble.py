"""Build a running node from its config: profile, source, camera, analyzer, evidence, transport.

Everything that can be wrong with the device's setup (config, profile, key, sound card, broker
password file) fails here, before READY, with one message; a camera or broker that is merely
unreachable is not a reason to refuse: the node runs degraded and says so in its heartbeat.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from edge.analysis.analyzer import Analyzer
from edge.analysis.replay import analyzer_for_scene
from edge.camera.capture import CameraCapture
from edge.camera.ring import FrameRing
from edge.config.node import LiveSettings, NodeConfig
from edge.errors import UserFacingError
from edge.evidence.builder import EvidenceBuilder, EvidenceOptions, EvidenceSite
from edge.evidence.keys import default_key_file, load_key
from edge.evidence.replay_sink import analysis_entry
from edge.evidence.sink import DirectoryDestination, EvidenceDestination, EvidenceSink, OutboxDestination
from edge.geometry.profiles import DeviceProfile, load_profile
from edge.node.clock import StreamUtc
from edge.node.media import LiveMedia
from edge.node.runner import Node
from edge.scene import Scene
from edge.sources.ring import AudioRing
from edge.transport.health import ClockMonitor, HealthReporter
from edge.transport.outbox import Outbox
from edge.transport.publisher import Publisher
from edge.transport.remote_config import RemoteConfig

log = logging.getLogger(__name__)


@dataclass
class RunningNode:
    """The node and what must be stopped after it."""

    node: Node
    outbox: Outbox
    publisher: Publisher | None
    remote: RemoteConfig[LiveSettings]
    extra: dict[str, Any] = field(default_factory=dict)

    def shutdown(self) -> None:
        if self.publisher is not None:
            self.publisher.stop()
        self.outbox.close()


def assemble(config: NodeConfig, scene: Scene | None = None, evidence_dir: Path | None = None) -> RunningNode:
    """The node for `config`; with `scene`, its audio and video replace the sound card and camera (real time)."""
    profile = load_profile(config.device.profile)
    key = load_key(config.device.key_file or default_key_file())
    utc = StreamUtc()
    frames = FrameRing(config.camera.ring_s, keep_s=config.camera.keep_s)
    if scene is not None:
        source, ring, camera, analyzer, status = _scene_parts(config, scene, frames)
    else:
        source, ring, camera, analyzer, status = _live_parts(config, profile, frames)
    site = EvidenceSite(
        device=config.device.id,
        zone=config.device.zone,
        array_name=profile.array.name if scene is None else scene.array_name,
        positions_m=analyzer.positions,
        sample_rate=analyzer.sample_rate,
        full_scale_pa=analyzer.full_scale_pa,
        camera=analyzer.camera,
        mount=profile.mount,
        profile=profile.name,
        models=(analysis_entry(config.analysis),),
    )
    clock = ClockMonitor()
    builder = EvidenceBuilder(site, key, utc, clock.state, EvidenceOptions())
    media = LiveMedia(ring, frames if camera is not None else None)
    outbox = _open_outbox(config)
    destinations: list[EvidenceDestination] = []
    if evidence_dir is not None:
        destinations.append(DirectoryDestination(evidence_dir))
    node = Node(
        source,
        analyzer,
        config.live(),
        ring=ring if scene is not None else None,
        camera=camera,
        utc=utc,
        source_status=status,
        media=media,
    )
    remote: RemoteConfig[LiveSettings] = RemoteConfig(config.live(), on_change=node.update_live)
    publisher = None
    if config.broker.enabled:
        try:
            settings = config.broker.mqtt_settings(config.health.interval_s)
        except ValueError as exc:
            raise UserFacingError(str(exc).splitlines()[-1].strip()) from None
        reporter = HealthReporter(config.device.id, outbox, node.pipeline_health, clock)
        publisher = Publisher(config.device.id, settings, outbox, health=reporter, on_config=remote.apply)
        destinations.append(OutboxDestination(publisher.submit))
    else:
        destinations.append(OutboxDestination(outbox.put))
    node.sink = EvidenceSink(builder, media, destinations, journal=outbox.put_provisional)
    if camera is not None:
        camera.start()
    if publisher is not None:
        publisher.start()
    return RunningNode(node, outbox, publisher, remote)


def _open_outbox(config: NodeConfig) -> Outbox:
    try:
        config.outbox.path.parent.mkdir(parents=True, exist_ok=True)
        return config.outbox.open()
    except Exception as exc:  # sqlite3 and OS errors: an unwritable state directory
        raise UserFacingError(f"outbox.path {config.outbox.path}: cannot open ({exc})") from None


def _scene_parts(config: NodeConfig, scene: Scene, frames: FrameRing) -> tuple:
    from edge.sources.paced import PacedSource
    from edge.sources.scene import SceneSource

    source = PacedSource(SceneSource(scene, config.audio.block_size))
    ring = AudioRing(round(config.audio.ring_s * scene.sample_rate), scene.channels, scene.sample_rate)
    camera = None
    if config.camera.enabled and scene.video_path is not None:
        camera = _camera(
            config, str(scene.video_path), frames, source.stream_time, file_start_s=scene.video_start_s
        )
    analyzer = analyzer_for_scene(scene, config.analysis)
    return source, ring, camera, analyzer, None


def _live_parts(config: NodeConfig, profile: DeviceProfile, frames: FrameRing) -> tuple:
    from edge.sources.sounddevice_source import CaptureSettings, SounddeviceSource

    a = config.audio
    source = SounddeviceSource(
        CaptureSettings(
            device=a.device if a.device is not None else profile.audio_device,
            channel_map=profile.channel_map,
            sample_rate=profile.sample_rate,
            block_size=a.block_size,
            ring_s=a.ring_s,
            stall_s=a.stall_s,
            reopen_min_s=a.reopen_min_s,
            reopen_max_s=a.reopen_max_s,
            open_timeout_s=a.open_timeout_s,
        )
    )
    source.start()
    camera = None
    cam_source = config.camera.source if config.camera.source is not None else profile.camera_source
    if config.camera.enabled and profile.camera is not None and cam_source is not None:
        camera = _camera(config, cam_source, frames, lambda: source.stream_time(time.monotonic()))
    analyzer = Analyzer(
        config.analysis,
        profile.array.positions_m,
        profile.sample_rate,
        camera=profile.camera,
        mount=profile.mount,
        full_scale_pa=profile.full_scale_pa,
    )

    def status() -> tuple[str, int, int]:
        st = source.status()
        return st.state, st.overflows, st.dropped_frames

    return source, source.ring, camera, analyzer, status


def _camera(
    config: NodeConfig, src: str | int, frames: FrameRing, clock: Any, file_start_s: float = 0.0
) -> CameraCapture:
    c = config.camera
    return CameraCapture(
        src,
        frames,
        clock,
        latency_s=c.latency_s,
        file_start_s=file_start_s,
        pace=c.realtime,
        reconnect_min_s=c.reconnect_min_s,
        reconnect_max_s=c.reconnect_max_s,
        frozen_s=c.frozen_s,
        black_level=c.black_level,
    )
