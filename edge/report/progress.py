"""A one-line progress bar on stderr for long replays (no tqdm: one small class is enough).

Drawn only on a terminal: in a log file or a CI capture carriage returns are noise, so a
non-terminal stream gets nothing. Redraws are throttled so a fast replay is not slowed by them.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO


def format_duration(seconds: float) -> str:
    """`m:ss` (or `h:mm:ss`) for elapsed and remaining time."""
    s = max(0, round(seconds))
    h, rest = divmod(s, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


class Progress:
    """Progress over `total` units (here: audio seconds) with a label that may change per run.

    `enabled=None` means "only on a terminal". The line shows the share done, the speed in
    units per wall second (× real time for audio seconds) and the estimated time left.
    """

    def __init__(
        self,
        total: float,
        label: str = "",
        stream: TextIO | None = None,
        enabled: bool | None = None,
        width: int = 20,
        min_interval_s: float = 0.1,
    ) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self.total = max(float(total), 1e-9)
        self.label = label
        self.width = width
        self.min_interval_s = min_interval_s
        self.done = 0.0
        self._started = time.monotonic()
        self._last_draw = -1e9
        self._shown = False

    def set_label(self, label: str) -> None:
        self.label = label
        self._draw(force=True)

    def advance(self, amount: float) -> None:
        self.done = min(self.total, self.done + amount)
        self._draw()

    def line(self) -> str:
        """The bar as text (also what tests check)."""
        frac = self.done / self.total
        filled = round(frac * self.width)
        elapsed = time.monotonic() - self._started
        speed = self.done / elapsed if elapsed > 0 else 0.0
        eta = (self.total - self.done) / speed if speed > 0 else 0.0
        # Kept under 80 columns: a wrapped line cannot be redrawn in place.
        return (
            f"{self.label[:26]:26} [{'#' * filled}{'.' * (self.width - filled)}] {100 * frac:5.1f}% "
            f"{speed:4.1f}×rt {format_duration(elapsed)} <{format_duration(eta)}"
        )

    def close(self) -> None:
        """Leave the finished bar on its own line."""
        if self.enabled and self._shown:
            self._draw(force=True)
            self.stream.write("\n")
            self.stream.flush()

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _draw(self, force: bool = False) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if not force and now - self._last_draw < self.min_interval_s and self.done < self.total:
            return
        self._last_draw = now
        self._shown = True
        self.stream.write("\r" + self.line())
        self.stream.flush()
