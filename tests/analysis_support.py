"""Minimal synthetic array signals for the analysis tests: point sources with exact propagation.

Not a simulator: free field, spherical spreading and the exact delay from each source point to
each microphone (applied as a phase in one long FFT), plus independent sensor noise. Enough to
check the localizer, tracker and streaming against known geometry.
"""

from __future__ import annotations

import numpy as np

from edge.geometry.camera import direction_to_unit

C = 343.0


def harmonic_tone(
    f0: float,
    duration_s: float,
    fs: int,
    rng: np.random.Generator,
    n_harm: int = 15,
    odd_only: bool = False,
    wobble: float = 0.004,
    glide: float = 0.0,
    even_gain: float = 1.0,
) -> np.ndarray:
    """A horn-like comb: 1/k partials, slow random pitch wobble (a real diaphragm is never a
    perfect oscillator), optional linear pitch glide (relative change over the tone), unit RMS.
    `even_gain` scales the even partials (a buzzer's square-ish drive: 0.25 is 12 dB down)."""
    n = round(duration_s * fs)
    t = np.arange(n) / fs
    knots = rng.standard_normal(int(duration_s * 8) + 3)
    wob = np.interp(t * 8, np.arange(knots.size), knots)
    f_inst = f0 * (1 + wobble * wob + glide * t / duration_s)
    phase = 2 * np.pi * np.cumsum(f_inst) / fs
    x = np.zeros_like(t)
    for k in range(1, n_harm + 1):
        if k * f_inst.max() > 0.45 * fs or (odd_only and k % 2 == 0):
            continue
        gain = even_gain if k % 2 == 0 else 1.0
        x += gain * np.sin(k * phase + rng.uniform(0, 2 * np.pi)) / k
    n = min(len(t) // 2, int(0.01 * fs))
    ramp = np.linspace(0, 1, n)
    x[:n] *= ramp
    x[len(x) - n :] *= ramp[::-1]
    return x / np.sqrt(np.mean(x**2))


def render(
    positions_m: np.ndarray,
    fs: int,
    duration_s: float,
    sources: list[tuple[np.ndarray, float, float, float, float]],
    noise_rms: float = 1e-3,
    seed: int = 0,
) -> np.ndarray:
    """(frames, M) float32: each source is (signal, t_start, azimuth, elevation, distance_m).

    The signal's amplitude is taken as the pressure at 1 m; spreading is 1/r to each microphone.
    """
    rng = np.random.default_rng(seed)
    n = round(duration_s * fs)
    m = len(positions_m)
    nfft = 1 << int(np.ceil(np.log2(n + fs)))
    f = np.fft.rfftfreq(nfft, 1 / fs)
    out_spec = np.zeros((len(f), m), dtype=complex)
    for sig, t0, az, el, dist in sources:
        p = direction_to_unit(az, el) * dist
        r = np.linalg.norm(p[None, :] - positions_m, axis=1)
        padded = np.zeros(nfft)
        i0 = round(t0 * fs)
        seg = sig[: max(0, min(len(sig), n - i0))]
        padded[i0 : i0 + len(seg)] = seg
        s = np.fft.rfft(padded)
        # Times are as sound arrives at the array origin: delay relative to |p|.
        out_spec += s[:, None] * np.exp(-2j * np.pi * f[:, None] * (r - dist)[None, :] / C) / r[None, :]
    x = np.fft.irfft(out_spec, nfft, axis=0)[:n]
    x += noise_rms * rng.standard_normal(x.shape)
    return x.astype(np.float32)


def render_paths(
    positions_m: np.ndarray,
    fs: int,
    duration_s: float,
    signal: np.ndarray,
    t_start: float,
    paths: list[tuple[np.ndarray, float]],
    noise_rms: float = 1e-3,
    seed: int = 0,
) -> np.ndarray:
    """(frames, M) float32: one signal reaching the array along several paths `(point, gain)`.

    For a reflection, the point is the image source and the gain the reflection coefficient.
    Times are as the first path's sound arrives at the array origin; every path is delayed by its
    own length to each microphone (exactly, as a phase) and spreads as 1/r.
    """
    rng = np.random.default_rng(seed)
    n = round(duration_s * fs)
    nfft = 1 << int(np.ceil(np.log2(n + fs)))
    f = np.fft.rfftfreq(nfft, 1 / fs)
    padded = np.zeros(nfft)
    i0 = round(t_start * fs)
    seg = signal[: max(0, min(len(signal), n - i0))]
    padded[i0 : i0 + len(seg)] = seg
    s = np.fft.rfft(padded)
    ref = float(np.linalg.norm(paths[0][0]))
    spec = np.zeros((len(f), len(positions_m)), dtype=complex)
    for point, gain in paths:
        r = np.linalg.norm(np.asarray(point)[None, :] - positions_m, axis=1)
        spec += gain * s[:, None] * np.exp(-2j * np.pi * f[:, None] * (r - ref)[None, :] / C) / r[None, :]
    x = np.fft.irfft(spec, nfft, axis=0)[:n]
    x += noise_rms * rng.standard_normal(x.shape)
    return x.astype(np.float32)
