"""The heartbeat's view of the audio: channel levels and silence over the interval between beats.

The run loop adds every block; the heartbeat thread takes one consistent summary per beat. A
summary of the whole interval, not of the last block, because a heartbeat comes once a minute:
the last 50 ms could be the one block a capture gap zero-filled, or the one that straddles it,
and a beat must not flip between "silent" and "sound" on which block happened to be last.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

from edge.analysis.health import SILENT_DBFS

# Reported as a condition when at least this share of the interval's audio was silent: the
# analysis searched none of it (`HealthState.silent`).
SILENT_SHARE = 0.5


@dataclass(frozen=True)
class LevelSummary:
    """Audio since the previous beat."""

    channel_rms_db: list[float]  # per channel, DC included: what arrives
    silent_share: float  # share of frames in blocks where no channel carried sound (DC left out)


def _db(x: np.ndarray) -> np.ndarray:
    return 20 * np.log10(np.clip(np.nan_to_num(np.sqrt(x)), 1e-10, 1e10))


class LevelMeter:
    """Accumulates blocks (run loop) and hands out interval summaries (heartbeat thread)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sum_sq: np.ndarray | None = None
        self._frames = 0
        self._silent_frames = 0
        self._last = LevelSummary([], 0.0)

    def add(self, block: np.ndarray) -> None:
        """One block (frames, channels). Its DC-free level comes from the mean square already at
        hand and the mean: a second pass over the block (np.std) cost 0.3 ms per 64-channel block."""
        if not block.size:
            return
        ms = np.mean(np.square(block, dtype=np.float64), axis=0)
        mean = np.mean(block, axis=0, dtype=np.float64)
        ac = float(np.nan_to_num(np.sqrt(np.maximum(ms - mean * mean, 0.0))).max())
        silent = 20 * np.log10(max(ac, 1e-10)) < SILENT_DBFS
        n = len(block)
        with self._lock:
            self._sum_sq = ms * n if self._sum_sq is None else self._sum_sq + ms * n
            self._frames += n
            self._silent_frames += n if silent else 0

    def take(self) -> LevelSummary:
        """The interval since the previous call, and start a new one. An interval in which no audio
        arrived repeats the previous summary; the capture state tells why nothing arrived."""
        with self._lock:
            if self._frames:
                self._last = LevelSummary(
                    _db(self._sum_sq / self._frames).tolist(), self._silent_frames / self._frames
                )
            self._sum_sq, self._frames, self._silent_frames = None, 0, 0
            return self._last
