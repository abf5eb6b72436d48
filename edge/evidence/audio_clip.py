"""The horn's audio for evidence: a beam steered at the source and a plain reference channel.

The beam is what a reviewer listens to (the horn stands out of the traffic around it); the
reference microphone is the unprocessed sound, so a defence cannot say the beam invented it.
Both are written as 16-bit FLAC at the array's own rate and digital scale: nothing is
normalised, so the level in the file is the level that was measured (16 bits below a 130 dB SPL
full scale reach down to ~35 dB SPL, far under any street; 24 bits would only add noise bytes).
"""

from __future__ import annotations

import io

import numpy as np
import soundfile as sf

SPEED_OF_SOUND_M_S = 343.0  # the localizer's value (edge.analysis.steering)
FRACTION_STEPS = 16  # fractional delays are rounded to 1/16 sample (1.3 µs at 48 kHz)
_HALF_TAPS = 16  # windowed-sinc interpolator: 32 taps, flat to ~0.4 × the sample rate
_BLOCK = 16384  # frames per block when gathering the shifted channels (~4 MB for 64 channels)


def _fraction_kernel(fraction: float) -> np.ndarray:
    """Taps h[k], k = −15 … 16, with Σ h[k]·x[n + k] ≈ x(n + fraction) (Blackman-windowed sinc)."""
    k = np.arange(-_HALF_TAPS + 1, _HALF_TAPS + 1)
    x = k - fraction
    window = 0.42 + 0.5 * np.cos(np.pi * x / _HALF_TAPS) + 0.08 * np.cos(2 * np.pi * x / _HALF_TAPS)
    taps = np.sinc(x) * window
    return taps / taps.sum()


def delay_and_sum(samples: np.ndarray, sample_rate: int, delays_s: np.ndarray) -> np.ndarray:
    """Mean of all channels, each advanced by its (fractional) delay: the beam toward the source.

    `delays_s` come from `edge.analysis.steering.steering_delays`, the localizer's own model, so
    the clip is steered exactly where the map peaked. Whole-sample shifts are free; channels
    whose fractional shift rounds to the same 1/16 sample are summed first, so at most 16
    short interpolation filters run whatever the array's size. That makes the beam of 7 s of
    64 channels a few tens of milliseconds, where an exact FFT shift of every channel takes
    most of a second — time the analysis running beside it on a field unit needs. The rounding
    costs nothing audible: 1/32 sample is 0.02 rad of phase at 5 kHz.
    """
    frames, channels = samples.shape
    if channels != len(delays_s):
        raise ValueError(f"{channels} channels but {len(delays_s)} steering delays")
    steps = np.round(np.asarray(delays_s, dtype=float) * sample_rate * FRACTION_STEPS).astype(np.int64)
    whole, fraction = np.divmod(steps, FRACTION_STEPS)
    groups = np.zeros((FRACTION_STEPS, frames), dtype=np.float64)
    reach = int(np.max(np.abs(whole))) if channels else 0
    padded = np.pad(samples, ((reach, reach), (0, 0)))  # so every shifted read stays inside
    # Block by block, transposed: reading one channel of a (frames, channels) array strides
    # through memory, and 7 s of 64 channels does not fit in any cache.
    for b0 in range(0, frames, _BLOCK):
        b1 = min(frames, b0 + _BLOCK)
        rows = padded[b0 : b1 + 2 * reach].T.copy()  # rows[ch, i] = x_ch[b0 - reach + i]
        for ch in range(channels):
            start = reach + int(whole[ch])  # advance: out[n] = x[n + whole]
            groups[fraction[ch], b0:b1] += rows[ch, start : start + (b1 - b0)]
    beam = np.zeros(frames, dtype=np.float64)
    for f in np.unique(fraction):
        taps = _fraction_kernel(f / FRACTION_STEPS)
        # full[n + 16] = Σ_k taps[k] · groups[n + k] for k = −15 … 16 (taps reversed for convolve).
        beam += np.convolve(groups[f], taps[::-1], mode="full")[_HALF_TAPS : _HALF_TAPS + frames]
    return (beam / channels).astype(np.float32)


def reference_channel(positions_m: np.ndarray) -> int:
    """The microphone nearest the array's reference point: its sound is what the array 'heard'."""
    return int(np.argmin(np.linalg.norm(np.asarray(positions_m, dtype=float), axis=1)))


def encode_flac(signal: np.ndarray, sample_rate: int) -> bytes:
    """16-bit mono FLAC; samples beyond full scale are clipped (FLAC is integer PCM)."""
    buf = io.BytesIO()
    sf.write(buf, np.clip(signal, -1.0, 1.0), sample_rate, format="FLAC", subtype="PCM_16")
    return buf.getvalue()
