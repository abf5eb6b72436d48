"""In-memory form of a scene: metadata, geometry and truth, with the audio left on disk.

The audio of a scene can be gigabytes (64 channels, RF64), so a `Scene` holds the path and
header facts only; `Scene.open_audio()` streams it in blocks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

FORMAT = "honkwatch-scene/1"


@dataclass(frozen=True)
class CameraSpec:
    """A pinhole camera with OpenCV distortion, posed relative to the array.

    `rotation` and `translation_m` map array coordinates into camera coordinates
    (x_cam = R @ x_array + t), the "camera-from-array" transform of the scene format.
    """

    width: int
    height: int
    fx: float
    fy: float
    cx: float
    cy: float
    rotation: np.ndarray = field(default_factory=lambda: np.eye(3))
    translation_m: np.ndarray = field(default_factory=lambda: np.zeros(3))
    distortion: tuple[float, ...] = ()

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "width": int(self.width),
            "height": int(self.height),
            "fx": float(self.fx),
            "fy": float(self.fy),
            "cx": float(self.cx),
            "cy": float(self.cy),
            "rotation": np.asarray(self.rotation, dtype=float).tolist(),
            "translation_m": np.asarray(self.translation_m, dtype=float).tolist(),
        }
        if self.distortion:
            out["distortion"] = [float(d) for d in self.distortion]
        return out


@dataclass(frozen=True)
class TruthEvent:
    """One horn as the annotator (or the simulator) knows it."""

    t_start: float
    t_end: float
    azimuth_deg: float
    elevation_deg: float
    label: str = "horn"
    distance_m: float | None = None
    pixel: tuple[float, float] | None = None
    plate: str | None = None
    track_deg: list[tuple[float, float, float]] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def direction_at(self, t: float) -> tuple[float, float]:
        """Azimuth and elevation at time t, following `track_deg` when the source moves."""
        if not self.track_deg:
            return self.azimuth_deg, self.elevation_deg
        track = np.asarray(self.track_deg, dtype=float)
        return float(np.interp(t, track[:, 0], track[:, 1])), float(np.interp(t, track[:, 0], track[:, 2]))

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = dict(self.extra)
        out.update(
            {
                "t_start": self.t_start,
                "t_end": self.t_end,
                "label": self.label,
                "azimuth_deg": self.azimuth_deg,
                "elevation_deg": self.elevation_deg,
            }
        )
        if self.distance_m is not None:
            out["distance_m"] = self.distance_m
        if self.pixel is not None:
            out["pixel"] = [float(self.pixel[0]), float(self.pixel[1])]
        if self.plate is not None:
            out["plate"] = self.plate
        if self.track_deg:
            out["track_deg"] = [[float(v) for v in row] for row in self.track_deg]
        return out


@dataclass(frozen=True)
class TruthConfuser:
    """A non-horn sound in the scene (siren, beeper, bird …) that must not become evidence."""

    label: str
    t_start: float
    t_end: float
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = dict(self.extra)
        out.update({"label": self.label, "t_start": self.t_start, "t_end": self.t_end})
        return out


@dataclass(frozen=True)
class Truth:
    events: list[TruthEvent] = field(default_factory=list)
    confusers: list[TruthConfuser] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = dict(self.extra)
        out["events"] = [e.to_json() for e in self.events]
        out["confusers"] = [c.to_json() for c in self.confusers]
        return out


@dataclass(frozen=True)
class Scene:
    """A validated scene directory. Create with `load_scene`, never by hand from untrusted input."""

    directory: Path
    audio_path: Path
    sample_rate: int
    channels: int
    frames: int
    array_name: str
    positions_m: np.ndarray
    full_scale_pa: float | None = None
    camera: CameraSpec | None = None
    video_path: Path | None = None
    video_start_s: float = 0.0
    start_utc: str | None = None
    zone: str | None = None
    device: str | None = None
    truth: Truth | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def duration_s(self) -> float:
        return self.frames / self.sample_rate

    def open_audio(self) -> sf.SoundFile:
        """The audio file opened for block reads (the caller closes it)."""
        return sf.SoundFile(str(self.audio_path))

    def read_audio(self, start: int = 0, stop: int | None = None) -> np.ndarray:
        """Frames [start, stop) as float32, shape (frames, channels). For short scenes and tests."""
        data, _ = sf.read(str(self.audio_path), start=start, stop=stop, dtype="float32", always_2d=True)
        return data
