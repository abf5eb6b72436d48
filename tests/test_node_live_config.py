"""The retained config topic's payload applied to a running node: hours and thresholds, nothing else."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from node_support import simulate
from pydantic import ValidationError

from edge.analysis.config import AnalysisConfig
from edge.analysis.replay import analyzer_for_scene
from edge.config import NodeConfig
from edge.node.runner import Node
from edge.scene import load_scene
from edge.sources.scene import SceneSource
from edge.transport.remote_config import RemoteConfig


@pytest.fixture(scope="module")
def scene(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return simulate(tmp_path_factory.mktemp("live") / "scene", seconds=2.5, seed=8)


def test_pushed_hours_and_threshold_take_effect_without_restart(scene: Path) -> None:
    sc = load_scene(scene)
    cfg = NodeConfig.model_validate({"device": {"id": "n", "zone": "z", "profile": "pole-spiral64"}})
    analyzer = analyzer_for_scene(sc, AnalysisConfig())
    node = Node(SceneSource(sc), analyzer, cfg.live())
    remote = RemoteConfig(cfg.live(), on_change=node.update_live)

    # Keys that need a restart are refused, naming the key; the running settings stay.
    with pytest.raises(ValidationError, match="localizer"):
        remote.apply({"localizer": {"method": "das"}})
    with pytest.raises(ValidationError, match="threshold"):
        remote.apply({"detector": {"threshold": 7}})
    assert remote.current.detector.threshold == 0.7  # the default, untouched by the refused push

    later = datetime.now(UTC) + timedelta(hours=2)
    remote.apply(
        {"detector": {"threshold": 0.55}, "enforcement": {"hours": [f"{later:%H}:00-{later:%H}:30"]}}
    )
    stats = node.run()
    assert stats.config_changes == 1
    assert analyzer.cfg.detector.threshold == 0.55 and analyzer.tracker.threshold == 0.55
    assert stats.events >= 1 and stats.outside_hours == stats.events and stats.evidence == 0
