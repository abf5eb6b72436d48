"""The road's reflection, found in the data: a horn and its mirror image below the road.

A horn above asphalt reaches the array twice: directly, and from its image below the road, a few
degrees lower (2h/r: 3.5° for a horn 1 m up at 33 m). Inside the main lobe the two add up to one
peak that sits too low, by up to a degree (0.7° median on simulated streets): on a vehicle 40 m
away, the difference between two lanes. The pair is fitted per event, on the pooled snapshots of
the horn's partials, without the road's geometry: a recording from another system carries no
mount, and a refit with an assumed mount was wrong wherever the assumption was (and pushed up
sources with no reflection at all). How:

- candidates are pairs of directions on the event's azimuth, 0.1° apart: an upper one (the horn,
  within 1.5° above — the largest bias seen on the pole arrays — and 1° below the free-field
  peak) and one 0.8–9° lower (its image);
- in each STFT bin the data are explained by one coherent wave a_up + γ·a_down (γ free per bin:
  the image's delay and the road's reflection fold into it), the best such wave being the top
  generalised eigenvector of the 2×2 data and Gram matrices of the pair;
- the image must be weaker than the horn (|γ| ≤ 1 in most bins: it travels farther and loses
  energy on the road), and the pair must explain clearly more than the best single direction
  (`_MIN_GAIN`), or the free-field peak is kept: a source with no reflection (or a soft verge)
  is not pushed up by an image that is not there. On simulated streets (R 0.92) the pair gains
  2–35 %; with no reflection at all, at most 1.2 %.

The fit works on the raw spectra, not PHAT-whitened ones: the interference between the direct
and reflected wave shows as a level pattern across the aperture (fringes 1–2 m apart at 3–6 kHz)
that whitening would erase, and that pattern is what pins the image's offset.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edge.analysis.grid import main_lobe_deg
from edge.analysis.localizer import vertex_offset
from edge.analysis.road import RoadSnapshot, pool_by_bin
from edge.analysis.steering import SteeringModel

_STEP_DEG = 0.1
_UP = 15  # steps: the horn may be up to 1.5° above the free-field peak …
_DOWN = 10  # … or 1° below it
_DELTA = (8, 90)  # steps: the image 0.8–9° below the horn
_MIN_GAIN = 0.02  # the pair must explain ≥ 2 % more than one direction does (free field: ≤ 1.2 %)
_MIN_WEAK = 0.7  # weighted share of bins whose image is the weaker wave
_MIN_BINS = 4
_MAX_LOBE_DEG = 8.0  # main lobe at the band's top: wider, and a horn and its image are one blur


def resolves_image(positions_m: np.ndarray, max_freq_hz: float, speed_of_sound: float) -> bool:
    """Can this array tell a horn from its image a few degrees below? Only when its main lobe at
    the top of the horn band is narrow (the 0.6–0.9 m pole spirals: 3–5°). A 16-mic board of
    0.18 m (17°) cannot: there the pair fit chased noise and made the median error worse."""
    return main_lobe_deg(positions_m, max_freq_hz, speed_of_sound) <= _MAX_LOBE_DEG


@dataclass(frozen=True)
class ReflectionFit:
    """The horn's direction; `reflected` when the horn-and-image pair was kept, `gain` its power
    over the best single direction's − 1, `delta_deg` the image's offset below the horn."""

    azimuth_deg: float
    elevation_deg: float
    reflected: bool
    gain: float
    delta_deg: float | None


class BlindReflection:
    """Per-event horn-and-image fit; needs no mount (road plane), so it serves every scene."""

    def __init__(self, model: SteeringModel, freqs_hz: np.ndarray, focus_m: float | None) -> None:
        self.model = model
        self.freqs = np.asarray(freqs_hz, dtype=float)
        self.focus_m = focus_m

    def fit(self, snapshots: list[RoadSnapshot], az: float, el: float) -> ReflectionFit:
        """The horn's direction near the free-field peak (az, el) of the hops in `snapshots`: the
        upper direction of the best horn-and-image pair on that azimuth, or (az, el) itself when
        no pair explains the data clearly better than one direction."""
        x, w, freqs, healthy = self._prepare(snapshots)
        if x.shape[0] < _MIN_BINS:
            return ReflectionFit(az, el, False, 0.0, None)
        els = el + _STEP_DEG * np.arange(_UP, -(_DOWN + _DELTA[1]) - 1, -1)  # downwards from the top
        dist = None if self.focus_m is None else np.full(len(els), self.focus_m)
        a = self.model.vectors(np.full(len(els), az), els, dist, freqs)  # (B, L, M)
        a = a * healthy[None, None, :]
        n_top = _UP + _DOWN + 1  # where the horn may be; its image anywhere below
        y = np.conj(a) @ x  # (B, L, K): a^H x per snapshot
        c = y[:, :n_top] @ np.conj(np.swapaxes(y, 1, 2))  # (B, n_top, L): a_l^H R a_j
        g = np.conj(a[:, :n_top]) @ np.swapaxes(a, 1, 2)  # (B, n_top, L): a_l^H a_j
        single = (w[:, None] * np.real(np.diagonal(c[:, :, :n_top], axis1=1, axis2=2))).sum(0) / healthy.sum()
        ii, dd = np.meshgrid(np.arange(n_top), np.arange(_DELTA[0], _DELTA[1] + 1), indexing="ij")
        ii, jj = ii.ravel(), (ii + dd).ravel()
        c_diag = np.real((y * np.conj(y)).sum(-1))  # (B, L): a_j^H R a_j
        g_diag = np.real((a * np.conj(a)).sum(-1))  # (B, L): a_j^H a_j (healthy microphones)
        p, weak = _pair_power(c, g, c_diag, g_diag, ii, jj, w)
        p = np.where(weak >= _MIN_WEAK, p, -np.inf)
        k = int(np.argmax(p))
        gain = float(p[k]) / max(float(single.max()), 1e-30) - 1.0
        if not np.isfinite(p[k]) or gain < _MIN_GAIN:
            return ReflectionFit(az, el, False, max(gain, 0.0), None)
        i, j = int(ii[k]), int(jj[k])
        el_up = float(els[i])
        # Sub-step: a parabola over the horn's elevation, image offset held; not at either end of
        # the horn's range (the rows of `c` stop at n_top: the horn 1° below the peak is the last).
        if 0 < i < n_top - 1 and j + 1 < len(els):
            trio, _ = _pair_power(
                c, g, c_diag, g_diag, np.array([i - 1, i, i + 1]), np.array([j - 1, j, j + 1]), w
            )
            el_up -= _STEP_DEG * vertex_offset(*trio)  # indices run downwards
        return ReflectionFit(az, el_up, True, gain, float(els[i] - els[j]))

    def _prepare(
        self, snapshots: list[RoadSnapshot]
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The pooled hops (`pool_by_bin`), unhealthy microphones zeroed, each bin scaled to unit
        mean power per microphone and snapshot so partials weigh by their weights only (summing
        to 1); the bins' frequencies; and the healthy-microphone mask."""
        x, w, bins, healthy = pool_by_bin(snapshots)
        x[:, ~healthy] = 0
        power = (x.real**2 + x.imag**2).sum(axis=(1, 2)) / max(1, int(healthy.sum()) * x.shape[2])
        x /= np.sqrt(np.maximum(power, 1e-30))[:, None, None]
        return x, w / max(float(w.sum()), 1e-30), self.freqs[bins], healthy


def _pair_power(
    c: np.ndarray,
    g: np.ndarray,
    c_diag: np.ndarray,
    g_diag: np.ndarray,
    ii: np.ndarray,
    jj: np.ndarray,
    w: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """For pairs (upper ii, lower jj), from the rows of the upper directions `c` = a_i^H R a_j and
    `g` = a_i^H a_j and the diagonals of every direction: Σ_b w_b λ_b, λ_b the power of the best single coherent wave
    in the span of the pair (top generalised eigenvalue of the 2×2 data and Gram matrices), and
    the weighted fraction of bins where that wave's image part is the weaker (|γ| ≤ 1)."""
    c11 = np.real(c[:, ii, ii])
    c22 = c_diag[:, jj]
    c12 = c[:, ii, jj]
    g11 = np.real(g[:, ii, ii])
    g22 = g_diag[:, jj]
    g12 = g[:, ii, jj]
    # det(C − λG) = 0: a λ² + b λ + d = 0
    qa = g11 * g22 - np.abs(g12) ** 2
    qb = -(c11 * g22 + c22 * g11 - 2 * np.real(c12 * np.conj(g12)))
    qd = c11 * c22 - np.abs(c12) ** 2
    qa = np.maximum(qa, 1e-9 * g11 * g22)
    disc = np.sqrt(np.maximum(qb * qb - 4 * qa * qd, 0.0))
    lam = (-qb + disc) / (2 * qa)
    # Eigenvector (1, γ): (c11 − λ g11) + γ (c12 − λ g12) = 0
    num = -(c11 - lam * g11)
    den = c12 - lam * g12
    gamma = np.abs(num) / np.maximum(np.abs(den), 1e-30)
    weak = (gamma <= 1.0).astype(float)
    return (w[:, None] * lam).sum(0), (w[:, None] * weak).sum(0)
