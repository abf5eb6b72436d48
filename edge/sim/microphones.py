"""What real MEMS capsules on a real board do to the sound, which the nominal geometry does not say.

A localizer is calibrated against `hardware/arrays/*.json`; the simulated array deviates from it
as a manufactured one does, so accuracy measured on simulated scenes is not flattered by a
perfect array: capsules sit within a fraction of a millimetre of their drawing, their
sensitivities spread by about ±1 dB (datasheet tolerance), and each has a low-frequency
roll-off (its vent) that tames wind rumble.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import signal as sps

POSITION_SD_M = 0.3e-3
GAIN_SD_DB = 0.5
ROLL_OFF_HZ = 35.0


@dataclass(frozen=True)
class BuiltArray:
    """The array as built: true capsule positions and per-channel sensitivity errors."""

    positions_m: np.ndarray
    gain_db: np.ndarray


def build_array(nominal_m: np.ndarray, rng: np.random.Generator) -> BuiltArray:
    nominal = np.asarray(nominal_m, dtype=float)
    return BuiltArray(
        positions_m=nominal + rng.normal(0.0, POSITION_SD_M, nominal.shape),
        gain_db=rng.normal(0.0, GAIN_SD_DB, len(nominal)),
    )


def apply_capsules(out: np.ndarray, fs: int, built: BuiltArray) -> None:
    """Each channel through its capsule: sensitivity error, then the vent's 35 Hz high-pass."""
    sos = sps.butter(1, ROLL_OFF_HZ, btype="highpass", fs=fs, output="sos")
    gains = (10.0 ** (built.gain_db / 20.0)).astype(np.float32)
    for ch in range(out.shape[0]):
        out[ch] = sps.sosfilt(sos, out[ch]).astype(np.float32) * gains[ch]
