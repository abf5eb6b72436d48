"""A replay that keeps the per-hop story: p(horn), level and detections at every hop, and the
fate of every track (an event, or the rule that dropped it).

The events alone say what the node reported; the report must also show why — how close the
detector came on the hops that were not reported, and where the localizer pointed meanwhile.
The analyzer's observer hook hands over one `HopInfo` per hop; this module collects them into
arrays beside the events, running the scene through the same `Analyzer` and `SceneSource` as
`edge.analysis.replay.replay_scene` (so the events are the ones the plain replay writes).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from edge.analysis.analyzer import HopInfo
from edge.analysis.config import AnalysisConfig
from edge.analysis.detections import TrackFate
from edge.analysis.events import HornEvent
from edge.analysis.replay import analyzer_for_scene
from edge.scene import Scene
from edge.scoring import Scores, score_events
from edge.sources.scene import SceneSource


@dataclass
class HopTrace:
    """Per-hop numbers as arrays (one row per hop), filled by `observe` from the analyzer's hook."""

    t: list[float] = field(default_factory=list)
    p_horn: list[float] = field(default_factory=list)
    level_db: list[float] = field(default_factory=list)  # NaN when uncalibrated or silent
    wind: list[bool] = field(default_factory=list)
    peaks: list[tuple[float, float, float, float]] = field(default_factory=list)  # (t, az, el, power)

    def observe(self, info: HopInfo) -> None:
        self.t.append(info.t)
        self.p_horn.append(info.p_horn)
        self.level_db.append(np.nan if info.level_db is None else info.level_db)
        self.wind.append(info.wind)
        for az, el, power in info.peaks:
            self.peaks.append((info.t, az, el, power))

    def arrays(self) -> dict[str, np.ndarray]:
        return {
            "t": np.asarray(self.t, float),
            "p_horn": np.asarray(self.p_horn, float),
            "level_db": np.asarray(self.level_db, float),
            "wind": np.asarray(self.wind, bool),
            "peaks": np.asarray(self.peaks, float).reshape(-1, 4),
        }


@dataclass
class ReplayRun:
    """One scene replayed under one setting: what the report and the sweep table are made of."""

    scene: Scene
    config: AnalysisConfig
    setting: str  # the overrides as the user wrote them, "defaults" when none
    events: list[HornEvent]
    trace: HopTrace
    wall_s: float
    fates: list[TrackFate] = field(default_factory=list)  # every track's fate (`Tracker.on_fate`)

    @property
    def lines(self) -> list[dict]:
        return [e.to_json() for e in self.events]

    @property
    def scores(self) -> Scores | None:
        return score_events(self.lines, self.scene.truth) if self.scene.truth is not None else None

    @property
    def name(self) -> str:
        return self.scene.directory.name


def run_traced(
    scene: Scene,
    config: AnalysisConfig,
    setting: str = "defaults",
    block_size: int = 2400,
    on_block: Callable[[float], None] | None = None,
) -> ReplayRun:
    """Replay `scene` block by block, collecting hops; `on_block(seconds)` hears each block's length."""
    analyzer = analyzer_for_scene(scene, config)
    trace = HopTrace()
    analyzer.add_observer(trace.observe)
    fates: list[TrackFate] = []
    analyzer.add_track_observer(fates.append)
    events: list[HornEvent] = []
    began = time.perf_counter()
    with SceneSource(scene, block_size) as source:
        for start, block in source:
            events.extend(analyzer.feed(block, start))
            if on_block is not None:
                on_block(len(block) / scene.sample_rate)
    events.extend(analyzer.flush())
    return ReplayRun(scene, config, setting, events, trace, time.perf_counter() - began, fates)
