"""What the evidence builder needs from the node's recent past: audio and camera frames around a horn.

Live, the audio and frame rings answer these calls; in a replay, the scene's files do
(`edge.evidence.scene_media.SceneMedia`). The builder sees only this protocol, so live and
replayed evidence are built by the same code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple, Protocol

import numpy as np


@dataclass(frozen=True)
class AudioSpan:
    """Raw array audio that starts at `start_s` on the stream clock; `samples` is (frames, channels)."""

    start_s: float
    sample_rate: int
    samples: np.ndarray

    @property
    def end_s(self) -> float:
        return self.start_s + len(self.samples) / self.sample_rate


class Frame(NamedTuple):
    """One camera image (BGR, uint8) with its time on the stream clock."""

    t: float
    image: np.ndarray


class EventMedia(Protocol):
    """The audio and frames the node still holds; requests outside what it holds are clipped to it."""

    sample_rate: int

    def audio(self, t0: float, t1: float) -> AudioSpan:
        """All channels for [t0, t1) on the stream clock, clipped to the audio that exists."""
        ...

    def frames_near(self, t: float, window_s: float = 0.2) -> list[Frame]:
        """Frames whose time lies within `window_s` of `t`, in time order (empty without a camera)."""
        ...
