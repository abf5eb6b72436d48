"""The camera thread: read frames, stamp them on the audio stream clock, keep them in the FrameRing.

Sources, as OpenCV opens them: an RTSP/HTTP URL (FFmpeg backend, with open/read timeouts so a
dead camera cannot hang the thread), a V4L2 index, a GStreamer pipeline string (contains `!`),
or a video file. A live frame's time is the stream time when it arrived minus the configured
capture latency; a file's frames carry their own timeline (`file_start_s + position`), which is
how a scene's video sits on its audio clock — and with `pace` they are released only once the
stream has reached them, as a live camera would deliver them.

A camera that does not open or stops delivering is reopened with exponential backoff; until
then the node runs on without pictures and the state says why (degraded, not dead).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from edge.camera.checks import PictureCheck, PictureState
from edge.camera.ring import FrameRing

log = logging.getLogger(__name__)

CameraState = Literal["starting", "running", "frozen", "black", "reconnecting", "ended", "stopped"]
_TIMEOUT_MS = 5000


@dataclass(frozen=True)
class CameraStatus:
    state: CameraState
    source: str
    fps: float | None
    frames: int
    reconnects: int
    last_error: str | None


def describe_source(source: str | int) -> tuple[str, str | int]:
    """(kind, value) for an OpenCV source: 'index', 'url', 'gstreamer' or 'file'."""
    if isinstance(source, int):
        return "index", source
    text = source.strip()
    if text.isdigit():
        return "index", int(text)
    if "://" in text:
        return "url", text
    if "!" in text:
        return "gstreamer", text
    return "file", text


def open_capture(source: str | int) -> Any:
    """A `cv2.VideoCapture` for the source (maybe not opened: the caller checks `isOpened`)."""
    import cv2

    kind, value = describe_source(source)
    if kind == "gstreamer":
        return cv2.VideoCapture(value, cv2.CAP_GSTREAMER)
    if kind == "url":
        params = [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, _TIMEOUT_MS, cv2.CAP_PROP_READ_TIMEOUT_MSEC, _TIMEOUT_MS]
        return cv2.VideoCapture(value, cv2.CAP_FFMPEG, params)
    if kind == "index":
        return cv2.VideoCapture(int(value))
    return cv2.VideoCapture(str(value))


class CameraCapture:
    """Runs the capture thread; `status()` is what the heartbeat reports."""

    def __init__(
        self,
        source: str | int,
        ring: FrameRing,
        stream_clock: Callable[[], float],
        *,
        latency_s: float = 0.0,
        file_start_s: float = 0.0,
        pace: bool = True,
        reconnect_min_s: float = 0.5,
        reconnect_max_s: float = 30.0,
        frozen_s: float = 3.0,
        black_level: float = 8.0,
    ) -> None:
        self.source = source
        self.kind, _ = describe_source(source)
        self.ring = ring
        self.stream_clock = stream_clock
        self.latency_s = latency_s
        self.file_start_s = file_start_s
        self.pace = pace
        self.reconnect_min_s = reconnect_min_s
        self.reconnect_max_s = reconnect_max_s
        self.check = PictureCheck(frozen_s, black_level)
        self._state: CameraState = "starting"
        self._last_error: str | None = None
        self._frames = 0
        self._reconnects = 0
        self._arrivals: deque[float] = deque(maxlen=50)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="honkwatch-camera", daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 6.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
        self._state = "stopped"

    def wait_state(self, states: set[str], timeout_s: float) -> bool:
        """Wait until the camera is in one of `states` (used at start and in tests)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._state in states:
                return True
            time.sleep(0.01)
        return False

    def status(self) -> CameraStatus:
        fps = None
        arrivals = list(self._arrivals)
        if len(arrivals) >= 2 and arrivals[-1] > arrivals[0]:
            fps = round((len(arrivals) - 1) / (arrivals[-1] - arrivals[0]), 2)
        return CameraStatus(
            self._state, str(self.source), fps, self._frames, self._reconnects, self._last_error
        )

    # ----- thread -----

    def _run(self) -> None:
        delay = self.reconnect_min_s
        while not self._stop.is_set():
            cap = open_capture(self.source)
            if not cap.isOpened():
                cap.release()
                if self.kind == "file" and not Path(str(self.source)).exists():
                    self._fail(f"camera source {self.source!r}: no such file")
                else:
                    self._fail(f"camera source {self.source!r} does not open")
            else:
                delay = self.reconnect_min_s
                finished = self._read_all(cap)
                cap.release()
                if finished:
                    self._state = "ended"
                    return
                self._fail(f"camera source {self.source!r} stopped delivering frames")
            self._reconnects += 1
            if self._stop.wait(delay):
                break
            delay = min(2 * delay, self.reconnect_max_s)

    def _fail(self, message: str) -> None:
        if message != self._last_error:
            log.warning("camera: %s; reconnecting with backoff", message)
        self._state = "reconnecting"
        self._last_error = message

    def _read_all(self, cap: Any) -> bool:
        """Read until the source fails (False) or a file ends (True)."""
        import cv2

        is_file = self.kind == "file"
        while not self._stop.is_set():
            ok, image = cap.read()
            if not ok or image is None:
                return is_file
            if is_file:
                t = self.file_start_s + cap.get(cv2.CAP_PROP_POS_MSEC) / 1000.0
                if self.pace and not self._wait_for_stream(t):
                    return True
            else:
                t = self.stream_clock() - self.latency_s
            self.ring.push(t, image)
            self._frames += 1
            self._arrivals.append(time.monotonic())
            picture: PictureState = self.check.update(t, image)
            self._state = "running" if picture == "ok" else picture
            self._last_error = None if picture == "ok" else f"picture is {picture}"
        return True

    def _wait_for_stream(self, t: float) -> bool:
        """Hold a file frame until the audio stream reaches its time; False if stopped meanwhile."""
        while self.stream_clock() < t:
            if self._stop.wait(0.005):
                return False
        return True
