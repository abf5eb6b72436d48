"""The whole node config (`honk-edge run --config FILE`) and its live-changeable part.

`NodeConfig` is read once from TOML at start. `LiveSettings` is what the server's retained
config topic may change while the node runs — detector thresholds, tracker settings and
enforcement hours — and nothing else: a push that touches the broker or the geometry is
refused with the name of the key, because those need a restart to take effect honestly.
"""

from __future__ import annotations

from pydantic import Field

from edge.analysis.config import AnalysisConfig, TrackerConfig
from edge.config.sections import (
    AudioSection,
    BrokerSection,
    CameraSection,
    DeviceSection,
    EnforcementSection,
    HealthSection,
    OutboxSection,
    Section,
)


class NodeConfig(Section):
    device: DeviceSection
    audio: AudioSection = Field(default_factory=AudioSection)
    camera: CameraSection = Field(default_factory=CameraSection)
    analysis: AnalysisConfig = Field(default_factory=AnalysisConfig)
    enforcement: EnforcementSection = Field(default_factory=EnforcementSection)
    broker: BrokerSection = Field(default_factory=BrokerSection)
    outbox: OutboxSection = Field(default_factory=OutboxSection)
    health: HealthSection = Field(default_factory=HealthSection)

    def live(self) -> LiveSettings:
        return LiveSettings(
            detector=LiveDetector(
                threshold=self.analysis.detector.threshold, release=self.analysis.detector.release
            ),
            tracker=self.analysis.tracker.model_copy(),
            enforcement=self.enforcement.model_copy(),
        )


class LiveDetector(Section):
    """The detector settings that take effect between two blocks (the rest shape the analysis itself)."""

    threshold: float = Field(0.5, gt=0, lt=1)
    release: float = Field(0.3, gt=0, lt=1)


class LiveSettings(Section):
    """The settings the retained config topic may change without a restart."""

    detector: LiveDetector = Field(default_factory=LiveDetector)
    tracker: TrackerConfig = Field(default_factory=TrackerConfig)
    enforcement: EnforcementSection = Field(default_factory=EnforcementSection)
