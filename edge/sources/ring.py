"""AudioRing: the last seconds of raw array audio, addressed by stream sample.

The capture callback only copies into it; the analysis loop reads forward from its own
position, and the evidence builder reads any span it still holds. A reader that fell behind
by more than the ring holds jumps ahead (the jump is the dropped audio, visible on the stream
clock) instead of reading samples that were already overwritten.
"""

from __future__ import annotations

import threading

import numpy as np


class AudioRing:
    def __init__(self, capacity_frames: int, channels: int, sample_rate: int) -> None:
        self.capacity = int(capacity_frames)
        self.channels = int(channels)
        self.sample_rate = int(sample_rate)
        self._buf = np.zeros((self.capacity, self.channels), np.float32)
        self._end = 0  # stream sample one past the newest
        self._cond = threading.Condition()

    @property
    def end(self) -> int:
        """Stream sample one past the newest sample written."""
        return self._end

    @property
    def start(self) -> int:
        """Oldest stream sample still held."""
        return max(0, self._end - self.capacity)

    def write(self, block: np.ndarray) -> None:
        """Copy a (frames, channels) block in (the capture callback's only job)."""
        n = len(block)
        if n > self.capacity:
            block, n = block[-self.capacity :], self.capacity
            self._end += len(block) - n
        pos = self._end % self.capacity
        first = min(n, self.capacity - pos)
        self._buf[pos : pos + first] = block[:first]
        self._buf[: n - first] = block[first:]
        with self._cond:
            self._end += n
            self._cond.notify_all()

    def skip(self, frames: int) -> None:
        """Advance the clock over audio that never arrived (a device outage); it reads as silence."""
        n = min(int(frames), self.capacity)
        self.write(np.zeros((n, self.channels), np.float32))
        with self._cond:
            self._end += int(frames) - n
            self._cond.notify_all()

    def wait(self, after: int, timeout: float) -> bool:
        """Block until the ring holds samples past `after`; False on timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: self._end > after, timeout)

    def wake(self) -> None:
        """Wake readers waiting in `wait` (the source is closing)."""
        with self._cond:
            self._cond.notify_all()

    def read(self, start: int, stop: int) -> tuple[int, np.ndarray]:
        """Samples [start, stop) clipped to what is held: returns (actual start, copy of the data)."""
        end = self._end
        start = max(start, end - self.capacity, 0)
        stop = min(stop, end)
        if stop <= start:
            return start, np.zeros((0, self.channels), np.float32)
        idx = np.arange(start, stop) % self.capacity
        data = self._buf[idx]
        # The writer may have lapped the oldest part while we copied; drop what it overwrote.
        lapped = self._end - self.capacity - start
        if lapped > 0:
            return start + lapped, data[lapped:]
        return start, data
