"""Sound levels: A-weighting and scaling a dry signal to a given dB(A) at a reference distance.

Horn limits, traffic noise and enforcement thresholds are all quoted in dB(A), so the simulator
sets every source by its A-weighted level; a low truck horn and a shrill scooter horn at the
same dB(A) then carry very different unweighted energy, as they do in the street.
"""

from __future__ import annotations

import numpy as np
from scipy import fft as sp_fft

P_REF_PA = 20e-6


def a_weighting_db(freq_hz: np.ndarray) -> np.ndarray:
    """IEC 61672-1 A-weighting in dB (0 dB at 1 kHz); −inf at 0 Hz."""
    f2 = np.asarray(freq_hz, dtype=float) ** 2
    num = 12194.0**2 * f2**2
    den = (f2 + 20.6**2) * np.sqrt((f2 + 107.7**2) * (f2 + 737.9**2)) * (f2 + 12194.0**2)
    with np.errstate(divide="ignore"):
        return 20.0 * np.log10(np.where(den > 0, num / np.maximum(den, 1e-300), 0.0)) + 2.00


def a_weighted_rms(x: np.ndarray, fs: int) -> float:
    """RMS of x after A-weighting (same units as x)."""
    x = np.asarray(x, dtype=float)
    if x.size == 0:
        return 0.0
    # Zero-padding to a fast FFT length keeps Parseval's sum and only interpolates the spectrum.
    n_fft = sp_fft.next_fast_len(x.size, real=True)
    if n_fft % 2:
        n_fft = sp_fft.next_fast_len(n_fft + 1, real=True)
    spec = sp_fft.rfft(x, n_fft)
    w = 10.0 ** (a_weighting_db(np.fft.rfftfreq(n_fft, 1.0 / fs)) / 20.0)
    power = np.abs(spec * w) ** 2
    power[1:-1] *= 2.0
    return float(np.sqrt(power.sum() / (n_fft * x.size)))


def dba(x: np.ndarray, fs: int) -> float:
    """A-weighted level in dB re 20 µPa of a pressure signal in Pa."""
    return 20.0 * np.log10(max(a_weighted_rms(x, fs), 1e-12) / P_REF_PA)


def scale_to_dba(x: np.ndarray, fs: int, level_dba: float, active: np.ndarray | None = None) -> np.ndarray:
    """x scaled so that its A-weighted level (over the `active` samples, if given) is `level_dba`."""
    part = x if active is None or not np.any(active) else x[active]
    rms = a_weighted_rms(part, fs)
    if rms <= 0.0:
        return np.zeros_like(x)
    return x * (P_REF_PA * 10.0 ** (level_dba / 20.0) / rms)
