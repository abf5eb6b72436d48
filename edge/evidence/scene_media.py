"""A replayed scene as the evidence builder sees it: media, device facts and clock.

The audio is read straight from the scene's file (no ring), and frame k of the scene's video
is placed at `video.start_s + k / fps` on the stream clock, as the scene format says. The
builder may run in a worker thread while the replay keeps reading, so the video handle is
guarded by a lock and the audio file is opened per request.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import soundfile as sf

from edge.analysis.replay import scene_mount
from edge.errors import SceneError
from edge.evidence.builder import EvidenceSite
from edge.evidence.media import AudioSpan, Frame
from edge.geometry.camera import Camera
from edge.scene.model import Scene


class SceneMedia:
    """Audio and video of one scene, addressed by stream time."""

    def __init__(self, scene: Scene) -> None:
        self.scene = scene
        self.sample_rate = scene.sample_rate
        self._lock = threading.Lock()
        self._video = None
        self._fps = 0.0
        self._frame_count = 0
        if scene.video_path is not None:
            import cv2

            video = cv2.VideoCapture(str(scene.video_path))
            if not video.isOpened():
                raise SceneError(f"{scene.video_path}: OpenCV cannot open the video")
            self._fps = float(video.get(cv2.CAP_PROP_FPS))
            self._frame_count = int(video.get(cv2.CAP_PROP_FRAME_COUNT))
            if not (self._fps > 0 and math.isfinite(self._fps)):
                video.release()
                raise SceneError(f"{scene.video_path}: the video reports no frame rate")
            self._video = video

    @property
    def has_video(self) -> bool:
        return self._video is not None

    def close(self) -> None:
        with self._lock:
            if self._video is not None:
                self._video.release()
                self._video = None

    def audio(self, t0: float, t1: float) -> AudioSpan:
        fs = self.sample_rate
        start = max(0, round(t0 * fs))
        stop = min(self.scene.frames, max(start, round(t1 * fs)))
        data, _ = sf.read(str(self.scene.audio_path), start=start, stop=stop, dtype="float32", always_2d=True)
        return AudioSpan(start_s=start / fs, sample_rate=fs, samples=data)

    def frames_near(self, t: float, window_s: float = 0.2) -> list[Frame]:
        if self._video is None:
            return []
        import cv2

        first = max(0, math.ceil((t - window_s - self.scene.video_start_s) * self._fps))
        last = min(self._frame_count - 1, math.floor((t + window_s - self.scene.video_start_s) * self._fps))
        frames: list[Frame] = []
        with self._lock:
            if self._video is None or last < first:
                return frames
            self._video.set(cv2.CAP_PROP_POS_FRAMES, first)
            for k in range(first, last + 1):
                ok, image = self._video.read()
                if not ok:
                    break
                frames.append(Frame(self.scene.video_start_s + k / self._fps, np.ascontiguousarray(image)))
        return frames


def scene_utc(scene: Scene, fallback_start: datetime | None = None) -> Callable[[float], datetime]:
    """Stream time → UTC for a replay: the scene's `start_utc`, else `fallback_start` (default: now)."""
    if scene.start_utc:
        text = scene.start_utc[:-1] + "+00:00" if scene.start_utc.endswith("Z") else scene.start_utc
        try:
            start = datetime.fromisoformat(text)
        except ValueError:
            raise SceneError(
                f"scene.json: 'start_utc' is not an ISO 8601 time: {scene.start_utc!r}"
            ) from None
        if start.tzinfo is None:
            raise SceneError(f"scene.json: 'start_utc' has no time zone: {scene.start_utc!r}")
    else:
        start = fallback_start or datetime.now(UTC)
    return lambda t: start + timedelta(seconds=t)


def scene_site(
    scene: Scene,
    *,
    device: str | None = None,
    zone: str | None = None,
    profile: str | None = None,
    models: tuple[Mapping[str, Any], ...] = (),
) -> EvidenceSite:
    """The manifest's device facts for a replayed scene: the scene's own device and zone unless overridden."""
    return EvidenceSite(
        device=device or scene.device or "replay",
        zone=zone or scene.zone or "unknown",
        array_name=scene.array_name,
        positions_m=scene.positions_m,
        sample_rate=scene.sample_rate,
        full_scale_pa=scene.full_scale_pa,
        camera=Camera(scene.camera) if scene.camera is not None else None,
        mount=scene_mount(scene),
        profile=profile,
        models=models,
    )
