"""A small scene made for the evidence tests: a horn at a known place, a 'vehicle' with a plate below it.

The scene is built here rather than by the simulator so these tests pin the builder alone:
the horn's direction, distance and the plate's pixel are known exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from edge.analysis.events import HornEvent, SoundMap
from edge.analysis.steering import steering_delays
from edge.geometry.arrays import load_array
from edge.geometry.camera import Camera
from edge.scene.model import CameraSpec
from edge.scene.writer import SceneWriter

RATE = 24000
DURATION_S = 8.0
HORN = (3.0, 4.0)
AZ, EL, DIST = 8.0, -5.0, 15.0
FULL_SCALE_PA = 63.2
FPS = 10.0
CAMERA = CameraSpec(
    width=960,
    height=540,
    fx=1029.4,
    fy=1029.4,
    cx=480.0,
    cy=270.0,
    translation_m=np.array([0.0, 0.06, 0.02]),
    distortion=(-0.08, 0.03, 0.0, 0.0, 0.0),
)


@dataclass(frozen=True)
class TestScene:
    directory: Path
    event: HornEvent
    plate_box: tuple[int, int, int, int]  # x0, y0, x1, y1 of the plate in the video
    positions_m: np.ndarray


def horn_signal(n: int, rate: int) -> np.ndarray:
    t = np.arange(n) / rate
    return sum(0.05 / k * np.sin(2 * np.pi * 420.0 * k * t) for k in range(1, 9))


def gaussian_map(az0: float, el0: float) -> SoundMap:
    az = np.arange(-30.0, 30.5, 1.0)
    el = np.arange(-20.0, 10.5, 1.0)
    aa, ee = np.meshgrid(az, el)
    power = np.maximum(-12.0 * (((aa - az0) / 4.0) ** 2 + ((ee - el0) / 4.0) ** 2), -25.0)
    return SoundMap(az, el, power, band_hz=(300.0, 5000.0), method="das")


def make_scene(directory: Path, noise_rms: float = 0.003, with_video: bool = True) -> TestScene:
    """Audio: white noise on every microphone plus a harmonic horn from (AZ, EL, DIST); video: a static car."""
    directory.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(7)
    positions = load_array("spiral32-0.6m").positions_m
    n = round(DURATION_S * RATE)
    dry = np.zeros(n)
    i0, i1 = round(HORN[0] * RATE), round(HORN[1] * RATE)
    dry[i0:i1] = horn_signal(i1 - i0, RATE) * np.hanning(i1 - i0) ** 0.05
    delays = steering_delays(positions, AZ, EL, DIST)
    spectrum = np.fft.rfft(dry)
    freqs = np.fft.rfftfreq(n, 1 / RATE)
    wet = np.fft.irfft(
        spectrum[:, None] * np.exp(-2j * np.pi * freqs[:, None] * delays[None, :]), n=n, axis=0
    )
    audio = (wet + rng.normal(0, noise_rms, wet.shape)).astype(np.float32)

    camera = Camera(CAMERA)
    u, v = camera.direction_to_pixel(AZ, EL, DIST)
    px_m = CAMERA.fx / DIST
    car = (round(u - 0.9 * px_m), round(v - 0.9 * px_m), round(u + 0.9 * px_m), round(v + 0.5 * px_m))
    plate = (round(u - 0.22 * px_m), round(v + 0.1 * px_m), round(u + 0.22 * px_m), round(v + 0.24 * px_m))
    if with_video:
        _write_video(directory / "video.mp4", car, plate)

    scene = SceneWriter(directory, sample_rate=RATE, array_name="spiral32-0.6m", positions_m=positions)
    scene.write(audio)
    scene.close(
        camera=CAMERA,
        video_file="video.mp4" if with_video else None,
        full_scale_pa=FULL_SCALE_PA,
        start_utc="2026-11-28T09:15:00.000Z",
        zone="Z01",
        device="pole-07",
    )
    event = HornEvent(
        t_start=HORN[0],
        t_end=HORN[1],
        azimuth_deg=AZ,
        elevation_deg=EL,
        confidence=0.93,
        detected_after_s=0.4,
        pixel=(float(u), float(v)),
        distance_m=DIST,
        horn_probability=0.97,
        spl_db=86.4,
        t_ref=3.6,
        sound_map=gaussian_map(AZ, EL),
    )
    return TestScene(directory, event, plate, positions)


def _write_video(path: Path, car: tuple[int, int, int, int], plate: tuple[int, int, int, int]) -> None:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), FPS, (CAMERA.width, CAMERA.height))
    for k in range(int(DURATION_S * FPS)):
        image = np.full((CAMERA.height, CAMERA.width, 3), 90, np.uint8)
        image[: CAMERA.height // 3] = (200, 170, 140)  # sky
        cv2.rectangle(image, car[:2], car[2:], (40, 40, 160), -1)
        cv2.rectangle(image, plate[:2], plate[2:], (250, 250, 250), -1)
        cv2.putText(image, f"{k:03d}", (10, 30), cv2.FONT_HERSHEY_SIMPLEX, 1.0, (0, 0, 0), 2)
        writer.write(image)
    writer.release()
