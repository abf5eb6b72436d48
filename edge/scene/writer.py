"""Write `honkwatch-scene/1` directories: the simulator, `honk-edge record` and tests all use this.

Audio is written block by block so a long field recording never has to fit in memory; the file
switches to RF64 when the expected size passes what a plain WAV can address.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

from edge.errors import SceneError
from edge.scene.model import FORMAT, CameraSpec, Truth

_WAV_LIMIT_BYTES = 4_000_000_000
_BYTES = {"PCM_16": 2, "PCM_24": 3, "PCM_32": 4, "FLOAT": 4}


class SceneWriter:
    """Stream audio blocks into a new scene directory; `close()` writes scene.json last.

    scene.json appears only once the audio is complete, so a recording interrupted by a power cut
    leaves a directory that `load_scene` refuses instead of a scene that silently looks whole.
    """

    def __init__(
        self,
        directory: str | Path,
        *,
        sample_rate: int,
        array_name: str,
        positions_m: np.ndarray,
        subtype: str = "PCM_24",
        expected_frames: int | None = None,
        audio_name: str = "audio.wav",
    ) -> None:
        if subtype not in _BYTES:
            raise SceneError(f"audio subtype {subtype!r} is not one of {sorted(_BYTES)}")
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.sample_rate = int(sample_rate)
        self.array_name = array_name
        self.positions_m = np.asarray(positions_m, dtype=float)
        self.channels = len(self.positions_m)
        self.audio_name = audio_name
        # A stream of unknown length may outgrow 4 GiB, so only a known small size gets plain WAV.
        big = expected_frames is None or expected_frames * self.channels * _BYTES[subtype] > _WAV_LIMIT_BYTES
        container = "RF64" if big else "WAV"
        self._file = sf.SoundFile(
            str(self.directory / audio_name),
            mode="w",
            samplerate=self.sample_rate,
            channels=self.channels,
            subtype=subtype,
            format=container,
        )
        self.frames = 0

    def write(self, block: np.ndarray) -> None:
        """Append a (frames, channels) block of float samples in [-1, 1]."""
        block = np.asarray(block)
        if block.ndim != 2 or block.shape[1] != self.channels:
            raise SceneError(f"audio block has shape {block.shape}, expected (frames, {self.channels})")
        self._file.write(block)
        self.frames += len(block)

    def close(
        self,
        *,
        camera: CameraSpec | None = None,
        video_file: str | None = None,
        video_start_s: float = 0.0,
        truth: Truth | None = None,
        full_scale_pa: float | None = None,
        start_utc: str | None = None,
        zone: str | None = None,
        device: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> Path:
        """Finish the audio, then write truth.json and scene.json (in that order). Returns the directory."""
        self._file.close()
        meta: dict[str, Any] = dict(extra or {})
        meta.update(
            {
                "format": FORMAT,
                "audio": self.audio_name,
                "sample_rate": self.sample_rate,
                "array": {"name": self.array_name, "positions_m": self.positions_m.tolist()},
            }
        )
        if full_scale_pa is not None:
            meta["full_scale_pa"] = float(full_scale_pa)
        if camera is not None:
            meta["camera"] = camera.to_json()
        if video_file is not None:
            meta["video"] = {"file": video_file, "start_s": float(video_start_s)}
        for key, value in (("start_utc", start_utc), ("zone", zone), ("device", device)):
            if value is not None:
                meta[key] = value
        if truth is not None:
            _atomic_json(self.directory / "truth.json", truth.to_json())
        _atomic_json(self.directory / "scene.json", meta)
        return self.directory


def write_scene(
    directory: str | Path,
    audio: np.ndarray,
    *,
    sample_rate: int,
    array_name: str,
    positions_m: np.ndarray,
    subtype: str = "PCM_24",
    **close_kwargs: Any,
) -> Path:
    """Write a whole scene from an in-memory (frames, channels) array."""
    writer = SceneWriter(
        directory,
        sample_rate=sample_rate,
        array_name=array_name,
        positions_m=positions_m,
        subtype=subtype,
        expected_frames=len(audio),
    )
    writer.write(audio)
    return writer.close(**close_kwargs)


def _atomic_json(path: Path, obj: Any) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    with tmp.open("w", encoding="utf-8") as f:
        json.dump(obj, f, ensure_ascii=False, indent=1)
        f.write("\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
