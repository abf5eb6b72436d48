"""What a street and a recording chain do to a dry source, as random augmentations.

The classifier must not learn the simulator's cleanliness: real clips come reverberant
(buildings, road surface), band-limited (cheap MEMS microphones, phone codecs, wind filters),
compressed or clipped (automatic gain, loud horns near the mic) and noisy. Each function takes
a `numpy.random.Generator` so a data set is reproducible from its seed.
"""

from __future__ import annotations

import numpy as np
from scipy import signal as sps


def room_impulse(fs: int, rng: np.random.Generator) -> np.ndarray:
    """A street-like impulse response: the direct sound, a ground reflection 1–10 ms later,
    a few façade echoes at 10–80 ms, and an exponential diffuse tail (RT60 0.1–1.2 s)."""
    rt60 = rng.uniform(0.1, 1.2)
    n = int(min(rt60, 0.8) * fs)
    t = np.arange(n) / fs
    tail = rng.standard_normal(n) * np.exp(-6.9 * t / rt60)
    tail = sps.sosfilt(sps.butter(1, rng.uniform(2000, 7000), fs=fs, output="sos"), tail)
    h = tail / np.sqrt(np.sum(tail**2)) * 10 ** (-rng.uniform(-2, 15) / 20)  # direct-to-reverberant
    h[0] += 1.0
    for delay_s, gain in [(rng.uniform(0.001, 0.01), rng.uniform(0.3, 0.9))] + [
        (rng.uniform(0.01, 0.08), rng.uniform(0.1, 0.5)) for _ in range(int(rng.integers(0, 4)))
    ]:
        i = int(delay_s * fs)
        if i < n:
            h[i] += gain * rng.choice([-1.0, 1.0])
    return h


def reverberate(x: np.ndarray, fs: int, rng: np.random.Generator) -> np.ndarray:
    """`x` through a random street impulse response, same length as `x`."""
    return sps.fftconvolve(x, room_impulse(fs, rng))[: x.size]


def band_limit(x: np.ndarray, fs: int, rng: np.random.Generator) -> np.ndarray:
    """A random high-pass (wind filter, small capsule) and low-pass (codec, cheap ADC)."""
    hp = rng.uniform(40, 400)
    lp = rng.uniform(3000, 0.45 * fs)
    sos = sps.butter(int(rng.integers(1, 5)), [hp, lp], btype="bandpass", fs=fs, output="sos")
    return sps.sosfilt(sos, x)


def colour(x: np.ndarray, fs: int, rng: np.random.Generator) -> np.ndarray:
    """A microphone's and enclosure's own frequency response: 1-3 random peaks or dips of up to
    ±8 dB (MEMS port resonance, a grille, a housing) and a gentle high-frequency roll-off."""
    spec = np.fft.rfft(x)
    f = np.fft.rfftfreq(x.size, 1 / fs)
    gain_db = np.zeros(f.size)
    for _ in range(int(rng.integers(1, 4))):
        f0 = rng.uniform(300, 0.4 * fs)
        gain_db += rng.uniform(-8, 8) * np.exp(
            -0.5 * (np.log(np.maximum(f, 1.0) / f0) / rng.uniform(0.1, 0.5)) ** 2
        )
    if rng.random() < 0.5:
        gain_db -= 10 * np.log10(1 + (f / rng.uniform(2500, 7000)) ** 2)
    x = np.fft.irfft(spec * 10 ** (gain_db / 20), x.size)
    return x


def compress(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Automatic gain control and saturation: a soft clip at a random drive."""
    peak = np.max(np.abs(x))
    if peak <= 0:
        return x
    drive = rng.uniform(1.0, 6.0)
    return np.tanh(drive * x / peak) * peak / drive


def record(x: np.ndarray, fs: int, rng: np.random.Generator) -> np.ndarray:
    """The recording chain on a mixed scene: maybe band-limit, maybe colour, maybe compress, add the
    microphone's self-noise, set a random level (−45…−12 dBFS RMS) and clip at full scale."""
    if rng.random() < 0.5:
        x = band_limit(x, fs, rng)
    if rng.random() < 0.5:
        x = colour(x, fs, rng)
    if rng.random() < 0.25:
        x = compress(x, rng)
    rms = np.sqrt(np.mean(x**2)) + 1e-12
    x = x / rms
    x = x + rng.standard_normal(x.size) * 10 ** (-rng.uniform(30, 60) / 20)
    x = x * 10 ** (rng.uniform(-45, -12) / 20)
    return np.clip(x, -1.0, 1.0)
