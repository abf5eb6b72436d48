"""Write camera frames to a constant-rate video whose frame k shows stream time `start_s + k / fps`.

A live camera's frames arrive unevenly and sometimes not at all; the scene format places frame
k at `video.start_s + k / fps`, so each slot gets the frame nearest its time (repeating the last
one across a gap) and the recorded video stays on the audio clock however the camera behaved.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from edge.camera.ring import FrameRing
from edge.errors import UserFacingError


class TimelineVideoWriter:
    def __init__(self, path: Path, fps: float, start_s: float, size: tuple[int, int]) -> None:
        import cv2

        self.path = Path(path)
        self.fps = float(fps)
        self.start_s = float(start_s)
        self.size = size
        self._writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), self.fps, size)
        if not self._writer.isOpened():
            raise UserFacingError(f"{path}: OpenCV cannot write MP4 video here (no mp4v encoder?)")
        self.frames = 0
        self._last: np.ndarray | None = None

    def feed(self, ring: FrameRing, until_s: float) -> None:
        """Fill every slot up to stream time `until_s` from the frames the ring holds."""
        import cv2

        half = 0.5 / self.fps
        while self.start_s + self.frames / self.fps <= until_s:
            slot = self.start_s + self.frames / self.fps
            near = ring.frames_near(slot, half)
            if near:
                image = min(near, key=lambda f: abs(f.t - slot)).image
                if (image.shape[1], image.shape[0]) != self.size:
                    image = cv2.resize(image, self.size)
                self._last = image
            if self._last is None:
                self._last = np.zeros((self.size[1], self.size[0], 3), np.uint8)
            self._writer.write(self._last)
            self.frames += 1

    def close(self) -> None:
        self._writer.release()
