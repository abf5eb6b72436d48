"""Training-only variety on top of `edge.sim.signals`: the horns and sirens it lacks.

The simulator's library is shared with the scene simulator and stays as it is; what the
classifier additionally needs to see is made here from it:
- horns pitched higher (single-tone e-bike/scooter horns at 1-3 kHz fundamentals) and horns
  passing by (Doppler glide and the level swell of a vehicle driving past);
- the European two-tone siren: two horn-like tones a fourth apart, alternating. Its tones have a
  horn's timbre, so only the alternation tells it apart: the classic false positive;
- `phone_ring`, a held-out-only confuser (two sine tones in on/off bursts, like a double honk
  without a horn's harmonics), so the evaluation keeps a confuser the training never saw.

Every function takes a `numpy.random.Generator`, like `signals`, so data sets are reproducible.
"""

from __future__ import annotations

import numpy as np
from scipy import signal as sps

SPEED_OF_SOUND = 343.0


def pitch_shift(x: np.ndarray, ratio: float) -> np.ndarray:
    """`x` played `ratio` times faster: every frequency × `ratio`, duration ÷ `ratio`."""
    down = 200
    up = max(1, round(down / ratio))
    return sps.resample_poly(x, up, down)


def shift_mask(on: np.ndarray, size: int) -> np.ndarray:
    """An on-mask resampled to `size` samples (nearest neighbour), to follow a pitch shift."""
    idx = np.minimum((np.arange(size) * on.size / max(1, size)).astype(int), on.size - 1)
    return on[idx]


def pass_by(x: np.ndarray, fs: int, rng: np.random.Generator) -> np.ndarray:
    """`x` as heard from the kerb while its source drives past: the Doppler glide (pitch falls by
    up to ~9 % at 15 m/s) and the level swell of the changing distance. Same length as `x`."""
    n = x.size
    v = rng.uniform(3.0, 15.0)
    d = rng.uniform(3.0, 20.0)
    t = np.arange(n) / fs
    t0 = rng.uniform(-0.5, 0.5) * n / fs + 0.5 * n / fs  # closest approach somewhere near the middle
    along = v * (t - t0)
    dist = np.sqrt(d**2 + along**2)
    factor = 1.0 - v * along / dist / SPEED_OF_SOUND  # > 1 approaching, < 1 receding
    tau = np.cumsum(factor) / fs
    tau -= tau[n // 2] - t[n // 2]
    y = np.interp(tau, t, x, left=0.0, right=0.0)
    return y * (d / dist)


def _tone(f_inst: np.ndarray, fs: int, rng: np.random.Generator, n_harm: int, tilt: float) -> np.ndarray:
    """A driven horn speaker or trumpet: harmonics k^-tilt with a random resonance, soft-clipped."""
    phase = 2 * np.pi * np.cumsum(f_inst) / fs
    k = np.arange(1, n_harm + 1)
    amps = k.astype(float) ** -tilt * rng.uniform(0.6, 1.4, n_harm)
    centre = rng.uniform(1000, 3000)
    amps *= 1.0 + rng.uniform(0.5, 3.0) * np.exp(-0.5 * ((k * f_inst.mean() - centre) / (0.3 * centre)) ** 2)
    out = np.zeros_like(f_inst)
    for kk, a in zip(k, amps, strict=True):
        if kk * f_inst.max() >= 0.45 * fs:
            break
        out += a * np.sin(kk * phase + rng.uniform(0, 2 * np.pi))
    return np.tanh(rng.uniform(1.0, 4.0) * out / (np.max(np.abs(out)) + 1e-12))


def two_tone_siren(duration_s: float, fs: int, rng: np.random.Generator) -> np.ndarray:
    """European two-tone siren ('Martinshorn', UK two-tone): tones about a fourth apart
    (e.g. 440/585 Hz), 0.4-1.2 s each, horn timbre, a few ms glide between. Unit RMS."""
    n = round(duration_s * fs)
    t = np.arange(n) / fs
    lo = rng.uniform(330, 500)
    hi = lo * rng.uniform(1.25, 1.42)
    half = rng.uniform(0.4, 1.2)
    step = ((t / half + rng.uniform(0, 2)) % 2.0) < 1.0
    glide = (
        sps.sosfilt(sps.butter(1, rng.uniform(30, 120), fs=fs, output="sos"), np.where(step, lo, hi) - lo)
        + lo
    )
    f_inst = glide * (1 + 0.003 * np.sin(2 * np.pi * rng.uniform(3, 7) * t))
    x = _tone(f_inst, fs, rng, n_harm=int(rng.integers(8, 30)), tilt=rng.uniform(0.5, 1.3))
    env = np.minimum(1.0, np.minimum(t, t[::-1]) / 0.03)
    x = x * env
    return x / (np.sqrt(np.mean(x**2)) + 1e-12)


def phone_ring(duration_s: float, fs: int, rng: np.random.Generator) -> np.ndarray:
    """Telephone ringing (held-out only): two sines (e.g. 400 + 450 Hz) in 0.4 s on / 0.2 s off
    bursts, or a single 1-2.5 kHz electronic trill. Unit RMS over the whole signal."""
    n = round(duration_s * fs)
    t = np.arange(n) / fs
    if rng.random() < 0.5:
        f1 = rng.uniform(350, 480)
        x = np.sin(2 * np.pi * f1 * t) + np.sin(2 * np.pi * f1 * rng.uniform(1.08, 1.2) * t + 1.0)
        cycle = rng.uniform(0.5, 0.7)
        gate = ((t + rng.uniform(0, 1)) % (2 * cycle)) < 0.66 * cycle
    else:
        f1 = rng.uniform(1000, 2500)
        x = np.sign(np.sin(2 * np.pi * f1 * t)) * 0.3 + np.sin(2 * np.pi * f1 * t)
        gate = ((t * rng.uniform(15, 25)) % 1.0) < 0.5
    g = sps.sosfilt(sps.butter(1, 150, fs=fs, output="sos"), gate.astype(float))
    x = x * g
    return x / (np.sqrt(np.mean(x**2)) + 1e-12)
