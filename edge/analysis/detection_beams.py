"""Beams over the view that let the comb detector hear a horn below the traffic's noise.

Why: the mean spectrum of all microphones has no array gain. A 95 dB(A) horn 45 m away arrives
at about 62 dB(A), under 65-75 dB(A) of traffic, and its partials do not stand out in any bin.
Steered toward the horn, the microphones add its partials in phase and the diffuse or
uncorrelated part of the noise out of phase: up to 10·log10(m) dB more contrast (12 dB for the
16 microphones used), less at low frequency where diffuse noise is itself coherent across the
array. Per bin the detector takes the strongest of a fixed set of beams covering the view: a
horn's partials all come from its own beam, the noise in the other bins from whichever beam it
happens to favour.

Cost: a beam set must sample the main lobe, which narrows with frequency, so its size grows
with f². Below `max_hz` the beams come in octave bands, each spaced at a third of the main lobe
at the top of its octave; above it the mean spectrum is kept: the higher partials are counted
there as before. At 1 kHz (the default) this costs the 64-channel loop a few per cent; at 2 kHz
it found more horns on the independent scenes, with more false ones, and slowed that loop from
21x to 15x real time.
"""

from __future__ import annotations

import math

import numpy as np

from edge.analysis.grid import FocusModel, main_lobe_deg
from edge.analysis.steering import SteeringModel

_LOWEST_BAND_HZ = 250.0  # below this the main lobe is wider than the view: one band takes the rest
_MAX_MICS = 16  # a subarray spread over the channel order: 12 dB of gain at a quarter of the cost of 64
_LOBE_FRACTION = 0.33  # beam spacing, in main lobes at the top of its octave: ≤ 1 dB lost between beams
_MAX_LOBE_DEG = 60.0  # main lobe at `max_hz` above which the beams are not used (`beams_separate`)


def beams_separate(positions_m: np.ndarray, max_hz: float, speed_of_sound: float) -> bool:
    """Do the array's beams at `max_hz` tell directions across the view apart? Only then do they
    help: an array smaller than the wavelength (a 0.18 m 16-mic board: a 110° lobe at 1 kHz) has
    one beam, which removes its microphones' own noise and leaves the traffic, so every engine's
    comb stood out as much as a horn's (6 more false events on our UMA-16 scenes, none found)."""
    return main_lobe_deg(positions_m, max_hz, speed_of_sound) <= _MAX_LOBE_DEG


class DetectionBeams:
    """The per-bin maximum over a fixed beam set, for the bins below `max_hz`."""

    def __init__(
        self,
        model: SteeringModel,
        freqs_hz: np.ndarray,
        bounds_deg: tuple[float, float, float, float],
        focus: FocusModel,
        max_hz: float,
    ) -> None:
        freqs = np.asarray(freqs_hz, dtype=float)
        n = len(model.positions)
        self.mics = np.unique(np.linspace(0, n - 1, min(n, _MAX_MICS)).round().astype(int))
        sub = SteeringModel(model.positions[self.mics], model.c)
        self.n_bins = int(np.searchsorted(freqs, max_hz))
        self._bands: list[tuple[slice, np.ndarray]] = []
        top = float(max_hz)
        stop = self.n_bins
        while stop > 0:
            lo = top / 2 if top / 2 >= _LOWEST_BAND_HZ else 0.0
            start = int(np.searchsorted(freqs, lo))
            spacing = _LOBE_FRACTION * main_lobe_deg(model.positions, top, model.c)
            az, el = _directions(bounds_deg, spacing)
            vec = sub.vectors(az, el, focus.distance(az, el), freqs[start:stop])  # (Fb, B, m)
            self._bands.append((slice(start, stop), np.conj(vec)))
            top, stop = lo, start

    def power(self, spectra: np.ndarray, healthy: np.ndarray) -> np.ndarray:
        """(n_bins,) the strongest beam's power per bin, on the scale of one microphone's power
        (a plane wave gives the same value as the mean spectrum; noise uncorrelated between
        microphones gives 1/m of it, m the microphones used). `spectra` is (F, M, K), `healthy`
        (M,) bool."""
        use = healthy[self.mics]
        m = int(use.sum())
        k = spectra.shape[2]
        x = np.where(use[None, :, None], spectra[: self.n_bins, self.mics], 0)
        out = np.empty(self.n_bins, dtype=np.float32)
        for sl, vec in self._bands:
            y = np.matmul(vec, x[sl]).view(np.float32)  # (Fb, B, 2K): real and imaginary parts
            out[sl] = np.einsum("fbk,fbk->fb", y, y).max(1)
        return out / np.float32(max(m, 1) ** 2 * k)


def _directions(
    bounds_deg: tuple[float, float, float, float], spacing_deg: float
) -> tuple[np.ndarray, np.ndarray]:
    """A lattice over the bounds (az0, az1, el0, el1) at about `spacing_deg`, edges included."""
    a0, a1, e0, e1 = bounds_deg
    az = np.linspace(a0, a1, max(2, math.ceil((a1 - a0) / spacing_deg) + 1))
    el = np.linspace(e0, e1, max(2, math.ceil((e1 - e0) / spacing_deg) + 1))
    aa, ee = np.meshgrid(az, el)
    return aa.ravel(), ee.ravel()
