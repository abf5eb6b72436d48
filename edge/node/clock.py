"""Stream time → UTC, re-anchored on every block so the sound card's drift against the system
clock (tens of ppm: seconds a day) never accumulates into an evidence timestamp."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta


class StreamUtc:
    def __init__(self) -> None:
        self._anchor: tuple[float, datetime] | None = None
        self._lock = threading.Lock()

    def update(self, stream_t: float, utc: datetime | None = None) -> None:
        """The sample at `stream_t` is being handled now (or at `utc`)."""
        with self._lock:
            self._anchor = (stream_t, utc or datetime.now(UTC))

    def __call__(self, stream_t: float) -> datetime:
        with self._lock:
            anchor = self._anchor
        if anchor is None:
            return datetime.now(UTC)
        return anchor[1] + timedelta(seconds=stream_t - anchor[0])
