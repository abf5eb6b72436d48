"""Sound levels: A-weighting and digital power → dB SPL when the array is calibrated.

The event's `spl_db` is the A-weighted sound pressure level, at the array, of the horn's harmonic
components only (background removed bin by bin), as the maximum over its hops (≈ 50 ms, close to
a "fast" level). It is None when the scene or device gives no `full_scale_pa`: an uncalibrated
level is not evidence.
"""

from __future__ import annotations

import numpy as np

P_REF = 20e-6


def a_weighting_power(freqs_hz: np.ndarray) -> np.ndarray:
    """IEC 61672 A-weighting as a power gain per frequency (1.0 at 1 kHz)."""
    f2 = np.asarray(freqs_hz, dtype=float) ** 2
    num = (12194.0**2) * f2**2
    den = (f2 + 20.6**2) * np.sqrt((f2 + 107.7**2) * (f2 + 737.9**2)) * (f2 + 12194.0**2)
    ra = np.divide(num, den, out=np.zeros_like(f2), where=den > 0)
    ref = (
        (12194.0**2)
        * 1e12
        / ((1e6 + 20.6**2) * np.sqrt((1e6 + 107.7**2) * (1e6 + 737.9**2)) * (1e6 + 12194.0**2))
    )
    return (ra / ref) ** 2


def spl_db(mean_square_digital: float, full_scale_pa: float | None) -> float | None:
    """dB SPL of a mean square in digital units (1.0 = full scale), None when uncalibrated or silent."""
    if full_scale_pa is None or mean_square_digital <= 0:
        return None
    return float(10 * np.log10(mean_square_digital * full_scale_pa**2 / P_REF**2))
