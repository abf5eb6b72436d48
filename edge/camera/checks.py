"""Is the picture usable? A frozen or black camera must be reported, not silently used as evidence.

Both checks run on a small grey thumbnail, so they cost microseconds per frame: a frozen
stream repeats the same image (a hung encoder re-sending its last frame), a black one is a
covered lens, a dead sensor or night without IR.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

PictureState = Literal["ok", "frozen", "black"]


class PictureCheck:
    def __init__(self, frozen_s: float, black_level: float, still_level: float = 0.5) -> None:
        self.frozen_s = frozen_s
        self.black_level = black_level
        self.still_level = (
            still_level  # mean absolute change (grey levels) below which two frames are the same
        )
        self._previous: np.ndarray | None = None
        self._still_since: float | None = None

    def update(self, t: float, image: np.ndarray) -> PictureState:
        """The picture's state after the frame at stream time `t`."""
        thumb = image[::16, ::16].astype(np.float32)
        if thumb.ndim == 3:
            thumb = thumb.mean(axis=2)
        changed = self._previous is None or float(np.abs(thumb - self._previous).mean()) > self.still_level
        self._previous = thumb
        if changed:
            self._still_since = None
        elif self._still_since is None:
            self._still_since = t
        if float(thumb.mean()) < self.black_level:
            return "black"
        if self._still_since is not None and t - self._still_since >= self.frozen_s:
            return "frozen"
        return "ok"
