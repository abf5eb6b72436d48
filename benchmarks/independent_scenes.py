"""Independent scene simulator ("another hand") for honkwatch-scene/1 directories, and its scorer.

Why this exists: the project's own simulator (edge.sim) and the analysis were written by the same
people from the same assumptions, so a pipeline tuned on edge.sim scenes can pass on them for the
wrong reasons (a shared model of the horn, of the road, of the array). This script is written
deliberately without reading or importing anything from `edge` (nor edge/sim, edge/scene or
models/training): only from the public scene format (../shared/scene-format.md), the field
description (../shared/domain.md) and textbook physics. It has its own array geometry, its own
horn/siren/bird/traffic synthesis, its own propagation code and its own scoring, so a figure
measured on its scenes is a second opinion, not a re-run.

Physics (all choices are ours, documented where they are made):
- World frame: X right across the road, Y along the road away from the pole, Z up; road plane Z=0.
  The array sits at (0, 0, H), H 5-7 m, looks along +Y, tilted down 5-15 deg (plus a small yaw and
  roll, as real mounts have). Scene coordinates are the array's OpenCV frame (x right, y down,
  z forward). The tilt is written nowhere in scene.json: the pipeline must cope without it.
- Every source is a moving point source. The pressure at microphone m is the sum over paths
  (direct, ground image, optional facade image and facade+ground image) of
  g * D(theta) * s(t_e) / r(t_e), where t_e solves t_e + r(t_e)/c = t (retarded time, c = 343 m/s).
  The time-varying delay gives Doppler by itself. s is upsampled 8x and read by linear
  interpolation, which is a fractional delay accurate to <0.1 dB up to 16 kHz.
- Ground: image source mirrored in Z=0, frequency-independent pressure reflection coefficient
  0.7-0.95 (asphalt). Facade (some scenes): a long vertical wall parallel to the road, coefficient
  0.5-0.8. Air absorption: ISO 9613-1 coefficients, applied per path as a linear-phase FIR.
- Horns: additive harmonic synthesis with our own spectra (disc-horn pairs, air horns, small
  single-tone horns), resonances, onset glide, wobble; level 95-112 dB(A) at 1 m on axis, with a
  rear attenuation (vehicle body) for a vehicle honking while driving away from the array.
- Background: engine/tyre noise of every vehicle (moving sources), plus a diffuse part (independent
  per microphone, and a correlated low-frequency rumble), microphone self-noise and a per-mic
  sensitivity spread. The whole traffic background is calibrated to 65-75 dB(A) Leq at the array.
- Confusers: sirens (wail/yelp/hi-lo), reversing beepers, birds, car music, brake squeal.

Usage:
    python3 benchmarks/independent_scenes.py --out /tmp/indep --seeds 1-12 --array spiral64 [--duration 20]
    python3 benchmarks/independent_scenes.py --score /tmp/indep --events /tmp/indep/out [--verbose]
    python3 benchmarks/independent_scenes.py --out /tmp/real --horn-clips /tmp/realset/horn   # recorded horns

With `--horn-clips DIR` every honk is a recorded horn (DIR/*.wav, e.g. the real check set's
horns: `python3 models/training/debian_set.py --out /tmp/realset`) in place of our synthesis:
the same street, vehicles, confusers and levels, with a timbre neither simulator chose.

The scenario (road, vehicles, horns, confusers) depends only on the seed, so spiral64-<seed> and
spiral32-<seed> are the same street moment heard by two arrays. Truth is written per blast: a double
tap is two truth events (same vehicle_id, "pattern": "double", "blast": 0/1).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf
from scipy import signal

FS = 48_000
C_SOUND = 343.0
P_REF = 20e-6
FULL_SCALE_PA = 100.0  # 1.0 digital = 100 Pa = 134 dB SPL: a MEMS array's realistic headroom
UPSAMPLE = 8  # source signals are read on an 8x grid with linear interpolation (fractional delay)
COARSE = 32  # geometry (delay, gain) computed every 32 samples and interpolated: it is smooth
CHUNK = 24_000  # samples per rendering chunk (memory: 64 mics x 24k x a few float64 arrays)
CAMERA = {"width": 1920, "height": 1080, "fx": 1400.0, "fy": 1400.0, "cx": 960.0, "cy": 540.0}
CAMERA_T = np.array([0.0, 0.1, 0.0])  # camera 10 cm below the array's reference point
HORN_LABEL = "horn"


# ----------------------------------------------------------------------------------------------
# Array and mount geometry
# ----------------------------------------------------------------------------------------------


def spiral_array(kind: str) -> np.ndarray:
    """Microphone positions (M, 3) in the array frame, z = 0: a multi-arm logarithmic spiral.

    Why a multi-arm log spiral: it spreads the inter-mic spacings over many values, so grating lobes
    are smeared instead of periodic, which is what commercial acoustic cameras do. Our own numbers
    (arm count, radii, winding, a rotation offset) so it copies no geometry from the repository.
    """
    if kind == "spiral64":
        arms, per_arm, r_min, r_max, winding, rot0 = 8, 8, 0.045, 0.40, 2.1, 0.17
    elif kind == "spiral32":
        arms, per_arm, r_min, r_max, winding, rot0 = 8, 4, 0.05, 0.30, 1.6, 0.31
    else:
        raise ValueError(f"unknown array {kind!r}")
    pts = []
    for a in range(arms):
        for k in range(per_arm):
            r = r_min * (r_max / r_min) ** (k / (per_arm - 1))
            phi = 2 * math.pi * a / arms + rot0 + winding * math.log(r / r_min) / math.log(r_max / r_min)
            pts.append([r * math.cos(phi), r * math.sin(phi), 0.0])
    return np.array(pts)


@dataclass(frozen=True)
class Mount:
    """Pole mount: height of the array's reference point above the road, and its orientation."""

    height_m: float
    tilt_deg: float
    yaw_deg: float
    roll_deg: float

    def rotation(self) -> np.ndarray:
        """Matrix R with p_array = R @ (p_world - origin): rows are the array axes in world coords.

        Built as Q = Rz_world(yaw) @ Q_base @ Rx_array(-tilt) @ Rz_array(roll), whose columns are the
        array axes; R = Q.T. Q_base maps array x->world X, y(down)->-Z, z(forward)->+Y.
        """
        q_base = np.array([[1.0, 0, 0], [0, 0, 1.0], [0, -1.0, 0]])
        y, t, r = (math.radians(v) for v in (self.yaw_deg, self.tilt_deg, self.roll_deg))
        rz_w = np.array([[math.cos(y), -math.sin(y), 0], [math.sin(y), math.cos(y), 0], [0, 0, 1]])
        rx_a = np.array([[1, 0, 0], [0, math.cos(-t), -math.sin(-t)], [0, math.sin(-t), math.cos(-t)]])
        rz_a = np.array([[math.cos(r), -math.sin(r), 0], [math.sin(r), math.cos(r), 0], [0, 0, 1]])
        return (rz_w @ q_base @ rx_a @ rz_a).T

    def origin(self) -> np.ndarray:
        return np.array([0.0, 0.0, self.height_m])


def to_array(p_world: np.ndarray, mount: Mount) -> np.ndarray:
    """World point(s) (..., 3) into the array's OpenCV frame."""
    return (np.asarray(p_world) - mount.origin()) @ mount.rotation().T


def az_el(p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Azimuth and elevation in degrees of array-frame points, as the scene format defines them."""
    p = np.asarray(p, dtype=float)
    x, y, z = p[..., 0], p[..., 1], p[..., 2]
    return np.degrees(np.arctan2(x, z)), np.degrees(np.arctan2(-y, np.hypot(x, z)))


def pixel_of(p_array: np.ndarray) -> list[float] | None:
    """Pinhole projection with the camera written in scene.json (identity rotation, 10 cm offset)."""
    pc = np.asarray(p_array, dtype=float) + CAMERA_T
    if pc[2] <= 0.1:
        return None
    return [
        round(float(CAMERA["fx"] * pc[0] / pc[2] + CAMERA["cx"]), 1),
        round(float(CAMERA["fy"] * pc[1] / pc[2] + CAMERA["cy"]), 1),
    ]


def angle_between(az1: float, el1: float, az2: float, el2: float) -> float:
    """Great-circle angle in degrees between two (azimuth, elevation) directions."""
    a1, e1, a2, e2 = (math.radians(v) for v in (az1, el1, az2, el2))
    v1 = (math.cos(e1) * math.sin(a1), math.sin(e1), math.cos(e1) * math.cos(a1))
    v2 = (math.cos(e2) * math.sin(a2), math.sin(e2), math.cos(e2) * math.cos(a2))
    d = max(-1.0, min(1.0, sum(p * q for p, q in zip(v1, v2, strict=True))))
    return math.degrees(math.acos(d))


# ----------------------------------------------------------------------------------------------
# Environment, sources and propagation
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Environment:
    """The reflecting surfaces and the air: what turns one source into several arriving waves."""

    ground_r: float
    facade_x: float | None  # lateral position of a building facade (world X), None = open street
    facade_r: float
    temperature_c: float
    humidity_pct: float


@dataclass
class Source:
    """A moving point source: its emitted pressure at 1 m, when it was emitted, and its motion.

    Position at emission time t is p0 + v * t (world frame). `rear_db` is the attenuation toward the
    back of the vehicle (horns mounted behind the grille); `heading` is where the front points.
    """

    name: str
    role: str  # "horn", "confuser", "vehicle"
    label: str
    signal: np.ndarray  # pressure at 1 m (Pa), sampled at FS, emission clock
    t0: float  # emission time of signal[0]
    p0: np.ndarray  # world position at t = 0
    v: np.ndarray  # world velocity
    heading: np.ndarray = field(default_factory=lambda: np.array([0.0, 1.0, 0.0]))
    rear_db: float = 0.0
    vehicle_id: str | None = None


def image_paths(src: Source, env: Environment) -> list[tuple[str, float, np.ndarray, np.ndarray, np.ndarray]]:
    """(path name, reflection gain, p0, v, heading) for the direct wave and each image source."""
    flip_z = np.array([1.0, 1.0, -1.0])
    paths = [("direct", 1.0, src.p0, src.v, src.heading)]
    paths.append(("ground", env.ground_r, src.p0 * flip_z, src.v * flip_z, src.heading * flip_z))
    if env.facade_x is not None:
        xf = env.facade_x
        p0f = src.p0.copy()
        p0f[0] = 2 * xf - p0f[0]
        vf = src.v * np.array([-1.0, 1.0, 1.0])
        hf = src.heading * np.array([-1.0, 1.0, 1.0])
        paths.append(("facade", env.facade_r, p0f, vf, hf))
        paths.append(("facade+ground", env.facade_r * env.ground_r, p0f * flip_z, vf * flip_z, hf * flip_z))
    return paths


def air_absorption_db_per_m(f: np.ndarray, temperature_c: float, humidity_pct: float) -> np.ndarray:
    """ISO 9613-1 pure-tone atmospheric absorption (dB/m) at sea-level pressure.

    Why: at 30-50 m it takes several dB off horn harmonics above 6 kHz, which changes how a horn
    looks to a classifier and how sharp its beam is; a simulator without it flatters far horns.
    """
    t = temperature_c + 273.15
    t0, t01 = 293.15, 273.16
    pr = 1.0  # pa/pr = 1 at 101.325 kPa
    csat = -6.8346 * (t01 / t) ** 1.261 + 4.6151
    h = humidity_pct * 10**csat / pr
    fro = pr * (24 + 4.04e4 * h * (0.02 + h) / (0.391 + h))
    frn = pr * (t / t0) ** -0.5 * (9 + 280 * h * math.exp(-4.170 * ((t / t0) ** (-1 / 3) - 1)))
    f2 = np.asarray(f, dtype=float) ** 2
    return (
        8.686
        * f2
        * (
            1.84e-11 * (t / t0) ** 0.5
            + (t / t0) ** -2.5
            * (
                0.01275 * math.exp(-2239.1 / t) / (fro + f2 / fro)
                + 0.1068 * math.exp(-3352.0 / t) / (frn + f2 / frn)
            )
        )
    )


def absorb(x: np.ndarray, distance_m: float, env: Environment) -> np.ndarray:
    """Filter `x` by the air absorption of `distance_m` (zero-phase FIR, so timing is unchanged)."""
    f = np.linspace(0, FS / 2, 129)
    gain = 10 ** (-air_absorption_db_per_m(f, env.temperature_c, env.humidity_pct) * distance_m / 20)
    if gain[-1] > 0.97:
        return x
    taps = signal.firwin2(63, f, gain, fs=FS)
    return signal.fftconvolve(x, taps, mode="same")


def retarded(
    p0: np.ndarray, v: np.ndarray, points: np.ndarray, t: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Emission times t_e (P, T) and distances for receivers `points` (P, 3) at arrival times t (T).

    Solves t_e + |p0 + v t_e - point| / c = t by fixed-point iteration; |v|/c < 0.05, so each
    iteration gains a factor > 20 and three are plenty.
    """
    te = np.broadcast_to(t, (len(points), len(t))).copy()
    for _ in range(4):
        pos = p0[None, None, :] + v[None, None, :] * te[..., None]
        r = np.linalg.norm(pos - points[:, None, :], axis=-1)
        te = t[None, :] - r / C_SOUND
    pos = p0[None, None, :] + v[None, None, :] * te[..., None]
    r = np.linalg.norm(pos - points[:, None, :], axis=-1)
    return te, r


def render_source(
    out: np.ndarray, src: Source, mics_world: np.ndarray, mount: Mount, env: Environment, duration: float
) -> None:
    """Add the source's waves (all paths) to `out` (M, N) in pascal, in place."""
    n_total = out.shape[1]
    sig_t1 = src.t0 + len(src.signal) / FS
    origin = mount.origin()[None, :]
    for _name, gain, p0, v, heading in image_paths(src, env):
        # Arrival window of this path at the array (a few cm of aperture do not matter here).
        te_probe = np.linspace(src.t0, sig_t1, 64)
        r_probe = np.linalg.norm(p0 + v * te_probe[:, None] - origin, axis=1)
        a0 = src.t0 + r_probe.min() / C_SOUND - 0.01
        a1 = sig_t1 + r_probe.max() / C_SOUND + 0.01
        n0, n1 = max(0, int(a0 * FS)), min(n_total, math.ceil(a1 * FS))
        if n1 <= n0:
            continue
        nc = np.arange(n0 - n0 % COARSE, n1 + 2 * COARSE, COARSE)
        tc = nc / FS
        te, r = retarded(p0, v, mics_world, tc)
        delay = tc[None, :] - te
        # Directivity: a horn behind the grille is quieter behind the vehicle (body shadow).
        amp = gain / np.maximum(r, 0.5)
        if src.rear_db > 0:
            pos0 = p0[None, :] + v[None, :] * te[0][:, None]
            to_rx = origin - pos0
            cos_t = to_rx @ heading / np.linalg.norm(to_rx, axis=1)
            amp = amp * (10 ** (-src.rear_db * (1 - cos_t) / 2 / 20))[None, :]
        sig = absorb(src.signal, float(np.median(r[0])), env)
        sig_up = signal.resample_poly(sig, UPSAMPLE, 1).astype(np.float32)
        n_up = len(sig_up)
        for c0 in range(n0, n1, CHUNK):
            c1 = min(n1, c0 + CHUNK)
            nf = np.arange(c0, c1)
            k = (nf - nc[0]) // COARSE
            w = ((nf - nc[0]) % COARSE) / COARSE
            d_f = delay[:, k] * (1 - w) + delay[:, k + 1] * w
            a_f = amp[:, k] * (1 - w) + amp[:, k + 1] * w
            u = (nf[None, :] / FS - d_f - src.t0) * (FS * UPSAMPLE)
            i0 = np.floor(u).astype(np.int64)
            fr = (u - i0).astype(np.float32)
            ok = (i0 >= 0) & (i0 < n_up - 1)
            i0c = np.clip(i0, 0, n_up - 2)
            val = sig_up[i0c] * (1 - fr) + sig_up[i0c + 1] * fr
            out[:, c0:c1] += np.where(ok, val * a_f.astype(np.float32), 0.0).astype(np.float32)


def apparent_track(
    p0: np.ndarray, v: np.ndarray, mount: Mount, t_arr: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Where a source appears from the array's reference point at arrival times: az, el, dist, p_arr."""
    te, r = retarded(p0, v, mount.origin()[None, :], np.asarray(t_arr, dtype=float))
    pw = p0[None, :] + v[None, :] * te[0][:, None]
    pa = to_array(pw, mount)
    az, el = az_el(pa)
    return az, el, r[0], pa


def arrival_time(p0: np.ndarray, v: np.ndarray, mount: Mount, t_emit: float) -> float:
    """Arrival time at the array's reference point of sound emitted at `t_emit`."""
    return t_emit + float(np.linalg.norm(p0 + v * t_emit - mount.origin())) / C_SOUND


# ----------------------------------------------------------------------------------------------
# Signal helpers
# ----------------------------------------------------------------------------------------------


def a_weighting_sos() -> np.ndarray:
    """IEC 61672 A-weighting as a digital filter (bilinear transform of the analog poles/zeros)."""
    f1, f2, f3, f4 = 20.598997, 107.65265, 737.86223, 12194.217
    z = [0, 0, 0, 0]
    p = [-2 * math.pi * f for f in (f1, f1, f2, f3, f4, f4)]
    zd, pd, kd = signal.bilinear_zpk(z, p, 1.0, FS)
    sos = signal.zpk2sos(zd, pd, kd)
    _w, h = signal.sosfreqz(sos, worN=[1000.0], fs=FS)
    sos[0, :3] /= abs(h[0])
    return sos


A_SOS = a_weighting_sos()


def level_db_a(x: np.ndarray) -> float:
    """A-weighted level (dB SPL) of a pressure signal in pascal."""
    if len(x) == 0:
        return float("-inf")
    y = signal.sosfilt(A_SOS, x)
    return 10 * math.log10(float(np.mean(y**2)) / P_REF**2 + 1e-30)


def scale_to_db_a(x: np.ndarray, target_db: float, ref: np.ndarray | None = None) -> np.ndarray:
    """Scale `x` so that `ref` (default x itself) reads `target_db` dB(A)."""
    cur = level_db_a(x if ref is None else ref)
    return x * 10 ** ((target_db - cur) / 20)


def colored_noise(n: int, rng: np.random.Generator, slope_db_oct: float = -3.0) -> np.ndarray:
    """Gaussian noise with a spectral slope (-3 dB/octave = pink), unit RMS."""
    spec = np.fft.rfft(rng.standard_normal(n))
    f = np.fft.rfftfreq(n, 1 / FS)
    f[0] = f[1]
    spec *= (f / 1000.0) ** (slope_db_oct / 20 / math.log10(2))
    x = np.fft.irfft(spec, n)
    return x / (np.std(x) + 1e-12)


def smooth_random(n: int, rng: np.random.Generator, rate_hz: float) -> np.ndarray:
    """A slow random wander in about [-1, 1]: low-passed noise, for pitch wobble and level drift."""
    m = max(4, int(n / FS * rate_hz * 4) + 4)
    knots = rng.standard_normal(m)
    x = np.interp(np.linspace(0, m - 1, n), np.arange(m), knots)
    return np.clip(x / 1.5, -1.5, 1.5)


def additive(f_inst: np.ndarray, amps: np.ndarray, phases: np.ndarray, f_max: float = 15000.0) -> np.ndarray:
    """Harmonic series on an instantaneous fundamental f_inst (Hz per sample), band-limited to f_max.

    Additive synthesis, not a clipped oscillator, so no aliasing: every harmonic above f_max (at the
    highest instantaneous pitch) is left out.
    """
    phase = 2 * math.pi * np.cumsum(f_inst) / FS
    out = np.zeros(len(f_inst))
    fmax = float(np.max(f_inst))
    for k, (a, ph) in enumerate(zip(amps, phases, strict=True), start=1):
        if k * fmax > f_max:
            break
        out += a * np.sin(k * phase + ph)
    return out


def resonate(x: np.ndarray, centres: list[float], qs: list[float], gains_db: list[float]) -> np.ndarray:
    """Add resonant band-pass copies (horn throat/diaphragm modes) to the signal."""
    y = x.copy()
    for fc, q, g in zip(centres, qs, gains_db, strict=True):
        b, a = signal.iirpeak(fc, q, fs=FS)
        y += 10 ** (g / 20) * signal.lfilter(b, a, x)
    return y


def envelope(n: int, attack_s: float, release_s: float) -> np.ndarray:
    """Onset/offset envelope: raised-cosine attack and release (a diaphragm needs a few cycles)."""
    e = np.ones(n)
    na, nr = max(1, int(attack_s * FS)), max(1, int(release_s * FS))
    na, nr = min(na, n // 2), min(nr, n // 2)
    e[:na] = 0.5 - 0.5 * np.cos(np.linspace(0, math.pi, na))
    e[n - nr :] = 0.5 + 0.5 * np.cos(np.linspace(0, math.pi, nr))
    return e


def bandpass(x: np.ndarray, lo: float, hi: float, order: int = 2) -> np.ndarray:
    sos = signal.butter(order, [lo, hi], btype="bandpass", fs=FS, output="sos")
    return signal.sosfilt(sos, x)


def lowpass(x: np.ndarray, fc: float, order: int = 2) -> np.ndarray:
    sos = signal.butter(order, fc, btype="lowpass", fs=FS, output="sos")
    return signal.sosfilt(sos, x)


def highpass(x: np.ndarray, fc: float, order: int = 2) -> np.ndarray:
    sos = signal.butter(order, fc, btype="highpass", fs=FS, output="sos")
    return signal.sosfilt(sos, x)


# ----------------------------------------------------------------------------------------------
# Horns
# ----------------------------------------------------------------------------------------------


@dataclass
class HornSpec:
    """One vehicle's horn: what makes its sound its own across all its blasts."""

    kind: str  # "disc-pair", "disc", "air", "air-chord", "small"
    f0s: list[float]
    slope: float  # harmonic amplitude ~ k**-slope
    even_gain: float  # relative level of even harmonics (1 = all harmonics alike)
    phases: list[np.ndarray]
    resonances: tuple[list[float], list[float], list[float]]
    attack_s: float
    release_s: float
    glide: float  # relative pitch at onset (0.95 = starts 5 % flat)
    wobble: float  # relative slow pitch wander
    level_db_a_1m: float


def make_horn(kind: str, rng: np.random.Generator) -> HornSpec:
    """A random horn of a vehicle kind, from the pitches and levels the field uses."""
    if kind in ("car", "van", "emergency"):
        if rng.random() < 0.7:
            lo = rng.uniform(300, 410)
            ratio = rng.uniform(1.2, 1.3)
            f0s, hk = [lo, min(lo * ratio, 520.0)], "disc-pair"
        else:
            f0s, hk = [rng.uniform(300, 500)], "disc"
        slope, even = rng.uniform(0.5, 0.9), rng.uniform(0.6, 1.0)
        res = (
            sorted(rng.uniform(1500, 4000, 3).tolist()),
            rng.uniform(3, 9, 3).tolist(),
            rng.uniform(4, 12, 3).tolist(),
        )
        attack, release, glide = rng.uniform(0.008, 0.025), rng.uniform(0.015, 0.04), rng.uniform(0.94, 0.99)
        level = rng.uniform(100, 112)
    elif kind in ("truck", "bus"):
        if rng.random() < 0.75:
            n = 1 if rng.random() < 0.45 else int(rng.integers(2, 4))
            base = rng.uniform(200, 300)
            ratios = [1.0, rng.choice([1.189, 1.26]), 1.498][:n]
            f0s = [min(base * q * rng.uniform(0.995, 1.005), 350.0 * 1.5) for q in ratios]
            hk = "air" if n == 1 else "air-chord"
            slope, even = rng.uniform(0.9, 1.1), rng.uniform(0.8, 1.0)  # sawtooth-like
            attack, release, glide = rng.uniform(0.04, 0.1), rng.uniform(0.04, 0.08), rng.uniform(0.88, 0.95)
            res = (
                sorted(rng.uniform(900, 3000, 2).tolist()),
                rng.uniform(2, 5, 2).tolist(),
                rng.uniform(3, 8, 2).tolist(),
            )
        else:
            lo = rng.uniform(220, 300)
            f0s, hk = [lo, lo * rng.uniform(1.2, 1.3)], "disc-pair"
            slope, even = rng.uniform(0.5, 0.9), rng.uniform(0.6, 1.0)
            attack, release, glide = rng.uniform(0.01, 0.03), rng.uniform(0.02, 0.04), rng.uniform(0.94, 0.99)
            res = (
                sorted(rng.uniform(1500, 3500, 3).tolist()),
                rng.uniform(3, 9, 3).tolist(),
                rng.uniform(4, 10, 3).tolist(),
            )
        level = rng.uniform(104, 112)
    else:  # motorcycle, scooter, e-bike: one small high horn
        f0s, hk = [rng.uniform(600, 1100)], "small"
        slope, even = rng.uniform(0.9, 1.4), rng.uniform(0.2, 0.5)
        res = ([rng.uniform(2000, 3500)], [rng.uniform(3, 6)], [rng.uniform(3, 8)])
        attack, release, glide = rng.uniform(0.004, 0.012), rng.uniform(0.01, 0.025), rng.uniform(0.97, 1.0)
        level = rng.uniform(95, 100) if kind == "e-bike" else rng.uniform(97, 106)
    phases = [rng.uniform(0, 2 * math.pi, 80) for _ in f0s]
    return HornSpec(
        hk, f0s, slope, even, phases, res, attack, release, glide, rng.uniform(0.002, 0.006), level
    )


def horn_blast(spec: HornSpec, dur: float, rng: np.random.Generator) -> np.ndarray:
    """One blast, pressure at 1 m on axis (Pa), scaled to the horn's dB(A) in its steady part."""
    n = int(dur * FS)
    t = np.arange(n) / FS
    out = np.zeros(n)
    settle = spec.attack_s * 1.5
    for f0, ph in zip(spec.f0s, spec.phases, strict=True):
        glide = 1 - (1 - spec.glide) * np.exp(-t / max(settle, 1e-3))
        wob = (
            1
            + spec.wobble * smooth_random(n, rng, 6.0)
            + 0.0015 * np.sin(2 * math.pi * rng.uniform(4, 8) * t)
        )
        f_inst = f0 * glide * wob
        k = np.arange(1, 81)
        amps = k**-spec.slope * np.where(k % 2 == 0, spec.even_gain, 1.0)
        tone = additive(f_inst, amps, ph)
        # The diaphragm limits hard: a soft clip adds the dense upper harmonics of a real horn.
        tone = np.tanh(1.6 * tone / (np.max(np.abs(tone)) + 1e-12))
        out += tone * rng.uniform(0.8, 1.0)
    out = resonate(highpass(out, 0.8 * min(spec.f0s), 2), *spec.resonances)
    out = lowpass(out, 14000, 4)
    out *= envelope(n, spec.attack_s, spec.release_s) * (1 + 0.05 * smooth_random(n, rng, 10.0))
    a, b = int(min(spec.attack_s * 2, dur * 0.3) * FS), int(max(dur - spec.release_s * 2, dur * 0.7) * FS)
    return scale_to_db_a(out, spec.level_db_a_1m, ref=out[a:b] if b > a + 100 else out)


PATTERNS = {"tap": 0.15, "short": 0.35, "double": 0.2, "triple": 0.1, "long": 0.2}


def load_horn_clips(directory: Path) -> list[tuple[str, np.ndarray]]:
    """Recorded horns (every *.wav under `directory`) as (name, mono signal at FS), each cut to
    its sounding part: from the first to the last 20 ms frame within 15 dB of its loudest.

    Why: every horn this simulator synthesises has the spectra we chose; a real horn's timbre
    (its partials' levels, the noise of its diaphragm, the room it was recorded in) is a third
    opinion the detector never met. The clips are not ours to ship (see
    models/training/real_check_set.md, `debian_set.py --out DIR` writes DIR/horn/*.wav).
    """
    if not directory.is_dir():
        raise SystemExit(f"--horn-clips {directory}: no such directory")
    clips = []
    frame = FS // 50
    for path in sorted(directory.glob("*.wav")):
        try:
            x, rate = sf.read(path, dtype="float64", always_2d=True)
        except (sf.LibsndfileError, RuntimeError) as exc:
            raise SystemExit(f"--horn-clips {path}: not a readable sound file ({exc})") from None
        x = x.mean(axis=1)
        if rate != FS:
            g = math.gcd(int(rate), FS)
            x = signal.resample_poly(x, FS // g, int(rate) // g)
        if len(x) < frame or not np.any(x):
            raise SystemExit(f"--horn-clips {path}: silent or shorter than 20 ms, no horn to render")
        rms = np.sqrt(np.mean(x[: len(x) // frame * frame].reshape(-1, frame) ** 2, axis=1) + 1e-20)
        loud = np.flatnonzero(rms >= rms.max() * 10 ** (-15 / 20))
        clips.append((path.name, x[loud[0] * frame : (loud[-1] + 1) * frame]))
    if not clips:
        raise SystemExit(f"--horn-clips {directory}: no .wav files there")
    return clips


def clip_blast(clip: np.ndarray, level_db_a_1m: float) -> np.ndarray:
    """A recorded horn as pressure at 1 m (Pa), at the horn's level over the clip, faded in and
    out over 5 ms so its cut edges do not click."""
    fade = min(len(clip) // 4, FS // 200)
    ramp = np.ones(len(clip))
    ramp[:fade] = np.linspace(0, 1, fade)
    ramp[len(clip) - fade :] = np.linspace(1, 0, fade)
    return scale_to_db_a(clip * ramp, level_db_a_1m)


def honk_pattern(name: str, rng: np.random.Generator) -> list[tuple[float, float]]:
    """Blasts of one honk as (offset from the honk's start, duration), emission clock."""
    if name == "tap":
        return [(0.0, rng.uniform(0.1, 0.25))]
    if name == "short":
        return [(0.0, rng.uniform(0.3, 0.8))]
    if name == "long":
        return [(0.0, rng.uniform(1.0, 2.5))]
    taps, t = [], 0.0
    for _ in range(2 if name == "double" else 3):
        d = rng.uniform(0.1, 0.25)
        taps.append((t, d))
        t += d + rng.uniform(0.1, 0.25)
    return taps


# ----------------------------------------------------------------------------------------------
# Vehicles, traffic noise and confusers
# ----------------------------------------------------------------------------------------------

VEHICLE_DB_A_1M = {  # engine + tyre at cruising speed, equivalent level at 1 m (our estimate)
    "car": (84, 90),
    "van": (86, 92),
    "emergency": (86, 90),
    "truck": (94, 100),
    "bus": (92, 98),
    "motorcycle": (88, 95),
    "scooter": (80, 86),
    "e-bike": (68, 74),
}


@dataclass
class Vehicle:
    """A vehicle driving at constant speed along its lane (Y(t) = y0 + speed * t, speed signed)."""

    vid: str
    kind: str
    lane: int
    x: float
    y0: float
    speed: float
    horn_height: float = 0.7
    role: str = "traffic"

    def p0(self, height: float | None = None) -> np.ndarray:
        return np.array([self.x, self.y0, self.horn_height if height is None else height])

    def v(self) -> np.ndarray:
        return np.array([0.0, self.speed, 0.0])

    def heading(self) -> np.ndarray:
        return np.array([0.0, 1.0 if self.speed >= 0 else -1.0, 0.0])


def vehicle_noise(kind: str, n: int, rng: np.random.Generator) -> np.ndarray:
    """Engine firing harmonics (20-120 Hz and up) plus tyre/road broadband noise, at 1 m (Pa).

    Why both: the tyre band (0.5-2 kHz) is what competes with horn harmonics on a beamformer, the
    firing harmonics are the low tonal floor that a pitch tracker must not mistake for a horn.
    """
    fire = {
        "truck": (25, 55),
        "bus": (25, 50),
        "motorcycle": (40, 120),
        "scooter": (60, 120),
        "e-bike": (20, 40),
    }.get(kind, (30, 80))
    f_fire = rng.uniform(*fire) * (1 + 0.04 * smooth_random(n, rng, 0.5))
    k = np.arange(1, 40)
    amps = k**-0.8 * rng.uniform(0.3, 1.0, len(k))
    engine = additive(f_fire, amps, rng.uniform(0, 2 * math.pi, len(k)), f_max=1500.0)
    combustion = lowpass(colored_noise(n, rng, -6.0), 1500) * (
        1 + 0.5 * np.sin(2 * math.pi * np.cumsum(f_fire) / FS)
    )
    engine = engine / (np.std(engine) + 1e-12) + 0.5 * combustion / (np.std(combustion) + 1e-12)
    tyre = bandpass(colored_noise(n, rng, -1.0), 350, 3500, 2)
    tyre /= np.std(tyre) + 1e-12
    if kind == "e-bike":
        engine *= 0.05
    e_db = {"truck": 3.0, "bus": 3.0, "motorcycle": 4.0, "scooter": 2.0}.get(kind, -3.0)
    e = scale_to_db_a(engine, 0.0 + e_db)
    ty = scale_to_db_a(tyre, 0.0)
    x = (e + ty) * (1 + 0.15 * smooth_random(n, rng, 1.0))
    return scale_to_db_a(x, rng.uniform(*VEHICLE_DB_A_1M.get(kind, (84, 90))))


def siren_signal(kind: str, dur: float, rng: np.random.Generator) -> np.ndarray:
    """Electronic siren (square-ish drive into a horn speaker): wail, yelp or hi-lo two-tone."""
    n = int(dur * FS)
    t = np.arange(n) / FS
    if kind == "wail":
        period = rng.uniform(3, 5)
        ph = (t / period + rng.uniform(0, 1)) % 1.0
        rise = 0.6
        shape = np.where(
            ph < rise, np.sin(0.5 * math.pi * ph / rise), np.cos(0.5 * math.pi * (ph - rise) / (1 - rise))
        )
        f = 600 + 900 * shape
    elif kind == "yelp":
        period = rng.uniform(0.25, 0.4)
        ph = (t / period) % 1.0
        f = 700 + 800 * np.sin(0.5 * math.pi * ph)
    else:  # hi-lo
        lo, hi = rng.uniform(630, 670), rng.uniform(880, 920)
        sq = np.sign(np.sin(2 * math.pi * t / 1.0 + 1e-9))
        sq = np.convolve(sq, np.ones(960) / 960, mode="same")  # 20 ms glide between tones
        f = lo + (hi - lo) * (sq + 1) / 2
    k = np.arange(1, 16)
    amps = np.where(k % 2 == 1, 1.0 / k, 0.08 / k)
    x = additive(f, amps, rng.uniform(0, 2 * math.pi, len(k)), f_max=9000.0)
    x = bandpass(x, 400, 6000, 2) * envelope(n, 0.05, 0.05)
    return scale_to_db_a(x, rng.uniform(110, 118))


def beeper_signal(dur: float, rng: np.random.Generator) -> np.ndarray:
    """Reversing beeper: piezo tone 1-1.5 kHz, 0.5 s on / 0.5 s off."""
    n = int(dur * FS)
    t = np.arange(n) / FS
    f = rng.uniform(1000, 1500)
    x = (
        np.sin(2 * math.pi * f * t)
        + 0.2 * np.sin(2 * math.pi * 3 * f * t)
        + 0.08 * np.sin(2 * math.pi * 5 * f * t)
    )
    gate = ((t % 1.0) < 0.5).astype(float)
    gate = np.convolve(gate, np.hanning(240) / np.hanning(240).sum(), mode="same")
    x *= gate
    return scale_to_db_a(x, rng.uniform(97, 107), ref=x[gate > 0.5])


def bird_bout(dur: float, rng: np.random.Generator) -> np.ndarray:
    """A bout of song: fast frequency-modulated chirps in 2-6 kHz, 5-20 per second."""
    n = int(dur * FS)
    x = np.zeros(n)
    rate = rng.uniform(5, 20)
    style = rng.choice(["up", "down", "trill"])
    t_next = 0.0
    while t_next < dur - 0.15:
        d = rng.uniform(0.02, 0.12)
        m = int(d * FS)
        i0 = int(t_next * FS)
        tt = np.arange(m) / FS
        fa, fb = rng.uniform(2000, 6000, 2)
        if style == "up":
            fa, fb = min(fa, fb), max(fa, fb)
        elif style == "down":
            fa, fb = max(fa, fb), min(fa, fb)
        f = fa + (fb - fa) * tt / d
        if style == "trill":
            f = 0.5 * (fa + fb) + 0.25 * abs(fb - fa) * np.sin(2 * math.pi * rng.uniform(20, 40) * tt)
        ph = 2 * math.pi * np.cumsum(f) / FS
        c = (np.sin(ph) + 0.25 * np.sin(2 * ph)) * np.hanning(m)
        x[i0 : i0 + m] += c[: n - i0]
        t_next += 1.0 / rate * rng.uniform(0.7, 1.3)
    return scale_to_db_a(x, rng.uniform(75, 90), ref=x[np.abs(x) > 1e-3] if np.any(np.abs(x) > 1e-3) else x)


def music_signal(dur: float, rng: np.random.Generator) -> np.ndarray:
    """Music leaking from a car: kick, snare, bass, chords and a lead line, muffled by the body."""
    n = int(dur * FS)
    t = np.arange(n) / FS
    bpm = rng.uniform(90, 130)
    beat = 60 / bpm
    x = np.zeros(n)
    root = rng.uniform(45, 70)
    scale = [0, 2, 3, 5, 7, 8, 10, 12]
    for i in range(int(dur / beat)):
        i0 = int(i * beat * FS)
        m = min(int(beat * FS), n - i0)
        tt = np.arange(m) / FS
        kick = np.sin(2 * math.pi * (50 * tt + 60 * (1 - np.exp(-tt / 0.03)) * 0.03)) * np.exp(-tt / 0.15)
        x[i0 : i0 + m] += 1.0 * kick
        if i % 2 == 1:
            sn = bandpass(rng.standard_normal(m), 800, 5000) * np.exp(-tt / 0.08)
            x[i0 : i0 + m] += 0.6 * sn
        bass_f = root * 2 ** (rng.choice(scale[:5]) / 12)
        x[i0 : i0 + m] += (
            0.5
            * lowpass(additive(np.full(m, bass_f), 1.0 / np.arange(1, 20), np.zeros(19), 2000.0), 400)
            * envelope(m, 0.01, 0.05)
        )
        if i % 4 == 0:
            m4 = min(int(4 * beat * FS), n - i0)
            chord = np.zeros(m4)
            for st in (0, 3, 7):
                f = 4 * root * 2 ** ((rng.choice(scale) + st) / 12)
                chord += additive(np.full(m4, f), 1.0 / np.arange(1, 12) ** 1.5, np.zeros(11), 4000.0)
            x[i0 : i0 + m4] += 0.15 * chord * envelope(m4, 0.05, 0.2)
        for q in range(2):
            j0 = i0 + int(q * beat / 2 * FS)
            mm = min(int(beat / 2 * FS), n - j0)
            if mm <= 0 or rng.random() < 0.3:
                continue
            f = 8 * root * 2 ** (rng.choice(scale) / 12)
            lead = additive(
                np.full(mm, f), np.where(np.arange(1, 10) % 2 == 1, 1.0 / np.arange(1, 10), 0), np.zeros(9)
            )
            x[j0 : j0 + mm] += 0.2 * lead * envelope(mm, 0.01, 0.03)
    del t
    x = lowpass(x, rng.uniform(1200, 2500), 2)
    return scale_to_db_a(x, rng.uniform(85, 95))


def squeal_signal(dur: float, rng: np.random.Generator) -> np.ndarray:
    """Brake squeal: a disc mode at 2-5 kHz with a partial, slightly unstable in pitch."""
    n = int(dur * FS)
    t = np.arange(n) / FS
    f = rng.uniform(2000, 5000) * (
        1 + 0.003 * np.sin(2 * math.pi * rng.uniform(5, 10) * t) + 0.002 * smooth_random(n, rng, 3)
    )
    x = additive(f, np.array([1.0, 0.3, 0.1]), rng.uniform(0, 6.28, 3), 20000.0)
    x *= envelope(n, 0.05, 0.1) * (1 + 0.3 * smooth_random(n, rng, 4))
    return scale_to_db_a(x, rng.uniform(85, 100))


# ----------------------------------------------------------------------------------------------
# Scenario planning
# ----------------------------------------------------------------------------------------------


@dataclass
class Road:
    """Lane centres (world X) and their travel directions (+1 away from the pole, -1 toward it)."""

    lanes: list[float]
    dirs: list[int]
    bike_lane: int | None  # index into lanes of the kerbside bike lane, if any


def make_road(rng: np.random.Generator) -> Road:
    """2-4 lanes (3.2-3.7 m) plus maybe a bike lane, placed within -6..+8 m of the pole sideways."""
    n = int(rng.integers(2, 5))
    w = rng.uniform(3.2, 3.7)
    bike = rng.random() < 0.5
    span = n * w + (2.0 if bike else 0.0)
    left = rng.uniform(-6.5, max(-6.5, 8.5 - span))
    lanes = [left + w * (i + 0.5) for i in range(n)]
    if rng.random() < 0.3:
        dirs = [int(rng.choice([-1, 1]))] * n
    else:
        dirs = [-1 if i < n / 2 else 1 for i in range(n)]
        if n % 2 == 1:
            dirs[n // 2] = int(rng.choice([-1, 1]))
    bike_idx = None
    if bike:
        lanes.append(left + n * w + 1.0)
        dirs.append(dirs[-1])
        bike_idx = n
    return Road(lanes, dirs, bike_idx)


def pick_kind(rng: np.random.Generator, bike_lane: bool) -> str:
    if bike_lane:
        return str(rng.choice(["e-bike", "scooter"], p=[0.6, 0.4]))
    return str(
        rng.choice(
            ["car", "van", "truck", "bus", "motorcycle", "scooter"], p=[0.5, 0.1, 0.12, 0.08, 0.1, 0.1]
        )
    )


def speed_for(kind: str, rng: np.random.Generator) -> float:
    if kind == "e-bike":
        return rng.uniform(5, 7)
    if kind == "scooter":
        return rng.uniform(5, 11)
    if kind in ("truck", "bus"):
        return rng.uniform(5, 12)
    return rng.uniform(5, 15)


@dataclass
class Honk:
    vehicle: Vehicle
    horn: HornSpec
    pattern: str
    blasts: list[tuple[float, float]]
    t_emit: float  # emission time of the honk's start
    simultaneous_with: int | None = None


@dataclass
class Scenario:
    seed: int
    duration: float
    mount: Mount
    env: Environment
    road: Road
    vehicles: list[Vehicle]
    honks: list[Honk]
    confusers: list[dict[str, Any]]  # label, vehicle or static position, emission window, signal
    background_db_a: float
    rumble_db: float


def _lane_choices(road: Road, kind: str) -> list[int]:
    if kind in ("e-bike",) and road.bike_lane is not None:
        return [road.bike_lane]
    return [i for i in range(len(road.lanes)) if i != road.bike_lane]


def plan_scenario(seed: int, duration: float) -> Scenario:
    """Everything about a scene that does not depend on the array: same seed, same street moment."""
    rng = np.random.default_rng([seed, 7_351])
    mount = Mount(rng.uniform(5, 7), rng.uniform(5, 15), rng.uniform(-3, 3), rng.uniform(-1, 1))
    facade = None
    if rng.random() < 0.4:
        facade = float(rng.choice([-1, 1]) * rng.uniform(11, 16))
    env = Environment(
        rng.uniform(0.7, 0.95), facade, rng.uniform(0.5, 0.8), rng.uniform(10, 30), rng.uniform(40, 90)
    )
    road = make_road(rng)
    vehicles: list[Vehicle] = []
    vid = 0

    def new_vehicle(kind: str, lane: int, y_at: float, t_at: float, speed: float, role: str) -> Vehicle:
        nonlocal vid
        vid += 1
        s = speed * road.dirs[lane]
        jitter = rng.uniform(-0.4, 0.4) if lane != road.bike_lane else rng.uniform(-0.2, 0.2)
        v = Vehicle(
            f"v{vid:02d}",
            kind,
            lane,
            road.lanes[lane] + jitter,
            y_at - s * t_at,
            s,
            rng.uniform(0.5, 1.0),
            role,
        )
        vehicles.append(v)
        return v

    # Honks: 2-5 from different vehicles, scheduled on the arrival clock with gaps.
    n_honks = int(rng.integers(2, 6))
    plans = []
    for _ in range(n_honks):
        bike = road.bike_lane is not None and rng.random() < 0.15
        kind = pick_kind(rng, bike)
        pattern = str(rng.choice(list(PATTERNS), p=list(PATTERNS.values())))
        blasts = honk_pattern(pattern, rng)
        plans.append((kind, bike, pattern, blasts, blasts[-1][0] + blasts[-1][1]))
    pair = n_honks >= 2 and rng.random() < 0.35
    while True:
        lengths = [p[4] for p in plans]
        if pair:
            lengths[1] = 0.0  # the second of the pair starts inside the first
        free = duration - 2.0 - sum(lengths) - 0.8 * (len(plans) - 1 - (1 if pair else 0))
        if free > 0:
            break
        plans.pop()
        pair = pair and len(plans) >= 2
    order = list(range(len(plans)))
    gaps = rng.dirichlet(np.ones(len(plans) + 1)) * free
    starts: dict[int, float] = {}
    t = 1.0 + gaps[0]
    for j, i in enumerate(order):
        if pair and i == 1:
            continue
        starts[i] = t
        t += plans[i][4] + 0.8 + gaps[j + 1]
    if pair:
        starts[1] = starts[0] + rng.uniform(0.0, 0.5) * plans[0][4]

    honks: list[Honk] = []
    for i, (kind, bike, pattern, blasts, length) in enumerate(plans):
        for _attempt in range(60):
            lanes = [road.bike_lane] if bike and road.bike_lane is not None else _lane_choices(road, kind)
            lane = int(rng.choice(lanes))
            sp = speed_for(kind, rng)
            travel = sp * length
            y_mid = rng.uniform(8 + travel / 2, max(8 + travel / 2 + 0.1, 50 - travel / 2))
            r_guess = math.hypot(road.lanes[lane], y_mid, mount.height_m)
            t_emit = starts[i] - r_guess / C_SOUND
            cand = Vehicle(
                "tmp",
                kind,
                lane,
                road.lanes[lane] + rng.uniform(-0.4, 0.4),
                0.0,
                sp * road.dirs[lane],
                rng.uniform(0.5, 1.0),
                "honker",
            )
            cand.y0 = y_mid - cand.speed * (t_emit + length / 2)
            if pair and i == 1:
                other = honks[0]
                tm = t_emit + length / 2
                a1 = az_el(to_array(cand.p0() + cand.v() * tm, mount))
                a0 = az_el(to_array(other.vehicle.p0() + other.vehicle.v() * tm, mount))
                if angle_between(float(a1[0]), float(a1[1]), float(a0[0]), float(a0[1])) < 8.0:
                    continue
            break
        vid += 1
        cand.vid = f"v{vid:02d}"
        vehicles.append(cand)
        honks.append(
            Honk(cand, make_horn(kind, rng), pattern, blasts, t_emit, 0 if (pair and i == 1) else None)
        )

    # Neighbours: a car beside or close behind a honking vehicle (the attribution test).
    for h in list(honks):
        if rng.random() < 0.55:
            v = h.vehicle
            t_mid = h.t_emit
            y_now = v.y0 + v.speed * t_mid
            same_dir = [
                i for i in _lane_choices(road, "car") if road.dirs[i] == road.dirs[v.lane] and i != v.lane
            ]
            if same_dir and rng.random() < 0.5:
                lane, y = int(rng.choice(same_dir)), y_now + rng.uniform(-4, 4)
            else:
                lane, y = v.lane, y_now - np.sign(v.speed) * rng.uniform(7, 15)
            kind = pick_kind(rng, False)
            new_vehicle(kind, lane, y, t_mid, abs(v.speed) * rng.uniform(0.95, 1.05), "neighbour")
    # Free-flowing traffic.
    for _ in range(int(rng.integers(3, 7))):
        lane = int(rng.integers(len(road.lanes)))
        kind = pick_kind(rng, lane == road.bike_lane)
        new_vehicle(kind, lane, rng.uniform(-15, 110), 0.0, speed_for(kind, rng), "traffic")

    # Confusers.
    conf: list[dict[str, Any]] = []
    if rng.random() < 0.5:
        lane = int(rng.choice(_lane_choices(road, "car")))
        dur = rng.uniform(4, 12)
        t0 = rng.uniform(0.0, max(0.1, duration - dur - 0.5))
        sp = rng.uniform(8, 15)
        ev = new_vehicle("emergency", lane, rng.uniform(15, 60), t0 + dur / 2, sp, "siren")
        kind = str(rng.choice(["wail", "yelp", "hi-lo"]))
        conf.append(
            {
                "label": "siren",
                "kind": kind,
                "vehicle": ev,
                "t0": t0,
                "signal": siren_signal(kind, dur, rng),
                "height": 1.8,
            }
        )
    if rng.random() < 0.35:
        lane = int(rng.choice(_lane_choices(road, "truck")))
        dur = rng.uniform(5, 14)
        t0 = rng.uniform(0.0, max(0.1, duration - dur - 0.5))
        y_at = rng.uniform(10, 35)
        ev = new_vehicle("truck", lane, y_at, t0, rng.uniform(0.5, 1.5), "reversing")
        ev.speed = -ev.speed  # reversing: moving against its lane's direction, slowly
        ev.y0 = y_at - ev.speed * t0
        conf.append(
            {
                "label": "reversing_beeper",
                "kind": "beeper",
                "vehicle": ev,
                "t0": t0,
                "signal": beeper_signal(dur, rng),
                "height": 1.0,
            }
        )
    if rng.random() < 0.5:
        for _ in range(int(rng.integers(1, 4))):
            if rng.random() < 0.7:  # a tree beside the road
                side = float(rng.choice([-1, 1]))
                x = side * rng.uniform(9, 14)
                z = rng.uniform(4, 10)
            else:  # on a wire above the road
                x = rng.uniform(-5, 7)
                z = rng.uniform(6, 9)
            pos = np.array([x, rng.uniform(5, 45), z])
            for _b in range(int(rng.integers(2, 6))):
                dur = rng.uniform(0.5, 3.0)
                t0 = rng.uniform(0.0, duration - dur - 0.2)
                conf.append(
                    {
                        "label": "bird",
                        "kind": "song",
                        "pos": pos,
                        "t0": t0,
                        "signal": bird_bout(dur, rng),
                        "height": z,
                    }
                )
    if rng.random() < 0.25:
        lane = int(rng.choice(_lane_choices(road, "car")))
        ev = new_vehicle("car", lane, rng.uniform(10, 45), duration / 2, rng.uniform(5, 9), "music")
        conf.append(
            {
                "label": "music",
                "kind": "car-audio",
                "vehicle": ev,
                "t0": 0.0,
                "signal": music_signal(duration, rng),
                "height": 1.0,
            }
        )
    if rng.random() < 0.3:
        cands = [v for v in vehicles if v.role in ("traffic", "neighbour") and v.kind != "e-bike"]
        # Only a vehicle that is 5-60 m in front of the pole at some moment can squeal audibly.
        tgrid = np.arange(0.5, duration - 2, 0.1)
        opts = [(v, t) for v in cands for t in tgrid if 5 <= v.y0 + v.speed * t <= 60]
        if opts:
            ev, t_sq = opts[int(rng.integers(len(opts)))]
            dur = rng.uniform(0.4, 1.5)
            conf.append(
                {
                    "label": "brake_squeal",
                    "kind": "squeal",
                    "vehicle": ev,
                    "t0": float(t_sq),
                    "signal": squeal_signal(dur, rng),
                    "height": 0.3,
                }
            )
    return Scenario(
        seed, duration, mount, env, road, vehicles, honks, conf, rng.uniform(65, 75), rng.uniform(70, 78)
    )


# ----------------------------------------------------------------------------------------------
# Rendering a scene
# ----------------------------------------------------------------------------------------------


def render_scene(
    sc: Scenario, array: str, out_dir: Path, horn_clips: list[tuple[str, np.ndarray]] | None = None
) -> dict[str, Any]:
    """Synthesize the array audio and write scene.json, audio.wav, truth.json and setup.json.
    With `horn_clips`, every honk is one recorded horn (cycled through the clips) as one blast
    of the clip's length, at the honk's level, in place of the synthesised pattern."""
    t_start = time.time()
    mics_a = spiral_array(array)
    m_count = len(mics_a)
    mount, env, dur = sc.mount, sc.env, sc.duration
    mics_w = mics_a @ mount.rotation() + mount.origin()  # inverse of to_array (R is orthonormal)
    n = int(dur * FS)
    arng = np.random.default_rng([sc.seed, 1 if array == "spiral64" else 2, 99])
    vrng = np.random.default_rng([sc.seed, 4242])  # vehicle noise: same for both arrays
    out = np.zeros((m_count, n), dtype=np.float32)
    sources: list[Source] = []

    # 1. Traffic: every vehicle's engine and tyres, then calibrate the whole to the scene's Leq.
    pad = 1.0
    for v in sc.vehicles:
        sig = vehicle_noise(v.kind, int((dur + pad) * FS), vrng)
        src = Source(
            f"{v.vid}-engine", "vehicle", v.kind, sig, -pad, v.p0(0.4), v.v(), v.heading(), 0.0, v.vid
        )
        render_source(out, src, mics_w, mount, env, dur)
    near_db = level_db_a(out[0].astype(np.float64))
    diffuse_db = sc.background_db_a - 8.0
    near_target = 10 * math.log10(10 ** (sc.background_db_a / 10) - 10 ** (diffuse_db / 10))
    out *= np.float32(10 ** ((near_target - near_db) / 20))
    # 2. Diffuse: independent per microphone (distant traffic, with a traffic-like spectrum) and
    #    one low-frequency rumble common to all mics (wavelengths >> aperture: fully coherent).
    d_gain = None
    for m in range(m_count):
        d = lowpass(colored_noise(n, arng, -4.5), 6000, 2)
        if d_gain is None:  # same statistics on every mic: one calibration
            d_gain = 10 ** ((diffuse_db - level_db_a(d)) / 20)
        out[m] += (d * d_gain).astype(np.float32)
    rumble = bandpass(colored_noise(n, vrng, -3.0), 20, 120, 2)
    rumble *= 10 ** (sc.rumble_db / 20) * P_REF / (np.std(rumble) + 1e-12)
    out += rumble.astype(np.float32)[None, :]
    background = out[0].astype(np.float64).copy()

    truth_events: list[dict[str, Any]] = []
    confusers: list[dict[str, Any]] = []
    crng = np.random.default_rng([sc.seed, 555])  # signal details: same for both arrays

    # 3. Confusers.
    for k, c in enumerate(sc.confusers):
        sig = c["signal"]
        if "vehicle" in c:
            v: Vehicle = c["vehicle"]
            p0 = v.p0(c["height"])
            vel = v.v()
            head = v.heading()
            vid = v.vid
        else:
            p0, vel, head, vid = np.asarray(c["pos"], dtype=float), np.zeros(3), np.array([0, -1.0, 0]), None
        src = Source(f"conf{k}-{c['label']}", "confuser", c["label"], sig, c["t0"], p0, vel, head, 0.0, vid)
        tmp = np.zeros((1, n), dtype=np.float32)
        render_source(tmp, src, mics_w[:1], mount, env, dur)
        render_source(out, src, mics_w, mount, env, dur)
        ta0 = arrival_time(p0, vel, mount, c["t0"])
        ta1 = arrival_time(p0, vel, mount, c["t0"] + len(sig) / FS)
        tm = 0.5 * (ta0 + ta1)
        az, el, dist, _pa = apparent_track(p0, vel, mount, np.array([tm]))
        i0, i1 = int(max(0, ta0) * FS), int(min(dur, ta1) * FS)
        entry = {
            "label": c["label"],
            "t_start": round(max(0.0, ta0), 3),
            "t_end": round(min(dur, ta1), 3),
            "kind": c["kind"],
            "azimuth_deg": round(float(az[0]), 2),
            "elevation_deg": round(float(el[0]), 2),
            "distance_m": round(float(dist[0]), 2),
            "level_db_a_array": round(level_db_a(tmp[0, i0:i1].astype(np.float64)), 1)
            if i1 > i0 + 100
            else None,
        }
        if vid:
            entry["vehicle_id"] = vid
        if ta1 > 0 and ta0 < dur:
            confusers.append(entry)
        sources.append(src)

    # 4. Horns.
    for hi, h in enumerate(sc.honks):
        v = h.vehicle
        clip_name = None
        if horn_clips:
            clip_name, clip = horn_clips[(sc.seed * 7 + hi) % len(horn_clips)]
            h.blasts, h.pattern = [(0.0, len(clip) / FS)], "recorded"
        length = h.blasts[-1][0] + h.blasts[-1][1]
        sig = np.zeros(int((length + 0.1) * FS))
        for off, bd in h.blasts:
            b = clip_blast(clip, h.horn.level_db_a_1m) if clip_name else horn_blast(h.horn, bd, crng)
            i0 = int((off + 0.05) * FS)
            sig[i0 : i0 + len(b)] += b
        rear = {"truck": 6.0, "bus": 6.0}.get(v.kind, 8.0 if v.kind in ("car", "van") else 4.0)
        src = Source(
            f"horn{hi}", "horn", HORN_LABEL, sig, h.t_emit - 0.05, v.p0(), v.v(), v.heading(), rear, v.vid
        )
        tmp = np.zeros((1, n), dtype=np.float32)
        render_source(tmp, src, mics_w[:1], mount, env, dur)
        render_source(out, src, mics_w, mount, env, dur)
        sources.append(src)
        for bi, (off, bd) in enumerate(h.blasts):
            ta0 = arrival_time(v.p0(), v.v(), mount, h.t_emit + off)
            ta1 = arrival_time(v.p0(), v.v(), mount, h.t_emit + off + bd)
            tm = 0.5 * (ta0 + ta1)
            ts = np.unique(np.concatenate([np.arange(ta0, ta1, 0.1), [ta1]]))
            az, el, dist, pa = apparent_track(v.p0(), v.v(), mount, np.concatenate([[tm], ts]))
            i0, i1 = int(ta0 * FS), int(ta1 * FS)
            lvl = level_db_a(tmp[0, i0:i1].astype(np.float64))
            bg = level_db_a(background[i0:i1])
            truth_events.append(
                {
                    "t_start": round(ta0, 3),
                    "t_end": round(ta1, 3),
                    "label": HORN_LABEL,
                    "azimuth_deg": round(float(az[0]), 2),
                    "elevation_deg": round(float(el[0]), 2),
                    "distance_m": round(float(dist[0]), 2),
                    **({"pixel": px} if (px := pixel_of(pa[0])) is not None else {}),
                    "track_deg": [
                        [round(float(t), 3), round(float(a), 3), round(float(e), 3)]
                        for t, a, e in zip(ts, az[1:], el[1:], strict=True)
                    ],
                    "vehicle_id": v.vid,
                    "vehicle_kind": v.kind,
                    "horn_type": clip_name or h.horn.kind,
                    "f0_hz": [] if clip_name else [round(f, 1) for f in h.horn.f0s],
                    "pattern": h.pattern,
                    "blast": bi,
                    "honk": hi,
                    "level_db_a_1m": round(h.horn.level_db_a_1m, 1),
                    "level_db_a_array": round(lvl, 1),
                    "background_db_a_array": round(bg, 1),
                    "moving": "away" if v.speed > 0 else "toward",
                    "speed_mps": round(abs(v.speed), 1),
                    "simultaneous_with_honk": h.simultaneous_with,
                }
            )
    truth_events.sort(key=lambda e: e["t_start"])

    # 5. Per-mic sensitivity spread (MEMS: about +-1 dB) and self-noise (~30 dB(A) SPL).
    sens = 10 ** (arng.normal(0, 0.35, m_count) / 20)
    out *= sens.astype(np.float32)[:, None]
    self_db = arng.uniform(29, 33)
    w_gain = 10 ** ((self_db - level_db_a(arng.standard_normal(n))) / 20)
    for m in range(m_count):
        out[m] += (arng.standard_normal(n) * w_gain).astype(np.float32)

    # 6. Vehicle tracks for attribution (apparent positions on the arrival clock, in front only).
    veh_rows = []
    tgrid = np.round(np.arange(0, dur + 1e-9, 0.1), 3)
    for v in sc.vehicles:
        az, el, dist, pa = apparent_track(v.p0(), v.v(), mount, tgrid)
        keep = (pa[:, 2] > 2.0) & (dist < 120)
        rows = [
            [float(t), round(float(a), 3), round(float(e), 3), round(float(d), 2)]
            for t, a, e, d, k in zip(tgrid, az, el, dist, keep, strict=True)
            if k
        ]
        veh_rows.append(
            {
                "id": v.vid,
                "kind": v.kind,
                "role": v.role,
                "lane": v.lane,
                "speed_mps": round(v.speed, 2),
                "track": rows,
            }
        )

    # 7. Write.
    out_dir.mkdir(parents=True, exist_ok=True)
    digital = out / np.float32(FULL_SCALE_PA)
    peak = float(np.max(np.abs(digital)))
    if peak >= 1.0:
        print(
            f"warning: {out_dir.name} clips (peak {peak:.2f} FS); clipping as a real ADC would",
            file=sys.stderr,
        )
        np.clip(digital, -1.0, 1.0 - 2**-23, out=digital)
    subtype = "PCM_24" if array == "spiral64" else "FLOAT"
    sf.write(out_dir / "audio.wav", digital.T, FS, subtype=subtype, format="WAV")
    scene = {
        "format": "honkwatch-scene/1",
        "audio": "audio.wav",
        "sample_rate": FS,
        "full_scale_pa": FULL_SCALE_PA,
        "array": {"name": f"indep-{array}", "positions_m": [[round(float(c), 6) for c in p] for p in mics_a]},
        "camera": {**CAMERA, "rotation": np.eye(3).tolist(), "translation_m": CAMERA_T.tolist()},
        "start_utc": "2025-05-14T08:00:00Z",
        "zone": "independent-sim",
        "device": f"indep-{array}",
    }
    (out_dir / "scene.json").write_text(json.dumps(scene, indent=1))
    truth = {"events": truth_events, "confusers": confusers, "vehicles": veh_rows}
    (out_dir / "truth.json").write_text(json.dumps(truth, indent=1, ensure_ascii=False))
    setup = {
        "generator": "benchmarks/independent_scenes.py",
        "seed": sc.seed,
        "array": array,
        "duration_s": dur,
        "mount": vars(sc.mount),
        "environment": vars(sc.env),
        "road": vars(sc.road),
        "background_db_a": round(sc.background_db_a, 1),
        "rumble_db": round(sc.rumble_db, 1),
        "peak_fs": round(peak, 4),
        "sources": [
            {
                "name": s.name,
                "role": s.role,
                "label": s.label,
                "t0": s.t0,
                "t1": s.t0 + len(s.signal) / FS,
                "p0": s.p0.tolist(),
                "v": s.v.tolist(),
                "vehicle_id": s.vehicle_id,
            }
            for s in sources
        ]
        + [
            {
                "name": f"{v.vid}-vehicle",
                "role": "vehicle",
                "label": v.kind,
                "t0": -1.0,
                "t1": dur,
                "p0": v.p0().tolist(),
                "v": v.v().tolist(),
                "vehicle_id": v.vid,
            }
            for v in sc.vehicles
        ],
    }
    (out_dir / "setup.json").write_text(json.dumps(setup, indent=1))
    return {
        "dir": str(out_dir),
        "seconds": round(time.time() - t_start, 1),
        "horns": len(truth_events),
        "peak_fs": peak,
    }


# ----------------------------------------------------------------------------------------------
# Scoring and diagnosis (our own matching, independent of edge.scoring)
# ----------------------------------------------------------------------------------------------


def _track_dir(track: list[list[float]], t: float) -> tuple[float, float] | None:
    if not track:
        return None
    arr = np.asarray(track, dtype=float)
    if t < arr[0, 0] - 0.3 or t > arr[-1, 0] + 0.3:
        return None
    return float(np.interp(t, arr[:, 0], arr[:, 1])), float(np.interp(t, arr[:, 0], arr[:, 2]))


def _horn_dir(h: dict[str, Any], t: float) -> tuple[float, float]:
    d = _track_dir(h.get("track_deg") or [], t)
    return d if d is not None else (h["azimuth_deg"], h["elevation_deg"])


def candidate_directions(setup: dict[str, Any], t: float) -> list[tuple[str, float, float]]:
    """Every direction a wave could come from at time t: each active source by each path, and the
    front-back mirror (z -> -z) of each, which a planar array cannot tell apart."""
    mount = Mount(**setup["mount"])
    env = Environment(**setup["environment"])
    out = []
    for s in setup["sources"]:
        p0, v = np.asarray(s["p0"]), np.asarray(s["v"])
        src = Source(s["name"], s["role"], s["label"], np.zeros(1), s["t0"], p0, v)
        for pname, _g, pp, vv, _h in image_paths(src, env):
            te, r = retarded(pp, vv, mount.origin()[None, :], np.array([t]))
            if not (s["t0"] - 0.3 <= te[0, 0] <= s["t1"] + 0.3):
                continue
            pa = to_array(pp + vv * te[0, 0], mount)
            az, el = az_el(pa)
            tag = f"{s['name']}({s['label']},{s.get('vehicle_id')}) {pname} r={r[0, 0]:.0f}m"
            out.append((tag, float(az), float(el)))
            azm, elm = az_el(pa * np.array([1, 1, -1.0]))
            out.append((tag + " planar-mirror", float(azm), float(elm)))
    return out


def score_scene(scene_dir: Path, events_path: Path, tol_s: float = 0.25) -> dict[str, Any]:
    """Match replay events to truth blasts by time overlap; per-horn error, attribution, diagnosis."""
    truth = json.loads((scene_dir / "truth.json").read_text())
    setup = json.loads((scene_dir / "setup.json").read_text())
    horns = [e for e in truth["events"] if e["label"] == HORN_LABEL]
    est = (
        [json.loads(line) for line in events_path.read_text().splitlines() if line.strip()]
        if events_path.exists()
        else []
    )
    vehicles = truth.get("vehicles", [])

    def ov(e: dict[str, Any], h: dict[str, Any]) -> float:
        return min(e["t_end"] + tol_s, h["t_end"]) - max(e["t_start"] - tol_s, h["t_start"])

    def t_ref(e: dict[str, Any], h: dict[str, Any] | None = None) -> float:
        if e.get("t_ref") is not None:
            return float(e["t_ref"])
        if h is None:
            return 0.5 * (e["t_start"] + e["t_end"])
        return 0.5 * (max(e["t_start"], h["t_start"]) + min(e["t_end"], h["t_end"]))

    def attributed(e: dict[str, Any], h: dict[str, Any]) -> tuple[bool, float, str]:
        t = t_ref(e, h)
        own = angle_between(e["azimuth_deg"], e["elevation_deg"], *_horn_dir(h, t))
        nearest, nearest_id = 1e9, ""
        for v in vehicles:
            if v["id"] == h.get("vehicle_id"):
                continue
            d = _track_dir(v["track"], t)
            if d is None:
                continue
            a = angle_between(e["azimuth_deg"], e["elevation_deg"], *d)
            if a < nearest:
                nearest, nearest_id = a, f"{v['id']}({v['kind']})"
        for o in horns:
            if (
                o is not h
                and o.get("vehicle_id") != h.get("vehicle_id")
                and o["t_start"] < h["t_end"]
                and h["t_start"] < o["t_end"]
            ):
                a = angle_between(e["azimuth_deg"], e["elevation_deg"], *_horn_dir(o, t))
                if a < nearest:
                    nearest, nearest_id = a, f"{o['vehicle_id']}(horn)"
        return own < nearest, own, f"nearest other {nearest_id} at {nearest:.1f}°"

    per_horn = []
    for h in horns:
        cands = [e for e in est if ov(e, h) > 0]
        if not cands:
            per_horn.append({"horn": h, "found": False})
            continue
        # Of the events overlapping the blast, the one pointing nearest to it (a reviewer looks at
        # every event of that moment; a simultaneous other horn must not hide a correct one).
        scored = [(attributed(e, h), e) for e in cands]
        (ok, err, note), e = min(scored, key=lambda x: x[0][1])
        lat = max(0.0, e["t_start"] + e.get("detected_after_s", 0.0) - h["t_start"])
        per_horn.append(
            {
                "horn": h,
                "found": True,
                "event": e,
                "error_deg": err,
                "attributed": ok,
                "note": note,
                "latency_s": lat,
                "detected_after_s": e.get("detected_after_s"),
            }
        )
    per_event = []
    for e in est:
        matches = [h for h in horns if ov(e, h) > 0]
        best = None
        for h in matches:
            ok, err, note = attributed(e, h)
            if best is None or err < best[1]:
                best = (ok, err, note, h)
        t = t_ref(e)
        cands = sorted(
            (
                (angle_between(e["azimuth_deg"], e["elevation_deg"], a, el), tag)
                for tag, a, el in candidate_directions(setup, t)
            ),
            key=lambda x: x[0],
        )[:3]
        active_conf = [c for c in truth.get("confusers", []) if c["t_start"] - 0.3 <= t <= c["t_end"] + 0.3]
        per_event.append(
            {
                "event": e,
                "time_match": bool(matches),
                "correct": bool(best and best[0]),
                "correct_5deg": bool(best and best[0] and best[1] <= 5.0),
                "error_deg": best[1] if best else None,
                "note": best[2] if best else "",
                "explain": cands,
                "confusers_active": [
                    f"{c['label']}:{c.get('kind')} az{c.get('azimuth_deg')} el{c.get('elevation_deg')}"
                    for c in active_conf
                ],
            }
        )
    return {"horns": per_horn, "events": per_event, "setup": setup, "truth": truth}


def summary(results: list[dict[str, Any]]) -> dict[str, Any]:
    """Pooled figures over scenes: counts summed, per-horn values pooled before medians."""
    horns = [h for r in results for h in r["horns"]]
    evs = [e for r in results for e in r["events"]]
    evidence = [e for e in evs if e["event"].get("inside_frame", True) and not e["event"].get("conditions")]
    found = [h for h in horns if h["found"]]
    errs = [h["error_deg"] for h in found]
    honks = {(r["setup"]["seed"], h["horn"]["honk"]): False for r in results for h in r["horns"]}
    for r in results:
        for h in r["horns"]:
            honks[(r["setup"]["seed"], h["horn"]["honk"])] |= h["found"]
    return {
        "honk_recall": sum(honks.values()) / len(honks) if honks else float("nan"),
        "honks": len(honks),
        "horns": len(horns),
        "events": len(evs),
        "recall": len(found) / len(horns) if horns else float("nan"),
        "precision_time": sum(e["time_match"] for e in evs) / len(evs) if evs else float("nan"),
        "precision_attr": sum(e["correct"] for e in evs) / len(evs) if evs else float("nan"),
        "precision_5deg": sum(e["correct_5deg"] for e in evs) / len(evs) if evs else float("nan"),
        # Only events inside the picture with no suspending condition become evidence (a fine).
        "precision_evidence": sum(e["correct"] for e in evidence) / len(evidence)
        if evidence
        else float("nan"),
        "evidence_events": len(evidence),
        "median_err": float(np.median(errs)) if errs else float("nan"),
        "p90_err": float(np.percentile(errs, 90)) if errs else float("nan"),
        "attribution": float(np.mean([h["attributed"] for h in found])) if found else float("nan"),
        "median_detected_after": float(
            np.median([h["detected_after_s"] for h in found if h["detected_after_s"] is not None])
        )
        if found
        else float("nan"),
        "median_latency": float(np.median([h["latency_s"] for h in found])) if found else float("nan"),
    }


def print_report(score_dir: Path, events_dir: Path, verbose: bool) -> None:
    """Per-scene table, pooled rows per array, and the diagnosis of every miss and false event."""
    scenes = sorted(
        p for p in score_dir.iterdir() if (p / "truth.json").exists() and (p / "setup.json").exists()
    )
    by_array: dict[str, list[dict[str, Any]]] = {}
    head = f"{'scene':16} {'horns':>5} {'est':>4} {'recall':>6} {'p_time':>6} {'p_attr':>6} {'p_5deg':>6} {'med°':>6} {'p90°':>6} {'attr':>5} {'det_s':>6}"
    print(head)
    print("-" * len(head))

    def f(x: float, w: int = 6, p: int = 3) -> str:
        return f"{'n/a':>{w}}" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:>{w}.{p}f}"

    lines_diag: list[str] = []
    for sd in scenes:
        ev_path = events_dir / f"{sd.name}.jsonl"
        if not ev_path.exists():
            continue
        r = score_scene(sd, ev_path)
        by_array.setdefault(sd.name.split("-")[0], []).append(r)
        s = summary([r])
        print(
            f"{sd.name:16} {s['horns']:>5} {s['events']:>4} {f(s['recall'])} {f(s['precision_time'])} {f(s['precision_attr'])} {f(s['precision_5deg'])} {f(s['median_err'], 6, 2)} {f(s['p90_err'], 6, 2)} {f(s['attribution'], 5, 2)} {f(s['median_detected_after'], 6, 2)}"
        )
        for h in r["horns"]:
            hh = h["horn"]
            desc = (
                f"{hh['vehicle_id']} {hh['vehicle_kind']}/{hh['horn_type']} f0={hh['f0_hz']} {hh['pattern']}#{hh['blast']} "
                f"{hh['t_start']:.2f}-{hh['t_end']:.2f}s ({hh['t_end'] - hh['t_start']:.2f}s) d={hh['distance_m']:.1f}m az={hh['azimuth_deg']:.1f} el={hh['elevation_deg']:.1f} "
                f"{hh['moving']} {hh['speed_mps']}m/s L1m={hh['level_db_a_1m']} Larr={hh['level_db_a_array']} bg={hh['background_db_a_array']} dB(A)"
            )
            conf = [
                f"{c['label']}:{c.get('kind')}@az{c.get('azimuth_deg')}"
                for c in r["truth"]["confusers"]
                if c["t_start"] < hh["t_end"] and hh["t_start"] < c["t_end"]
            ]
            sim = [
                o["vehicle_id"]
                for o in r["truth"]["events"]
                if o is not hh
                and o["vehicle_id"] != hh["vehicle_id"]
                and o["t_start"] < hh["t_end"]
                and hh["t_start"] < o["t_end"]
            ]
            extra = (f" confusers={conf}" if conf else "") + (f" simultaneous_horns={sim}" if sim else "")
            if not h["found"]:
                lines_diag.append(f"MISS  {sd.name}: {desc}{extra}")
            elif not h["attributed"] or verbose:
                e = h["event"]
                tag = "OK   " if h["attributed"] else "MISATTR"
                lines_diag.append(
                    f"{tag} {sd.name}: {desc} -> est az={e['azimuth_deg']:.1f} el={e['elevation_deg']:.1f} err={h['error_deg']:.1f}° {h['note']}{extra}"
                )
        for ev in r["events"]:
            if ev["correct"] and not verbose:
                continue
            e = ev["event"]
            kind = "OK-EV" if ev["correct"] else ("WRONG-DIR" if ev["time_match"] else "FALSE")
            expl = "; ".join(f"{tag} ({a:.1f}°)" for a, tag in ev["explain"])
            lines_diag.append(
                f"{kind} {sd.name}: {e['t_start']:.2f}-{e['t_end']:.2f}s az={e['azimuth_deg']:.1f} el={e['elevation_deg']:.1f} conf={e.get('confidence')} spl={e.get('spl_db')} "
                f"{('err={:.1f}° '.format(ev['error_deg'])) if ev['error_deg'] is not None else ''}{ev['note']} | nearest sources: {expl} | confusers active: {ev['confusers_active']}"
            )
    print()
    for arr, rs in by_array.items():
        s = summary(rs)
        print(
            f"POOLED {arr}: horns {s['horns']} events {s['events']} recall {f(s['recall'])} "
            f"honk recall {f(s['honk_recall'])} ({s['honks']} honks) precision(time) {f(s['precision_time'])} "
            f"precision(attributed) {f(s['precision_attr'])} precision(attr & <=5°) {f(s['precision_5deg'])} "
            f"precision(evidence: attributed, of {s['evidence_events']} inside the picture) {f(s['precision_evidence'])} "
            f"median err {f(s['median_err'], 5, 2)}° p90 {f(s['p90_err'], 5, 2)}° attribution {f(s['attribution'])} "
            f"median detected_after_s {f(s['median_detected_after'])} median latency {f(s['median_latency'])}"
        )
    print()
    print("\n".join(lines_diag))


# ----------------------------------------------------------------------------------------------
# CLI
# ----------------------------------------------------------------------------------------------


def parse_seeds(text: str) -> list[int]:
    """'1-12' or '1,3,5' or '1-3,7' -> list of ints."""
    seeds: list[int] = []
    for part in text.split(","):
        if "-" in part:
            a, b = part.split("-")
            seeds.extend(range(int(a), int(b) + 1))
        elif part:
            seeds.append(int(part))
    return seeds


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--out", type=Path, help="write scenes to OUT/<array>-<seed>/")
    ap.add_argument("--seeds", default="1-12", help="e.g. 1-12 or 1,4,9")
    ap.add_argument("--array", choices=["spiral64", "spiral32"], default="spiral64")
    ap.add_argument("--duration", type=float, default=20.0)
    ap.add_argument("--force", action="store_true", help="re-render scenes that already exist")
    ap.add_argument(
        "--without",
        action="append",
        default=[],
        metavar="LABEL",
        help="diagnosis: render the same scene without confusers of this label (siren, bird, music, …)",
    )
    ap.add_argument(
        "--horn-clips",
        type=Path,
        metavar="DIR",
        help="every honk is a recorded horn from DIR/*.wav (e.g. debian_set.py's OUT/horn) instead of a synthesised one",
    )
    ap.add_argument("--score", type=Path, help="score replayed events for the scenes under this dir")
    ap.add_argument("--events", type=Path, help="with --score: dir of <scene-name>.jsonl replay outputs")
    ap.add_argument("--verbose", action="store_true", help="with --score: list correct events too")
    args = ap.parse_args(argv)
    try:
        seeds = parse_seeds(args.seeds)
    except ValueError:
        ap.error(f"--seeds {args.seeds!r}: expected e.g. 1-12 or 1,4,9")
    if args.score:
        if not args.score.is_dir():
            ap.error(f"--score {args.score}: no such directory of scenes")
        print_report(args.score, args.events or args.score / "out", args.verbose)
        return 0
    if not args.out:
        ap.error("--out or --score is required")
    clips = load_horn_clips(args.horn_clips) if args.horn_clips else None
    for seed in seeds:
        d = args.out / f"{args.array}-{seed}"
        if (d / "truth.json").exists() and not args.force:
            print(f"{d}: exists, skipped")
            continue
        sc = plan_scenario(seed, args.duration)
        # Dropping a confuser after planning keeps every other draw (and its vehicle) unchanged.
        sc.confusers = [c for c in sc.confusers if c["label"] not in args.without]
        info = render_scene(sc, args.array, d, clips)
        print(json.dumps(info), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
