"""Which frequency bins carry the horn: a weight mask for the localizer.

A horn is a harmonic sound (fundamentals 200–1100 Hz, harmonics to 5 kHz and beyond); the
traffic bed, wind and rain are broadband. Steering the localizer's power map only over the
horn's harmonic bins makes the horn stand out of the bed and keeps a second, non-harmonic
source from pulling the peak. `horn_bin_mask` finds the fundamental(s) in one spectrum by
subharmonic summation on a whitened log spectrum and returns a weight per bin.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.ndimage import median_filter

F0_RANGE_HZ = (180.0, 1200.0)


@dataclass(frozen=True)
class HornBins:
    """`weights` in [0, 1] per input bin (1 on a horn harmonic, 0 elsewhere); `fundamentals_hz`
    the detected fundamental(s), strongest first (empty: no harmonic structure found)."""

    weights: np.ndarray
    fundamentals_hz: tuple[float, ...]


def _peakiness(freqs: np.ndarray, magnitude: np.ndarray) -> np.ndarray:
    """Log spectrum minus its running median over ~300 Hz: harmonic peaks stand out, the
    sloping broadband bed becomes ~0. Negative values are clipped."""
    df = float(np.median(np.diff(freqs)))
    width = max(5, round(300.0 / df) | 1)
    log_mag = np.log(np.maximum(magnitude, 1e-12))
    return np.maximum(0.0, log_mag - median_filter(log_mag, size=width, mode="nearest"))


def _shs(freqs: np.ndarray, peaks: np.ndarray, f0s: np.ndarray, n_harm: int, f_max: float) -> np.ndarray:
    k = np.arange(1, n_harm + 1)
    hk = f0s[:, None] * k[None, :]
    vals = np.interp(hk, freqs, peaks, right=0.0) * (hk <= f_max)
    return (vals * 0.85 ** (k - 1)).sum(axis=1)


def _related(f: float, ref: float) -> bool:
    """True if `f` is within 4 % of `ref` times 1, 2, 1/2, 3/2, 2/3, 3 or 1/3."""
    return any(abs(f / (ref * r) - 1.0) < 0.04 for r in (1.0, 2.0, 0.5, 1.5, 2 / 3, 3.0, 1 / 3))


def horn_bin_mask(
    freqs: np.ndarray,
    magnitude: np.ndarray,
    f0_range_hz: tuple[float, float] = F0_RANGE_HZ,
    max_hz: float = 8000.0,
    max_tones: int = 2,
    width_hz: float | None = None,
    min_salience: float = 4.0,
) -> HornBins:
    """Weight per bin of one spectrum frame (`freqs` [bins] in Hz, `magnitude` [bins], e.g. the
    beam's or a reference channel's |STFT|, or a mean over a few frames).

    Finds up to `max_tones` fundamentals (a dual-tone car horn has two) and marks k·f0 up to
    `max_hz` with a triangular weight `width_hz` wide (default: 1.5 bins or 1 % of the harmonic,
    whichever is wider, to allow for pitch wobble and Doppler). A fundamental is kept only if its
    summed peak salience is at least `min_salience`: measured on 2048-point frames at 16 kHz,
    traffic, rain, wind and tyre noise reach 2.2–2.8 and engines up to ~5, horns 4–13 even 10 dB
    under the bed. A frame without harmonic structure returns all zeros, and the caller should
    fall back to its broadband weighting. A second tone must be at least 0.4× as salient as the
    first and not an octave, fifth or twelfth of it (those are the first tone's own harmonics).
    """
    freqs = np.asarray(freqs, dtype=np.float64)
    magnitude = np.asarray(magnitude, dtype=np.float64)
    if freqs.shape != magnitude.shape or freqs.ndim != 1 or freqs.size < 8:
        raise ValueError("freqs and magnitude must be 1-D arrays of the same length (≥ 8 bins)")
    df = float(np.median(np.diff(freqs)))
    peaks = _peakiness(freqs, magnitude)
    f0s = np.arange(f0_range_hz[0], f0_range_hz[1], max(1.0, df / 4))
    weights = np.zeros_like(freqs)
    found: list[float] = []
    first_salience = 0.0
    for _ in range(max_tones):
        sal = _shs(freqs, peaks, f0s, n_harm=int(max_hz // f0_range_hz[0]), f_max=max_hz)
        best = int(np.argmax(sal))
        if sal[best] < min_salience or (found and sal[best] < 0.4 * first_salience):
            break
        f0 = float(f0s[best])
        if found and _related(f0, found[0]):
            sal_ok = np.array([not _related(f, found[0]) for f in f0s])
            masked = np.where(sal_ok, sal, 0.0)
            best = int(np.argmax(masked))
            if masked[best] < max(min_salience, 0.4 * first_salience):
                break
            f0 = float(f0s[best])
        if not found:
            first_salience = sal[best]
        found.append(f0)
        for h in np.arange(f0, max_hz + 1e-9, f0):
            w = width_hz if width_hz is not None else max(1.5 * df, 0.01 * h)
            tri = np.clip(1.0 - np.abs(freqs - h) / w, 0.0, 1.0)
            weights = np.maximum(weights, tri)
            peaks = np.where(tri > 0, 0.0, peaks)  # the next tone must be found elsewhere
    return HornBins(weights=weights, fundamentals_hz=tuple(found))
