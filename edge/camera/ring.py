"""FrameRing: the camera's recent frames, each stamped with its time on the audio stream clock.

The evidence builder asks for the frame at a horn by stream time; the capture thread is the
only writer. A 1080p BGR frame is 6 MB, so seconds of full-rate video cost gigabytes: the ring
keeps only the last `keep_s` — unless the run loop holds it open from the start of a horn that
is still being tracked — and never more than `seconds`.
"""

from __future__ import annotations

import bisect
import threading
from collections import deque

import numpy as np

from edge.evidence.media import Frame


class FrameRing:
    def __init__(self, seconds: float, keep_s: float | None = None) -> None:
        self.seconds = float(seconds)
        self.keep_s = self.seconds if keep_s is None else min(float(keep_s), self.seconds)
        self._hold_from: float | None = None
        self._frames: deque[Frame] = deque()
        self._lock = threading.Lock()

    def hold_from(self, t: float | None) -> None:
        """Keep frames from stream time `t` on (a horn in progress), up to `seconds`; None releases."""
        with self._lock:
            self._hold_from = t

    def push(self, t: float, image: np.ndarray) -> None:
        with self._lock:
            if self._frames and t <= self._frames[-1].t:
                return  # a camera clock that steps back would make lookups lie; keep the older frame
            self._frames.append(Frame(t, image))
            keep_from = t - self.keep_s
            if self._hold_from is not None:
                keep_from = min(keep_from, self._hold_from)
            keep_from = max(keep_from, t - self.seconds)
            while self._frames and self._frames[0].t < keep_from:
                self._frames.popleft()

    def frames_near(self, t: float, window_s: float = 0.2) -> list[Frame]:
        """Frames within `window_s` of `t`, in time order."""
        with self._lock:
            times = [f.t for f in self._frames]
            lo = bisect.bisect_left(times, t - window_s)
            hi = bisect.bisect_right(times, t + window_s)
            return list(self._frames)[lo:hi]

    def latest(self) -> Frame | None:
        with self._lock:
            return self._frames[-1] if self._frames else None

    def __len__(self) -> int:
        with self._lock:
            return len(self._frames)
