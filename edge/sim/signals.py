"""Dry mono source signals: horns and the sounds that get mistaken for them.

Both the horn classifier's training data (`models/training/`) and the scene simulator draw
from this one library, so a sound the classifier was trained to reject is the same sound the
simulator puts into a test scene.

Conventions (every generator):
- Signature `name(duration_s, fs, rng, **params) -> np.ndarray`: float64, mono, `round(duration_s
  * fs)` samples, deterministic given the `numpy.random.Generator` (and the parameters). A
  parameter left as `None` is drawn from `rng` within a realistic range, so repeated calls with
  one generator give varied sources.
- Reference level: **unit RMS over the samples where the source is sounding** (for a horn
  pattern or a beeper, the on-intervals; for continuous sounds, the whole signal). The
  simulator then sets levels in dB: `x * 10 ** (level_db / 20)` has RMS `level_db` dB re 1.
  `TYPICAL_LEVEL_DB` gives plausible levels at ~1 m, in dB SPL, as a starting point.
- Signals are *dry*: no room, no propagation, no microphone. Reverberation, band-limiting,
  compression and noise belong to the simulator or the training augmentation.

Why the detail: a classifier trained on clean sines fails on real horns. Real car horns are
electromagnetic diaphragm horns: a buzzing, strongly nonlinear oscillator with dozens of
harmonics, a trumpet resonance around 2–3 kHz, a pitch that settles during the first tens of
milliseconds, slow wobble, and (in dual-tone sets) beating between two horns a major third or
so apart. Confusers are built with the same care, because the confusers that matter (hi-lo
sirens, reversing beepers, brake squeal) are tonal too.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy import signal as sps

HORN_KINDS: tuple[str, ...] = ("car", "truck", "bus", "scooter", "ebike")
"""Kinds accepted by `horn()`."""

HORN_PATTERNS: tuple[str, ...] = ("tap", "short", "double", "triple", "long")
"""Patterns accepted by `horn_pattern()`."""

SIREN_KINDS: tuple[str, ...] = ("wail", "yelp", "hilo")
"""Kinds accepted by `siren()`."""

TYPICAL_LEVEL_DB: dict[str, float] = {
    "car": 106.0,
    "truck": 112.0,
    "bus": 110.0,
    "scooter": 98.0,
    "ebike": 92.0,
    "siren": 115.0,
    "reversing_beeper": 97.0,
    "brake_squeal": 95.0,
    "bird": 80.0,
    "bicycle_bell": 85.0,
    "speech_like": 70.0,
    "music_like": 80.0,
    "engine": 85.0,
    "tyre_noise": 80.0,
    "rain": 65.0,
    "wind": 70.0,
    "traffic_background": 70.0,
}
"""Plausible RMS levels in dB SPL at about 1 m (traffic background: at the array)."""


# ---------------------------------------------------------------------------- helpers


def _n(duration_s: float, fs: int) -> int:
    if duration_s <= 0 or fs <= 0:
        raise ValueError(f"duration_s and fs must be positive (got {duration_s}, {fs})")
    return round(duration_s * fs)


def _normalise(x: np.ndarray, active: np.ndarray | None = None) -> np.ndarray:
    """Scale to unit RMS over the active samples (all samples when `active` is None)."""
    part = x if active is None or not np.any(active) else x[active]
    rms = float(np.sqrt(np.mean(part**2)))
    return x / rms if rms > 1e-12 else x


def _smooth_noise(n: int, fs: int, rng: np.random.Generator, cutoff_hz: float) -> np.ndarray:
    """Zero-mean random curve, band-limited below `cutoff_hz`: unit-variance knots joined
    linearly (not rescaled, so a curve slower than the signal is long stays small-valued)."""
    step = max(1, int(fs / (cutoff_hz * 4)))
    knots = rng.standard_normal(n // step + 3)
    return np.interp(np.arange(n) / step, np.arange(knots.size), knots)


def _coloured_noise(n: int, rng: np.random.Generator, exponent: float) -> np.ndarray:
    """Noise with power spectrum ∝ 1/f^exponent (0 white, 1 pink, 2 brown), unit RMS."""
    spec = np.fft.rfft(rng.standard_normal(n))
    f = np.arange(spec.size, dtype=float)
    f[0] = 1.0
    spec = spec / f ** (exponent / 2)
    spec[0] = 0.0
    return _normalise(np.fft.irfft(spec, n))


def _bandpass(x: np.ndarray, fs: int, lo: float, hi: float, order: int = 2) -> np.ndarray:
    hi = min(hi, 0.45 * fs)
    lo = min(max(lo, 1.0), hi * 0.9)
    sos = sps.butter(order, [lo, hi], btype="bandpass", fs=fs, output="sos")
    return sps.sosfilt(sos, x)


def _lowpass(x: np.ndarray, fs: int, cutoff: float, order: int = 2) -> np.ndarray:
    sos = sps.butter(order, min(cutoff, 0.45 * fs), btype="lowpass", fs=fs, output="sos")
    return sps.sosfilt(sos, x)


def _harmonic(
    f_inst: np.ndarray, amps: np.ndarray, fs: int, rng: np.random.Generator, nyq_frac: float = 0.45
) -> np.ndarray:
    """Sum of harmonics k·f_inst(t) with amplitudes `amps[k-1]`, random phases, alias-free.

    A harmonic whose frequency passes `nyq_frac`·fs anywhere is faded out rather than cut, so
    a gliding siren does not click when a harmonic crosses the limit.
    """
    phase = 2 * np.pi * np.cumsum(f_inst) / fs
    out = np.zeros_like(f_inst)
    limit = nyq_frac * fs
    f_max, f_min = float(f_inst.max()), float(f_inst.min())
    # exp(i·k·phase) by repeated multiplication: much cheaper than a sine per harmonic.
    base = np.exp(1j * phase)
    zk = np.ones_like(base)
    for k, a in enumerate(amps, start=1):
        zk *= base
        if k * f_min >= limit:
            break
        if a == 0:
            continue
        term = (zk * np.exp(1j * rng.uniform(0, 2 * np.pi))).imag
        if k * f_max > limit - 0.05 * fs:
            term *= np.clip((limit - k * f_inst) / (0.05 * fs), 0.0, 1.0)
        out += a * term
    return out


def _envelope(n: int, fs: int, attack_s: float, release_s: float) -> np.ndarray:
    """Raised-cosine attack and exponential-ish release over `n` samples."""
    env = np.ones(n)
    na = min(n, max(1, int(attack_s * fs)))
    nr = min(n - na, max(1, int(release_s * fs)))
    env[:na] = 0.5 - 0.5 * np.cos(np.pi * np.arange(na) / na)
    if nr > 0:
        env[n - nr :] *= np.exp(-5.0 * np.arange(nr) / nr) * (1 - np.arange(nr) / nr)
    return env


def _soft_clip(x: np.ndarray, drive: float) -> np.ndarray:
    """Saturating nonlinearity (diaphragm / driver overload); drive 1 ≈ mild, 5 ≈ hard."""
    peak = np.max(np.abs(x))
    if peak <= 0:
        return x
    return np.tanh(drive * x / peak) / np.tanh(drive)


def _resonance_gain(freqs: np.ndarray, centre: float, width: float, gain: float) -> np.ndarray:
    return 1.0 + gain * np.exp(-0.5 * ((freqs - centre) / width) ** 2)


# ---------------------------------------------------------------------------- horns


def _horn_voice(
    f0: float,
    n: int,
    fs: int,
    rng: np.random.Generator,
    *,
    n_harm: int,
    tilt: float,
    odd_only: bool,
    formant_hz: float,
    formant_gain: float,
    drive: float,
    settle_s: float,
    wobble: float,
) -> np.ndarray:
    """One horn (one diaphragm or one air trumpet) sounding for `n` samples."""
    t = np.arange(n) / fs
    # Pitch settles from ~4–10 % low during the first tens of ms, then wobbles slowly.
    settle = 1.0 - rng.uniform(0.03, 0.1) * np.exp(-t / max(settle_s, 1e-3))
    vibrato = 1.0 + wobble * _smooth_noise(n, fs, rng, rng.uniform(3, 9))
    f_inst = f0 * settle * vibrato
    k = np.arange(1, n_harm + 1)
    amps = k.astype(float) ** -tilt * rng.uniform(0.6, 1.4, n_harm)
    amps *= _resonance_gain(k * f0, formant_hz, formant_hz * rng.uniform(0.15, 0.35), formant_gain)
    if odd_only:
        amps[1::2] *= rng.uniform(0.02, 0.15)
    tone = _harmonic(f_inst, amps, fs, rng)
    return _soft_clip(tone, drive)


def horn(kind: str, duration_s: float, fs: int, rng: np.random.Generator) -> np.ndarray:
    """One continuous horn blast of `duration_s`, unit RMS while sounding.

    kinds: `car` (one or two electromagnetic horns, fundamentals 300–500 Hz, the second a
    ratio 1.15–1.3 above: the beating is audible), `truck`/`bus` (air horn, 200–350 Hz,
    sometimes a two- or three-trumpet chord, sawtooth-rich), `scooter` (single 600–1100 Hz
    diaphragm horn, thinner), `ebike` (electronic buzzer, 600–1100 Hz, square-ish, odd
    harmonics). Every blast has an onset click, a pitch that settles, wobble and a decay.
    """
    if kind not in HORN_KINDS:
        raise ValueError(f"unknown horn kind {kind!r}; expected one of {', '.join(HORN_KINDS)}")
    n = _n(duration_s, fs)
    if kind == "car":
        f_lo = rng.uniform(300, 500)
        ratios = [1.0] if rng.random() < 0.25 else [1.0, rng.uniform(1.15, 1.3)]
        voices = dict(
            n_harm=40,
            tilt=rng.uniform(0.4, 1.0),
            odd_only=False,
            formant_hz=rng.uniform(1800, 3200),
            formant_gain=rng.uniform(1, 5),
            drive=rng.uniform(1.5, 5.0),
            settle_s=rng.uniform(0.01, 0.04),
            wobble=rng.uniform(0.002, 0.008),
        )
    elif kind in ("truck", "bus"):
        f_lo = rng.uniform(200, 350)
        ratios = [1.0] if rng.random() < 0.5 else [1.0, rng.uniform(1.18, 1.35)]
        voices = dict(
            n_harm=60,
            tilt=rng.uniform(0.3, 0.8),
            odd_only=False,
            formant_hz=rng.uniform(1000, 2500),
            formant_gain=rng.uniform(0.5, 3),
            drive=rng.uniform(3.0, 8.0),
            settle_s=rng.uniform(0.01, 0.04),
            wobble=rng.uniform(0.003, 0.01),
        )
    elif kind == "scooter":
        f_lo = rng.uniform(600, 1100)
        ratios = [1.0]
        voices = dict(
            n_harm=20,
            tilt=rng.uniform(0.7, 1.4),
            odd_only=False,
            formant_hz=rng.uniform(2500, 4000),
            formant_gain=rng.uniform(0.5, 3),
            drive=rng.uniform(1.5, 4.0),
            settle_s=rng.uniform(0.005, 0.02),
            wobble=rng.uniform(0.002, 0.01),
        )
    else:  # ebike
        f_lo = rng.uniform(600, 1100)
        ratios = [1.0]
        voices = dict(
            n_harm=20,
            tilt=rng.uniform(0.8, 1.2),
            odd_only=True,
            formant_hz=rng.uniform(2000, 4000),
            formant_gain=rng.uniform(0.0, 2),
            drive=rng.uniform(2.0, 6.0),
            settle_s=rng.uniform(0.002, 0.01),
            wobble=rng.uniform(0.0005, 0.004),
        )
    out = np.zeros(n)
    for r in ratios:
        out += rng.uniform(0.6, 1.0) * _horn_voice(f_lo * r, n, fs, rng, **voices)
    # Amplitude flutter of the diaphragm and the onset transient (contact-breaker click).
    out *= 1.0 + rng.uniform(0.02, 0.1) * _smooth_noise(n, fs, rng, rng.uniform(5, 20))
    click_n = min(n, int(rng.uniform(0.002, 0.008) * fs))
    if click_n > 1:
        click = rng.standard_normal(click_n) * np.exp(-np.arange(click_n) / (click_n / 4))
        out[:click_n] += rng.uniform(0.5, 2.0) * click * np.max(np.abs(out))
    out *= _envelope(n, fs, rng.uniform(0.005, 0.03), min(rng.uniform(0.02, 0.1), duration_s / 3))
    return _normalise(out)


def horn_pattern(
    kind: str, fs: int, rng: np.random.Generator, pattern: str | None = None
) -> tuple[np.ndarray, list[tuple[float, float]]]:
    """A honk as drivers do it: `tap`, `short`, `double`, `triple` or `long` (random if None).

    Returns the signal (from the first onset to the end of the last decay) and the on-intervals
    `[(t_start, t_end), …]` in seconds from its first sample: the truth a scene's `truth.json`
    records. Unit RMS over the on-intervals. The same vehicle sounds in every blast.
    """
    if pattern is None:
        pattern = str(rng.choice(HORN_PATTERNS, p=[0.2, 0.3, 0.25, 0.1, 0.15]))
    if pattern not in HORN_PATTERNS:
        raise ValueError(f"unknown horn pattern {pattern!r}; expected one of {', '.join(HORN_PATTERNS)}")
    count = {"tap": 1, "short": 1, "double": 2, "triple": 3, "long": 1}[pattern]
    length = {
        "tap": (0.08, 0.2),
        "short": (0.25, 0.7),
        "double": (0.08, 0.3),
        "triple": (0.08, 0.25),
        "long": (1.0, 3.0),
    }[pattern]
    seed = int(rng.integers(2**31))
    pieces: list[np.ndarray] = []
    intervals: list[tuple[float, float]] = []
    t = 0.0
    for i in range(count):
        dur = rng.uniform(*length)
        # The same seed for every blast: one vehicle, one horn.
        blast = horn(kind, dur, fs, np.random.default_rng(seed))
        blast *= rng.uniform(0.85, 1.0)
        pieces.append(blast)
        intervals.append((t, t + blast.size / fs))
        t += blast.size / fs
        if i < count - 1:
            gap = np.zeros(round(rng.uniform(0.06, 0.25) * fs))
            pieces.append(gap)
            t += gap.size / fs
    out = np.concatenate(pieces)
    active = np.zeros(out.size, bool)
    for a, b in intervals:
        active[round(a * fs) : round(b * fs)] = True
    return _normalise(out, active), intervals


# ---------------------------------------------------------------------------- tonal confusers


def siren(duration_s: float, fs: int, rng: np.random.Generator, kind: str | None = None) -> np.ndarray:
    """Emergency-vehicle siren: `wail` (slow sweep ~600–1500 Hz, 2–6 s period), `yelp` (fast
    sweep, 0.15–0.4 s), `hilo` (two alternating tones, e.g. 450/600 Hz or 770/960 Hz: the most
    horn-like). Electronic sirens drive a horn speaker hard: square-ish, odd-harmonic-rich."""
    if kind is None:
        kind = str(rng.choice(SIREN_KINDS))
    if kind not in SIREN_KINDS:
        raise ValueError(f"unknown siren kind {kind!r}; expected one of {', '.join(SIREN_KINDS)}")
    n = _n(duration_s, fs)
    t = np.arange(n) / fs
    if kind == "wail":
        lo, hi = rng.uniform(500, 800), rng.uniform(1200, 1700)
        period = rng.uniform(2.0, 6.0)
        sweep = 0.5 - 0.5 * np.cos(2 * np.pi * t / period + rng.uniform(0, 2 * np.pi))
        f_inst = lo + (hi - lo) * sweep
    elif kind == "yelp":
        lo, hi = rng.uniform(500, 800), rng.uniform(1200, 1700)
        period = rng.uniform(0.15, 0.4)
        ph = (t / period + rng.uniform(0, 1)) % 1.0
        rise = rng.uniform(0.6, 0.9)
        sweep = np.where(ph < rise, ph / rise, 1 - (ph - rise) / (1 - rise))
        f_inst = lo + (hi - lo) * sweep
    else:
        lo = rng.uniform(400, 800)
        hi = lo * rng.uniform(1.2, 1.4)
        half = rng.uniform(0.35, 0.8)
        step = ((t / half + rng.integers(0, 2)) % 2.0) < 1.0
        # A few ms of glide between the tones, as the oscillator retunes.
        f_inst = _lowpass(np.where(step, lo, hi), fs, 80.0, order=1)
        f_inst[: int(0.02 * fs)] = f_inst[int(0.02 * fs)] if n > int(0.02 * fs) else lo
    f_inst = f_inst * (1.0 + 0.002 * _smooth_noise(n, fs, rng, 5.0))
    k = np.arange(1, 16)
    amps = np.where(k % 2 == 1, 1.0 / k, rng.uniform(0.02, 0.15) / k)
    x = _soft_clip(_harmonic(f_inst, amps, fs, rng), rng.uniform(1.5, 4.0))
    return _normalise(x * _envelope(n, fs, 0.02, 0.02))


def reversing_beeper(
    duration_s: float, fs: int, rng: np.random.Generator, broadband: bool | None = None
) -> np.ndarray:
    """Reversing alarm: ~1–1.3 kHz near-sine beeps, ~0.5 s on/0.5 s off (or the modern
    broadband 'white sound' kind). Unit RMS over the beeps."""
    n = _n(duration_s, fs)
    if broadband is None:
        broadband = bool(rng.random() < 0.2)
    t = np.arange(n) / fs
    period = rng.uniform(0.7, 1.2)
    duty = rng.uniform(0.4, 0.6)
    on = ((t / period + rng.uniform(0, 1)) % 1.0) < duty
    if broadband:
        x = _bandpass(rng.standard_normal(n), fs, 500, 6000)
    else:
        f0 = rng.uniform(950, 1300)
        amps = np.array([1.0, rng.uniform(0, 0.1), rng.uniform(0.05, 0.3), 0, rng.uniform(0, 0.1)])
        x = _harmonic(np.full(n, f0), amps, fs, rng)
    gate = _lowpass(on.astype(float), fs, 200.0, order=1)
    return _normalise(x * gate, on)


def brake_squeal(duration_s: float, fs: int, rng: np.random.Generator) -> np.ndarray:
    """Disc-brake squeal: one or two strong modes at 2–10 kHz with drift, a few harmonics,
    and the stick-slip amplitude fluctuation that makes it rise and die within a second."""
    n = _n(duration_s, fs)
    out = np.zeros(n)
    for _ in range(int(rng.integers(1, 3))):
        f0 = rng.uniform(2000, min(10000, 0.4 * fs))
        f_inst = f0 * (
            1 + rng.uniform(-0.03, 0.03) * np.linspace(0, 1, n) + 0.003 * _smooth_noise(n, fs, rng, 4.0)
        )
        amps = np.array([1.0, rng.uniform(0, 0.3), rng.uniform(0, 0.15)])
        out += rng.uniform(0.5, 1.0) * _harmonic(f_inst, amps, fs, rng)
    am = np.clip(1 + 0.6 * _smooth_noise(n, fs, rng, rng.uniform(2, 12)), 0, None)
    out = out * am + 0.05 * _bandpass(rng.standard_normal(n), fs, 1000, 8000)
    return _normalise(out * _envelope(n, fs, rng.uniform(0.02, 0.2), min(0.2, duration_s / 3)))


def bicycle_bell(duration_s: float, fs: int, rng: np.random.Generator) -> np.ndarray:
    """Bicycle bell: a struck metal dome (partials ~1 : 2.1 : 2.7 : 3.9 over a 1.8–4 kHz
    fundamental, long exponential decay), rung as single 'dings' or as a rotary trill of
    12–25 strikes per second. Tonal and long-ringing, so a horn detector must learn it apart.
    Kept out of `CONFUSERS` on purpose: the evaluation uses it as a confuser the training
    never saw."""
    n = _n(duration_s, fs)
    f1 = rng.uniform(min(1800.0, 0.15 * fs), min(4000.0, 0.2 * fs))
    ratios = np.array([1.0, rng.uniform(2.0, 2.2), rng.uniform(2.6, 2.8), rng.uniform(3.7, 4.1)])
    amps = np.array([1.0, *rng.uniform(0.1, 0.6, 3)])
    decay = rng.uniform(0.2, 1.0) / ratios
    ring_n = min(n, int(1.2 * fs))
    tau = np.arange(ring_n) / fs
    strike = sum(
        a * np.exp(-tau / d) * np.sin(2 * np.pi * f1 * r * tau + rng.uniform(0, 6.3))
        for a, r, d in zip(amps, ratios, decay, strict=True)
        if f1 * r < 0.45 * fs
    )
    hits = np.zeros(n)
    if rng.random() < 0.5:  # rotary trill
        rate = rng.uniform(12, 25)
        t0 = rng.uniform(0, 0.2)
        times = np.arange(t0, min(duration_s, t0 + rng.uniform(0.3, 1.0)), 1 / rate)
    else:
        times = rng.uniform(0, 0.2) + np.cumsum(rng.uniform(0.15, 0.5, int(rng.integers(1, 4))))
    for t in times[times < duration_s]:
        hits[int(t * fs)] = rng.uniform(0.6, 1.0)
    return _normalise(sps.fftconvolve(hits, strike)[:n])


def bird(duration_s: float, fs: int, rng: np.random.Generator) -> np.ndarray:
    """Songbird: trains of 20–150 ms frequency-modulated chirps between 2 and 8 kHz, in
    phrases; some species tonal, some with a few harmonics."""
    n = _n(duration_s, fs)
    out = np.zeros(n)
    active = np.zeros(n, bool)
    t = rng.uniform(0, 0.2)
    base = rng.uniform(2000, min(6000, 0.3 * fs))
    while t < duration_s:
        cn = int(rng.uniform(0.02, 0.15) * fs)
        i0 = int(t * fs)
        cn = min(cn, n - i0)
        if cn < 8:
            break
        f_start = base * rng.uniform(0.7, 1.4)
        f_end = f_start * rng.uniform(0.5, 1.8)
        tau = np.linspace(0, 1, cn)
        f_inst = (
            f_start
            + (f_end - f_start) * tau
            + rng.uniform(0, 400) * np.sin(2 * np.pi * rng.uniform(20, 80) * tau * cn / fs)
        )
        f_inst = np.clip(f_inst, 500, 0.4 * fs)
        amps = np.array([1.0, rng.uniform(0, 0.3), rng.uniform(0, 0.1)])
        out[i0 : i0 + cn] += _harmonic(f_inst, amps, fs, rng) * np.hanning(cn)
        active[i0 : i0 + cn] = True
        t += cn / fs + (rng.uniform(0.02, 0.1) if rng.random() < 0.8 else rng.uniform(0.3, 1.0))
    return _normalise(out, active)


def speech_like(duration_s: float, fs: int, rng: np.random.Generator) -> np.ndarray:
    """Speech-like babble: a glottal pulse train (f0 90–250 Hz with intonation) through
    vowel formants changing every syllable (~4 per second), fricative noise, and pauses."""
    n = _n(duration_s, fs)
    t = np.arange(n) / fs
    f0 = rng.uniform(90, 250) * (1 + 0.12 * _smooth_noise(n, fs, rng, 2.0))
    k = np.arange(1, 60)
    voiced = _harmonic(f0, 1.0 / k, fs, rng)
    syll = rng.uniform(3.0, 6.0)
    n_syl = int(duration_s * syll) + 2
    bounds = np.cumsum(rng.uniform(0.6, 1.4, n_syl) / syll)
    idx = np.searchsorted(bounds, t)
    vowels = np.array(
        [
            [730, 1090, 2440],
            [270, 2290, 3010],
            [300, 870, 2240],
            [530, 1840, 2480],
            [570, 840, 2410],
            [660, 1720, 2410],
        ]
    )
    choice = rng.integers(0, len(vowels), n_syl + 1)
    out = np.zeros(n)
    for s in range(n_syl + 1):
        seg = idx == s
        if not np.any(seg):
            continue
        i0, i1 = np.flatnonzero(seg)[[0, -1]]
        a, b = max(0, i0 - 256), min(n, i1 + 257)
        piece = np.zeros(b - a)
        for j, fc in enumerate(vowels[choice[s]] * rng.uniform(0.9, 1.15)):
            piece += _bandpass(voiced[a:b], fs, fc * 0.85, fc * 1.15) * (1.0, 0.6, 0.3)[j]
        if rng.random() < 0.3:  # a fricative consonant at the syllable's start
            nf = min(b - a, int(0.06 * fs))
            piece[:nf] += 0.5 * _bandpass(rng.standard_normal(nf), fs, 3000, 8000)
        out[i0 : i1 + 1] = piece[i0 - a : i1 + 1 - a] * np.hanning(i1 - i0 + 1)
    pauses = _smooth_noise(n, fs, rng, 0.7) > 1.0
    out[pauses] *= 0.05
    return _normalise(out)


def music_like(duration_s: float, fs: int, rng: np.random.Generator) -> np.ndarray:
    """Music from a car or a shop: chords of harmonic notes on a scale changing with the
    beat, a bass line and a kick drum; often heard through a closed car (low-passed)."""
    n = _n(duration_s, fs)
    bpm = rng.uniform(80, 140)
    beat = 60.0 / bpm
    root = rng.uniform(110, 220)
    scale = np.array([0, 2, 4, 5, 7, 9, 11, 12, 14, 16])
    out = np.zeros(n)
    t0 = 0.0
    while t0 < duration_s:
        i0 = int(t0 * fs)
        ln = min(n - i0, int(beat * rng.choice([1, 2]) * fs))
        if ln < 16:
            break
        env = _envelope(ln, fs, 0.01, ln / fs * 0.8)
        notes = rng.choice(scale, size=3, replace=False)
        for semis in notes:
            f = root * 2 ** (semis / 12) * rng.choice([1, 2])
            amps = rng.uniform(0.2, 1.0, 8) / np.arange(1, 9)
            out[i0 : i0 + ln] += _harmonic(np.full(ln, f), amps, fs, rng) * env
        fb = root / 2 * 2 ** (rng.choice(scale[:5]) / 12)
        out[i0 : i0 + ln] += 1.5 * _harmonic(np.full(ln, fb), np.array([1, 0.5, 0.2]), fs, rng) * env
        t0 += ln / fs
    kick_t = np.arange(0, duration_s, beat)
    for kt in kick_t:
        i0 = int(kt * fs)
        kn = min(n - i0, int(0.15 * fs))
        tau = np.arange(kn) / fs
        out[i0 : i0 + kn] += 3 * np.sin(2 * np.pi * (50 + 100 * np.exp(-tau * 30)) * tau) * np.exp(-tau * 20)
    if rng.random() < 0.6:
        out = _lowpass(out, fs, rng.uniform(500, 2000), order=2)
    return _normalise(out)


# ---------------------------------------------------------------------------- noise-like sources


def engine(
    duration_s: float,
    fs: int,
    rng: np.random.Generator,
    rpm: float | None = None,
    cylinders: int | None = None,
) -> np.ndarray:
    """Combustion engine: firing frequency rpm/60·cylinders/2 and its harmonics, amplitude
    modulated per firing, with intake/exhaust noise; rpm drifts (or accelerates)."""
    n = _n(duration_s, fs)
    if rpm is None:
        rpm = rng.uniform(700, 4000)
    if cylinders is None:
        cylinders = int(rng.choice([3, 4, 4, 6, 8]))
    slope = rng.uniform(-0.3, 0.5) if rng.random() < 0.5 else 0.0
    rpm_t = rpm * (1 + slope * np.linspace(0, 1, n) + 0.03 * _smooth_noise(n, fs, rng, 1.0))
    f_fire = rpm_t / 60 * cylinders / 2
    k = np.arange(1, 40)
    amps = rng.uniform(0.3, 1.0, k.size) / k**0.8
    amps[rng.integers(0, 8)] *= 3
    tonal = _harmonic(f_fire / 2, amps, fs, rng)  # half-orders: cylinder-to-cylinder variation
    phase = 2 * np.pi * np.cumsum(f_fire) / fs
    pulses = (0.5 + 0.5 * np.cos(phase)) ** 4
    noise = _lowpass(rng.standard_normal(n), fs, rng.uniform(800, 3000)) * (0.3 + pulses)
    return _normalise(_normalise(tonal) + rng.uniform(0.3, 1.0) * _normalise(noise))


def tyre_noise(duration_s: float, fs: int, rng: np.random.Generator) -> np.ndarray:
    """Tyre/road noise: broadband, peaking around 0.7–1.3 kHz, slowly fluctuating."""
    n = _n(duration_s, fs)
    peak = rng.uniform(700, 1300)
    x = _bandpass(rng.standard_normal(n), fs, peak / 2.2, peak * 2.2) + 0.3 * _coloured_noise(n, rng, 1.0)
    return _normalise(x * (1 + 0.2 * _smooth_noise(n, fs, rng, 2.0)))


def rain(duration_s: float, fs: int, rng: np.random.Generator) -> np.ndarray:
    """Rain: a broadband hiss plus individual drop impacts (short resonant clicks, a few
    hundred per second), heavier rain denser and louder."""
    n = _n(duration_s, fs)
    hiss = _bandpass(rng.standard_normal(n), fs, 500, 12000)
    drops = np.zeros(n)
    count = int(duration_s * rng.uniform(100, 800))
    where = rng.integers(0, n, count)
    drops[where] = rng.lognormal(0, 0.8, count) * rng.choice([-1, 1], count)
    ring_n = int(0.004 * fs)
    tau = np.arange(ring_n) / fs
    ring = np.sin(2 * np.pi * rng.uniform(1500, 4000) * tau) * np.exp(-tau * 1500)
    drops = sps.fftconvolve(drops, ring)[:n]
    return _normalise(_normalise(hiss) * rng.uniform(0.3, 1.0) + _normalise(drops))


def wind(duration_s: float, fs: int, rng: np.random.Generator) -> np.ndarray:
    """Wind on a microphone: turbulence that is strongest below ~200 Hz (a brown-ish
    spectrum) with gusts every few seconds. Mono base signal: the simulator must make it
    uncorrelated between microphones, as real wind noise is."""
    n = _n(duration_s, fs)
    x = _lowpass(_coloured_noise(n, rng, rng.uniform(1.6, 2.2)), fs, rng.uniform(300, 1500), order=1)
    gust = np.exp(rng.uniform(0.3, 0.8) * _smooth_noise(n, fs, rng, rng.uniform(0.2, 1.0)))
    x = sps.sosfilt(sps.butter(1, 15, btype="highpass", fs=fs, output="sos"), x * gust)
    return _normalise(x)


def traffic_background(duration_s: float, fs: int, rng: np.random.Generator) -> np.ndarray:
    """Distant traffic: pink-ish rumble, a few idling or passing engines and tyre noise,
    slowly swelling as vehicles pass. The bed that every scene sits in."""
    n = _n(duration_s, fs)
    x = _lowpass(_coloured_noise(n, rng, rng.uniform(0.8, 1.4)), fs, rng.uniform(2000, 6000))
    x = x + 0.5 * tyre_noise(duration_s, fs, rng)
    for _ in range(int(rng.integers(1, 4))):
        x = x + rng.uniform(0.1, 0.5) * engine(duration_s, fs, rng)
    swell = np.exp(0.3 * _smooth_noise(n, fs, rng, rng.uniform(0.1, 0.5)))
    return _normalise(x * swell)


UNSEEN_CONFUSERS: dict[str, Callable[[float, int, np.random.Generator], np.ndarray]] = {
    "bicycle_bell": bicycle_bell,
}
"""Confusers the horn classifier's training leaves out, so its evaluation can test one it never saw."""

CONFUSERS: dict[str, Callable[[float, int, np.random.Generator], np.ndarray]] = {
    "siren": siren,
    "reversing_beeper": reversing_beeper,
    "brake_squeal": brake_squeal,
    "bird": bird,
    "speech_like": speech_like,
    "music_like": music_like,
    "engine": engine,
    "tyre_noise": tyre_noise,
    "rain": rain,
    "wind": wind,
}
"""Every non-horn source, each callable as `f(duration_s, fs, rng)` with random parameters."""

BACKGROUNDS: dict[str, Callable[[float, int, np.random.Generator], np.ndarray]] = {
    "traffic_background": traffic_background,
    "wind": wind,
    "rain": rain,
}
"""Sources that fill a whole scene rather than sounding as events."""
