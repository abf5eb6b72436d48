"""Any source, delivered no faster than real time: a scene replayed as a sound card would play it.

`honk-edge run --scene` and the node benchmark use it, so the node's CPU and memory are
measured under the live cadence rather than as fast as the disk allows.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import numpy as np

from edge.sources.base import ArraySource


class PacedSource(ArraySource):
    def __init__(self, inner: ArraySource) -> None:
        self.inner = inner
        self.sample_rate = inner.sample_rate
        self.channels = inner.channels
        self._origin: float | None = None
        self._stop = threading.Event()

    def stream_time(self, monotonic_t: float | None = None) -> float:
        """Stream time now (the clock a live camera would be stamped with); 0 before the first block."""
        if self._origin is None:
            return 0.0
        return (time.monotonic() if monotonic_t is None else monotonic_t) - self._origin

    def __iter__(self) -> Iterator[tuple[int, np.ndarray]]:
        self._origin = time.monotonic()
        for start, block in self.inner:
            # A block is complete once its last sample has "arrived".
            due = self._origin + (start + len(block)) / self.sample_rate
            if self._stop.wait(max(0.0, due - time.monotonic())):
                return
            yield start, block
            if self._stop.is_set():
                return

    def stop(self) -> None:
        self._stop.set()
        self.inner.stop()

    def close(self) -> None:
        self.stop()
        self.inner.close()
