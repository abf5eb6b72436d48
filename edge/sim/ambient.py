"""What every microphone hears besides the scene's point sources: distant traffic, wind, its own noise.

These fields differ in how they correlate across the array, which is what a localizer feels:
distant traffic arrives from everywhere (a diffuse field, built from many plane waves, coherent
between close microphones at low frequency), wind is turbulence at each microphone's own port
(uncorrelated, strongest below a few hundred hertz), self-noise is white and independent.
"""

from __future__ import annotations

from math import gcd

import numpy as np
from scipy import fft as sp_fft
from scipy import signal as sps

from edge.geometry import Mount
from edge.sim import signals
from edge.sim.levels import P_REF_PA, a_weighted_rms
from edge.sim.propagation import render_plane_wave

BACKGROUND_DIRECTIONS = 16
"""Plane waves making up the diffuse traffic background."""

SELF_NOISE_DBA = 32.0
"""MEMS microphone self-noise, equivalent input level (SNR ≈ 62 dB re 94 dB SPL)."""

_SLOW_FS = 16000  # distant rumble has little above a few kHz: generate slowly, resample
_WIND_FS = 4000  # wind noise falls ~12 dB/octave above ~200 Hz


def _resampled(x: np.ndarray, fs_from: int, fs_to: int, n: int) -> np.ndarray:
    g = gcd(fs_from, fs_to)
    y = sps.resample_poly(x, fs_to // g, fs_from // g)
    return np.pad(y, (0, max(0, n - y.size)))[:n]


def add_diffuse_background(
    out: np.ndarray,
    fs: int,
    mics: np.ndarray,
    level_dba: float,
    mount: Mount,
    rng: np.random.Generator,
    c: float,
) -> None:
    """Distant traffic at `level_dba` (A-weighted, per microphone): plane waves from all around,
    strongest from up and down the road and from slightly below the horizon, where the traffic is.

    Two directions carry full `traffic_background` signals (engines, swells); the others carry
    noise with the same average spectrum, each with its own slow level swell.
    """
    n = out.shape[1]
    m = sp_fft.next_fast_len(n + int(0.1 * fs), real=True)
    dur = m / fs
    az = np.concatenate([[0.0, 180.0], rng.uniform(-180.0, 180.0, BACKGROUND_DIRECTIONS - 2)])
    el = np.concatenate([[-2.0, -2.0], rng.uniform(-15.0, 25.0, BACKGROUND_DIRECTIONS - 2)])
    weight = np.concatenate([[3.0, 2.0], 0.3 + np.abs(np.cos(np.radians(az[2:])))])
    weight /= np.sqrt(np.sum(weight**2))
    # World directions (x right, y down, z along the road) to array-frame unit vectors.
    a, e = np.radians(az), np.radians(el)
    world = np.stack([np.cos(e) * np.sin(a), -np.sin(e), np.cos(e) * np.cos(a)], axis=1)
    toward = world @ mount.world_from_array()
    target = P_REF_PA * 10.0 ** (level_dba / 20.0)
    beds = [_resampled(signals.traffic_background(dur, _SLOW_FS, rng), _SLOW_FS, fs, m) for _ in range(2)]
    shape = np.sqrt(np.mean([np.abs(np.fft.rfft(b)) ** 2 for b in beds], axis=0))
    shape = np.convolve(shape, np.ones(64) / 64, mode="same")
    for k in range(BACKGROUND_DIRECTIONS):
        if k < 2:
            x = beds[k]
        else:
            x = np.fft.irfft(np.fft.rfft(rng.standard_normal(m)) * shape, m)
            x *= np.exp(0.4 * _slow_curve(m, fs, rng, 0.3))
        x = x * (weight[k] * target / max(a_weighted_rms(x, fs), 1e-20))
        render_plane_wave(out, x, toward[k], mics, fs, c)


def add_rain(
    out: np.ndarray,
    fs: int,
    mics: np.ndarray,
    level_dba: float,
    mount: Mount,
    rng: np.random.Generator,
    c: float,
) -> None:
    """Rain at `level_dba`: drops hitting the road, cars and roofs all around (plane waves from below
    and beside the array, each its own shower), plus drops striking the array's own housing, which
    every microphone hears by itself. Taiwan's loudness cameras stop enforcing in rain for this."""
    n = out.shape[1]
    m = sp_fft.next_fast_len(n + int(0.1 * fs), real=True)
    k = 6
    az = rng.uniform(-180.0, 180.0, k)
    el = rng.uniform(-60.0, 10.0, k)  # mostly the wet road below
    a, e = np.radians(az), np.radians(el)
    world = np.stack([np.cos(e) * np.sin(a), -np.sin(e), np.cos(e) * np.cos(a)], axis=1)
    toward = world @ mount.world_from_array()
    target = P_REF_PA * 10.0 ** (level_dba / 20.0)
    for i in range(k):
        x = signals.rain(m / fs, fs, rng)
        render_plane_wave(
            out, x * (0.9 * target / np.sqrt(k) / max(a_weighted_rms(x, fs), 1e-20)), toward[i], mics, fs, c
        )
    drops = signals.rain(n / fs, fs, rng)
    drops *= 0.44 * target / max(a_weighted_rms(drops, fs), 1e-20)
    for ch in range(out.shape[0]):
        out[ch] += np.roll(drops, int(rng.integers(n))).astype(out.dtype)


def _slow_curve(n: int, fs: int, rng: np.random.Generator, rate_hz: float) -> np.ndarray:
    """A smooth random curve of unit-ish amplitude changing at about `rate_hz`."""
    step = max(1, int(fs / rate_hz))
    knots = rng.standard_normal(n // step + 2)
    return np.interp(np.arange(n) / step, np.arange(knots.size), knots)


def wind_level_db(wind_mps: float) -> float:
    """Unweighted wind-noise SPL at a foam-screened microphone: ∝ v³ (60 dB per decade),
    about 65 dB at 5 m/s, the speed above which Taiwan's cameras stop enforcing."""
    return 65.0 + 60.0 * np.log10(max(wind_mps, 1e-3) / 5.0)


def add_wind(out: np.ndarray, fs: int, wind_mps: float, rng: np.random.Generator) -> None:
    """Wind noise, independent at every microphone, under gusts shared by the whole array."""
    if wind_mps <= 0.2:
        return
    n = out.shape[1]
    rms = P_REF_PA * 10.0 ** (wind_level_db(wind_mps) / 20.0)
    gust = np.exp(0.5 * _slow_curve(n, fs, rng, 0.4))
    gust /= np.sqrt(np.mean(gust**2))
    slow = sp_fft.next_fast_len(int(n / fs * _WIND_FS) + 1, real=True)
    for ch in range(out.shape[0]):
        w = _resampled(signals.wind(slow / _WIND_FS, _WIND_FS, rng), _WIND_FS, fs, n)
        out[ch] += (w * (rms / max(float(np.sqrt(np.mean(w**2))), 1e-20)) * gust).astype(out.dtype)


def add_self_noise(out: np.ndarray, rng: np.random.Generator, level_dba: float = SELF_NOISE_DBA) -> None:
    """White self-noise, independent per microphone (A-weighting barely changes white noise's level)."""
    rms = np.float32(P_REF_PA * 10.0 ** (level_dba / 20.0))
    for ch in range(out.shape[0]):
        out[ch] += rng.standard_normal(out.shape[1], dtype=np.float32) * rms


def apply_channel_faults(
    out: np.ndarray, fs: int, dead: int | None, noisy: int | None, rng: np.random.Generator
) -> None:
    """A dead channel reads a constant near zero; a noisy one adds hiss, mains hum and crackle,
    as a cracked MEMS port or a bad solder joint does. A pipeline must notice and ignore both."""
    n = out.shape[1]
    if dead is not None:
        out[dead] = np.float32(1e-4)
    if noisy is not None:
        # Loud enough to stand out from its neighbours (+15 dB hiss, hum, clicks), as a broken one does.
        typical = float(np.median(np.sqrt(np.mean(out.astype(np.float64) ** 2, axis=1))))
        t = np.arange(n) / fs
        hum = sum(np.sin(2 * np.pi * 50.0 * k * t + rng.uniform(0, 2 * np.pi)) / k for k in (1, 2, 3, 5))
        crackle = np.zeros(n)
        where = rng.integers(0, n, int(n / fs * 20))
        crackle[where] = rng.standard_normal(where.size) * 20.0
        hiss = rng.standard_normal(n) * 5.6
        out[noisy] += (typical * (hiss + 2.0 * hum + crackle)).astype(out.dtype)
