"""Camera capture through OpenCV's real VideoCapture: files stand in for cameras."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from edge.camera import CameraCapture, FrameRing, describe_source
from edge.camera.checks import PictureCheck

FPS = 25.0
W, H = 320, 240


def write_video(path: Path, frames: list[np.ndarray], fps: float = FPS) -> Path:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (W, H))
    assert writer.isOpened()
    for f in frames:
        writer.write(f)
    writer.release()
    return path


def bar_frame(k: int) -> np.ndarray:
    """Frame k shows a white bar at x = 4k, so its index can be read back from the picture."""
    img = np.full((H, W, 3), 60, np.uint8)
    img[:, 4 * k : 4 * k + 4] = 255
    return img


def bar_index(img: np.ndarray) -> int:
    return int(np.argmax(img[:, :, 1].mean(axis=0))) // 4


class StreamClock:
    """A stream clock that runs at wall speed from `t0` (what the audio source gives live)."""

    def __init__(self, t0: float = 0.0) -> None:
        self.origin = time.monotonic() - t0

    def __call__(self) -> float:
        return time.monotonic() - self.origin


def test_source_kinds() -> None:
    assert describe_source(0) == ("index", 0)
    assert describe_source("2") == ("index", 2)
    assert describe_source("rtsp://192.0.2.10/stream1")[0] == "url"
    assert describe_source("v4l2src ! videoconvert ! appsink")[0] == "gstreamer"
    assert describe_source("/data/cam.mp4") == ("file", "/data/cam.mp4")


def test_file_frames_land_on_the_stream_clock(tmp_path: Path) -> None:
    video = write_video(tmp_path / "bars.mp4", [bar_frame(k) for k in range(40)])
    ring = FrameRing(seconds=10.0)
    start_s = 1.5
    clock = StreamClock(t0=1.4)
    cam = CameraCapture(str(video), ring, clock, file_start_s=start_s, pace=True)
    t0 = time.monotonic()
    cam.start()
    assert cam.wait_state({"ended"}, timeout_s=10.0)
    elapsed = time.monotonic() - t0
    frames = ring.frames_near(start_s + 0.8, window_s=2.0)
    assert len(frames) == 40
    for f in frames:
        k = bar_index(f.image)
        assert abs(f.t - (start_s + k / FPS)) < 1e-3, (f.t, k)
    # Paced: the last frame (1.5 + 39/25 s) was not released before the clock reached it.
    assert elapsed >= (start_s + 39 / FPS) - 1.4 - 0.05
    assert cam.status().fps is not None and 15 < cam.status().fps < 40


def test_frames_near_and_nearest_within_half_a_frame(tmp_path: Path) -> None:
    video = write_video(tmp_path / "bars.mp4", [bar_frame(k) for k in range(30)])
    ring = FrameRing(seconds=10.0)
    cam = CameraCapture(str(video), ring, lambda: 1e9, file_start_s=0.25, pace=False)
    cam.start()
    assert cam.wait_state({"ended"}, timeout_s=10.0)
    for t in np.linspace(0.3, 1.3, 17):
        near = ring.frames_near(t, window_s=0.05)
        best = min(near, key=lambda f: abs(f.t - t))
        assert abs(best.t - t) <= 0.5 / FPS + 1e-6
        assert abs((0.25 + bar_index(best.image) / FPS) - t) <= 0.020 + 1e-6


def test_camera_that_never_opens_is_degraded_and_retried(tmp_path: Path) -> None:
    ring = FrameRing(seconds=5.0)
    cam = CameraCapture(
        str(tmp_path / "missing.mp4"), ring, lambda: 0.0, reconnect_min_s=0.05, reconnect_max_s=0.1
    )
    cam.start()
    time.sleep(0.6)
    st = cam.status()
    cam.stop()
    assert st.state == "reconnecting"
    assert "no such file" in (st.last_error or "")
    assert st.reconnects >= 3
    assert len(ring) == 0


def test_frozen_and_black_pictures_are_reported(tmp_path: Path) -> None:
    still = write_video(tmp_path / "still.mp4", [bar_frame(5)] * 40)
    black = write_video(tmp_path / "black.mp4", [np.zeros((H, W, 3), np.uint8)] * 10)
    states = []
    for video in (still, black):
        cam = CameraCapture(str(video), FrameRing(5.0), lambda: 1e9, pace=False, frozen_s=0.5)
        seen: set[str] = set()
        cam.check = _Recording(cam.check, seen)
        cam.start()
        assert cam.wait_state({"ended"}, timeout_s=10.0)
        states.append(seen)
    assert "frozen" in states[0] and "black" not in states[0]
    assert states[1] == {"black"}


class _Recording(PictureCheck):
    """The real check, remembering every state it reported."""

    def __init__(self, inner: PictureCheck, seen: set[str]) -> None:
        super().__init__(inner.frozen_s, inner.black_level, inner.still_level)
        self.seen = seen

    def update(self, t: float, image: np.ndarray) -> str:  # type: ignore[override]
        state = super().update(t, image)
        self.seen.add(state)
        return state


@pytest.fixture(scope="module")
def sim_scene(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sim") / "scene"
    cmd = [
        sys.executable,
        "-m",
        "edge.cli",
        "simulate",
        "--out",
        str(out),
        "--duration",
        "2",
        "--horns",
        "1",
        "--video",
        "--channels",
        "4",
        "--camera",
        "road-540p-50deg",
        "--seed",
        "5",
    ]
    subprocess.run(cmd, check=True, capture_output=True, timeout=120)
    return out


def test_sound_and_image_agree_within_20ms_on_a_simulated_scene(sim_scene: Path) -> None:
    """Each horn's picture from the live capture path is the frame the scene's clock places at the horn."""
    from edge.evidence.scene_media import SceneMedia
    from edge.scene import load_scene

    scene = load_scene(sim_scene)
    ring = FrameRing(seconds=30.0)
    cam = CameraCapture(
        str(scene.video_path), ring, lambda: 1e9, file_start_s=scene.video_start_s, pace=False
    )
    cam.start()
    assert cam.wait_state({"ended"}, timeout_s=30.0)
    reference = SceneMedia(scene)
    times = [e.t_start for e in scene.truth.events] + [0.5, 1.0, 1.5]
    worst = 0.0
    for t in times:
        live = min(ring.frames_near(t, 0.1), key=lambda f: abs(f.t - t))
        ref = min(reference.frames_near(t, 0.1), key=lambda f: abs(f.t - t))
        assert live.t == pytest.approx(ref.t, abs=1e-3)
        assert np.array_equal(live.image, ref.image)
        worst = max(worst, abs(live.t - t))
    reference.close()
    assert worst <= 0.020
