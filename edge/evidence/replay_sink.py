"""`honk-edge replay --evidence-dir/--publish`: the replay's evidence, through the node's own sink.

The key, the outbox and publisher, and the scene as `EventMedia` are set up here, and the replay
loop feeds the same `Analyzer` as `edge.analysis.replay.replay_scene` while telling the sink
where the stream is, so the bundles a replay writes are built exactly as the live node builds
them. `--realtime` paces the blocks at the audio's own rate, which is what makes the measured
latency (horn end → evidence stored) the latency a live node would have.
"""

from __future__ import annotations

import argparse
import hashlib
import time
from typing import TYPE_CHECKING, Any

from edge import __version__
from edge.analysis.config import AnalysisConfig
from edge.analysis.events import HornEvent
from edge.analysis.replay import analyzer_for_scene
from edge.errors import UserFacingError
from edge.evidence.builder import EvidenceBuilder, EvidenceOptions, PlateLookup
from edge.evidence.scene_media import SceneMedia, scene_site, scene_utc
from edge.evidence.sink import DirectoryDestination, EvidenceDestination, EvidenceSink, OutboxDestination
from edge.scene.model import Scene
from edge.sources.scene import SceneSource
from edge.transport.health import ClockState

if TYPE_CHECKING:
    from edge.transport.publisher import Publisher

DEFAULT_OUTBOX_QUOTA = 2 * 1024**3


class ReplayEvidence:
    """The evidence side of one replay: a sink plus, with --publish, the outbox and publisher."""

    def __init__(
        self, sink: EvidenceSink, media: SceneMedia, publisher: Publisher | None, ack_wait_s: float
    ) -> None:
        self.sink = sink
        self.media = media
        self.publisher = publisher
        self.ack_wait_s = ack_wait_s

    def replay(
        self, scene: Scene, config: AnalysisConfig, block_size: int, realtime: bool
    ) -> list[HornEvent]:
        """Run the scene through the analyzer block by block, handing closed events to the sink.

        The sink hears of each block when it *arrives* (before the analysis of it), so a
        horn's end is stamped with the wall time its sound reached the node.
        """
        analyzer = analyzer_for_scene(scene, config)
        events: list[HornEvent] = []
        began = time.monotonic()
        with SceneSource(scene, block_size) as source:
            for start, block in source:
                stream_t = (start + len(block)) / scene.sample_rate
                if realtime:
                    time.sleep(max(0.0, began + stream_t - time.monotonic()))
                self.sink.advance(stream_t)
                closed = analyzer.feed(block, start)
                for event in closed:
                    self.sink.submit(event)
                events.extend(closed)
        for event in analyzer.flush():
            self.sink.submit(event)
            events.append(event)
        return events

    def finish(self) -> dict[str, Any]:
        """Build what is left, wait for acks (with --publish), release everything; returns the summary."""
        try:
            self.sink.close()
        finally:
            self.media.close()
        summary: dict[str, Any] = dict(self.sink.latency_summary())
        if self.sink.failures:
            summary["failures"] = list(self.sink.failures)
        if self.publisher is not None:
            outbox = self.publisher.outbox
            deadline = time.monotonic() + self.ack_wait_s
            while outbox.stats().pending and time.monotonic() < deadline:
                time.sleep(0.05)
            summary["outbox_pending"] = outbox.stats().pending
            summary["broker"] = self.publisher.status().state
            self.publisher.stop()
            outbox.close()
        return summary


def _plate_lookup(scene: Scene) -> PlateLookup:
    """The truth plate of the horn nearest in time to the event (simulated scenes only)."""
    truths = [e for e in (scene.truth.events if scene.truth else []) if e.plate]
    if not truths:
        raise UserFacingError(f"--plate-from-truth: {scene.directory} has no truth.json plates")

    def lookup(event: HornEvent) -> str | None:
        mid = 0.5 * (event.t_start + event.t_end)
        best = min(
            truths,
            key=lambda e: (
                0.0 if e.t_start <= mid <= e.t_end else min(abs(mid - e.t_start), abs(mid - e.t_end))
            ),
        )
        return best.plate if best.t_start - 1.0 <= mid <= best.t_end + 1.0 else None

    return lookup


def _broker(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":") if ":" in text else (text, "", "1883")
    try:
        return host, int(port)
    except ValueError:
        raise UserFacingError(f"--broker {text!r}: expected HOST or HOST:PORT") from None


def analysis_entry(config: AnalysisConfig) -> dict[str, str]:
    """The manifest's record of what decided "horn": the analysis settings, by content hash.

    Until the ONNX classifier runs inside the analyzer, the detector and localizer settings are
    the decision's whole "model"; a changed threshold shows up as a different hash.
    """
    digest = hashlib.sha256(config.model_dump_json().encode("utf-8")).hexdigest()
    return {"name": "analysis-config", "version": f"honkwatch {__version__}", "sha256": digest}


def open_replay_evidence(args: argparse.Namespace, scene: Scene, config: AnalysisConfig) -> ReplayEvidence:
    """The evidence sink for `--evidence-dir` and/or `--publish` (the caller checks one is given)."""
    from edge.evidence.keys import default_key_file, load_or_create_key

    key = load_or_create_key(args.key_file or default_key_file())
    site = scene_site(scene, device=args.device, zone=args.zone, models=(analysis_entry(config),))
    # A replay's times come from the recording; whether that clock was synchronised is not recorded.
    clock = ClockState(synced=None, source="replay", offset_s=None)
    builder = EvidenceBuilder(
        site,
        key,
        scene_utc(scene),
        lambda: clock,
        EvidenceOptions(),
        plate_of=_plate_lookup(scene) if args.plate_from_truth else None,
    )
    destinations: list[EvidenceDestination] = []
    publisher = None
    if args.evidence_dir is not None:
        try:
            destinations.append(DirectoryDestination(args.evidence_dir))
        except OSError as exc:
            raise UserFacingError(
                f"--evidence-dir {args.evidence_dir}: cannot create it ({exc.strerror})"
            ) from None
    if args.publish:
        from edge.transport.outbox import Outbox
        from edge.transport.publisher import MqttSettings, Publisher

        host, port = _broker(args.broker)
        outbox = Outbox(
            args.outbox or default_key_file().parent / "outbox.sqlite", quota_bytes=DEFAULT_OUTBOX_QUOTA
        )
        publisher = Publisher(
            site.device, MqttSettings(host=host, port=port, protocol=args.mqtt_protocol), outbox
        )
        publisher.start()
        destinations.append(OutboxDestination(publisher.submit))
    media = SceneMedia(scene)
    return ReplayEvidence(EvidenceSink(builder, media, destinations), media, publisher, args.ack_wait)
