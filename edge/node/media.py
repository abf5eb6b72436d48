"""The evidence builder's view of a running node: the audio ring and the frame ring."""

from __future__ import annotations

from collections import deque

from edge.analysis.events import HornEvent
from edge.camera.ring import FrameRing
from edge.evidence.builder import nearest_frame, picture_time
from edge.evidence.media import AudioSpan, Frame
from edge.sources.ring import AudioRing


class LiveMedia:
    """`EventMedia` over the rings; what they no longer hold is clipped away.

    The evidence worker may reach an event seconds after it closed (it builds one bundle at a
    time), by when the frame ring has moved on; so the frame at each event's picture time is
    pinned when the event closes.
    """

    def __init__(self, ring: AudioRing, frames: FrameRing | None, pinned: int = 32) -> None:
        self.ring = ring
        self.frames = frames
        self.sample_rate = ring.sample_rate
        self._pinned: deque[Frame] = deque(maxlen=pinned)

    def pin(self, event: HornEvent, window_s: float = 0.25) -> None:
        """Keep the frame nearest the event's picture time until later events push it out."""
        if self.frames is None:
            return
        t = picture_time(event)
        frame = nearest_frame(self.frames.frames_near(t, window_s), t)
        if frame is not None:
            self._pinned.append(frame)

    def audio(self, t0: float, t1: float) -> AudioSpan:
        fs = self.sample_rate
        start, data = self.ring.read(round(t0 * fs), round(t1 * fs))
        return AudioSpan(start_s=start / fs, sample_rate=fs, samples=data)

    def frames_near(self, t: float, window_s: float = 0.2) -> list[Frame]:
        if self.frames is None:
            return []
        pinned = [f for f in list(self._pinned) if abs(f.t - t) <= window_s]
        ring = self.frames.frames_near(t, window_s)
        return sorted({f.t: f for f in pinned + ring}.values(), key=lambda f: f.t)
