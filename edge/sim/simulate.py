"""Simulate a scene end to end: scenario → sources → audio (and video) → truth → scene directory.

This is what `honk-edge simulate` runs and what tests and benchmarks call. Every random choice
flows from the seed through separate streams (scenario, each source, background, wind, …), so a
scene is reproducible bit for bit and adding video never changes the audio.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from edge.errors import UserFacingError
from edge.geometry import DeviceProfile
from edge.scene import CameraSpec, write_scene
from edge.sim.microphones import BuiltArray, build_array
from edge.sim.propagation import speed_of_sound
from edge.sim.render import render_audio
from edge.sim.scenario import Scenario, ScenarioOptions, build_scenario
from edge.sim.sources import dry_sources
from edge.sim.truth import build_truth

DEFAULT_FULL_SCALE_PA = 63.2
"""Used when a profile is uncalibrated: a MEMS microphone with 130 dB SPL acoustic overload point."""

VIDEO_FPS = 25.0
MAX_AUDIO_BYTES = 3_000_000_000


@dataclass(frozen=True)
class SimulationResult:
    directory: Path
    scenario: Scenario
    seconds_audio: float
    seconds_video: float
    clipped_samples: int


def simulate_scene(
    out_dir: str | Path,
    *,
    seed: int,
    options: ScenarioOptions,
    profile: DeviceProfile,
    sample_rate: int | None = None,
    video: bool = True,
    subtype: str = "PCM_24",
) -> SimulationResult:
    """Write a complete `honkwatch-scene/1` directory with truth; return what was simulated."""
    fs = int(sample_rate or profile.sample_rate)
    if not 8000 <= fs <= 192000:
        raise UserFacingError(f"--sample-rate must be between 8000 and 192000 Hz, got {fs}")
    mics = np.asarray(profile.array.positions_m, dtype=float)
    # The whole scene is rendered in memory (float32, channels × frames): refuse what will not fit.
    needed = len(mics) * options.duration_s * fs * 4
    if needed > MAX_AUDIO_BYTES:
        raise UserFacingError(
            f"{options.duration_s:g} s × {len(mics)} channels × {fs} Hz needs {needed / 1e9:.1f} GB in memory "
            f"(limit {MAX_AUDIO_BYTES / 1e9:.0f} GB): shorten --duration or lower --sample-rate"
        )
    camera = profile.camera_model()
    options = replace(options, channels=len(mics))
    scn = build_scenario(seed, options, profile.mount, camera)
    c = speed_of_sound(scn.temperature_c)
    full_scale = profile.full_scale_pa or DEFAULT_FULL_SCALE_PA

    started = time.perf_counter()
    sources = dry_sources(scn, fs)
    built = build_array(mics, np.random.default_rng([seed, 11]))
    pressure = render_audio(scn, sources, built, fs, c)
    pressure /= np.float32(full_scale)
    clipped = int(np.count_nonzero(np.abs(pressure) > 1.0))
    np.clip(pressure, -1.0, 1.0, out=pressure)
    seconds_audio = time.perf_counter() - started

    out = Path(out_dir)
    video_file, video_start = None, 0.0
    seconds_video = 0.0
    if video and profile.camera is not None:
        from edge.sim.video import render_video

        started = time.perf_counter()
        out.mkdir(parents=True, exist_ok=True)
        # The first frame lands somewhere inside the first frame period, as a free-running camera's would.
        video_start = round(float(np.random.default_rng([seed, 8]).uniform(0.0, 1.0 / VIDEO_FPS)), 6)
        render_video(scn, camera, out / "video.mp4", fps=VIDEO_FPS, start_s=video_start)
        video_file = "video.mp4"
        seconds_video = time.perf_counter() - started

    summary = _summary(scn, fs, c, clipped, built, mics)
    truth = build_truth(scn, sources, camera, c, {"simulator": summary})
    write_scene(
        out,
        pressure.T,
        sample_rate=fs,
        array_name=profile.array.name,
        positions_m=mics,
        subtype=subtype,
        camera=profile.camera if isinstance(profile.camera, CameraSpec) else None,
        video_file=video_file,
        video_start_s=video_start,
        truth=truth,
        full_scale_pa=full_scale,
        device=f"sim-{profile.name}",
        zone="simulated",
        extra={
            "simulated": True,
            "profile": profile.name,
            "speed_of_sound_mps": round(c, 3),
            "mount": {
                "height_m": scn.mount.height_m,
                "tilt_deg": scn.mount.tilt_deg,
                "yaw_deg": scn.mount.yaw_deg,
            },
        },
    )
    return SimulationResult(out, scn, seconds_audio, seconds_video, clipped)


def _summary(scn: Scenario, fs: int, c: float, clipped: int, built: BuiltArray, nominal: np.ndarray) -> dict:
    road = scn.road
    error = np.linalg.norm(built.positions_m - nominal, axis=1)
    return {
        # The array as built differs from scene.json's nominal one, as a manufactured array does.
        "channel_gain_db": [round(float(g), 3) for g in built.gain_db],
        "position_error_mm_rms": round(float(np.sqrt(np.mean(error**2))) * 1e3, 3),
        "seed": scn.seed,
        "scenario": scn.preset,
        "duration_s": scn.duration_s,
        "sample_rate": fs,
        "speed_of_sound_mps": round(c, 3),
        "temperature_c": round(scn.temperature_c, 1),
        "humidity_pct": round(scn.humidity_pct, 1),
        "background_dba": round(scn.background_dba, 1),
        "wind_mps": round(scn.wind_mps, 2),
        "ground_reflection": scn.ground_reflection,
        "facade_x_m": None if road.facade_x_m is None else round(road.facade_x_m, 2),
        "facade_reflection": scn.facade_reflection if road.facade_x_m is not None else None,
        "lanes_x_m": [round(x, 2) for x in road.lane_x_m],
        "lanes_direction": ["toward" if d < 0 else "away" for d in road.lane_direction],
        "rain_dba": scn.rain_dba,
        "dead_channel": scn.dead_channel,
        "noisy_channel": scn.noisy_channel,
        "clipped_samples": clipped,
        "frames": "array frame of the scene format; world = road frame of the mount (x right, y down, z along the road)",
    }
