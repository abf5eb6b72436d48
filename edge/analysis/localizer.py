"""Steered response power on the focus grid, restricted and weighted to a horn's harmonic bins.

Kernel: for each selected bin b the snapshots X_b (M×K) are steered to every grid point with one
matrix product A_b^H X_b (grid×K), so the map costs bins × grid × M × K multiply-adds instead of
bins × grid × M² through the cross-spectral matrix; the CSM's diagonal (each microphone's own
noise) is removed exactly because the steering vectors have unit modulus.

Methods:
- `das`: each bin's snapshots scaled to unit power, so the weak upper partials — the ones with
  the narrow main lobe — count as much as the loud fundamental; bins weighted by horn-to-background.
- `phat`: every microphone's spectrum whitened (phase transform): robust against reverberation
  and level differences between microphones, and the sharpest peak.
- `clean-sc`: the `das` map deconvolved by CLEAN-SC (Sijtsma 2007): the strongest source's
  coherent part is removed from the data and the map recomputed, so a second vehicle hidden in the
  first's main lobe or sidelobes comes out as a second source.

Search: the coarse grid (view + margin, spacing a third of the main lobe at `coarse_max_hz`, with
cached steering) finds candidate lobes using the bins below `coarse_max_hz`; each candidate is
then refined by a shrinking local pattern with all bins, and a parabola through the last 3×3
gives the sub-grid peak. The cost grows with the log of the resolution, not its square.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
from scipy.ndimage import maximum_filter

from edge.analysis.config import LocalizerConfig
from edge.analysis.grid import FocusGrid, FocusModel
from edge.analysis.steering import SteeringModel


@dataclass(frozen=True)
class Peak:
    azimuth_deg: float
    elevation_deg: float
    power: float
    contrast_db: float
    distance_m: float | None


@dataclass(frozen=True)
class Localization:
    peaks: tuple[Peak, ...]
    coarse_map: np.ndarray  # (n_el, n_az) linear power (may dip below 0: diagonal removed)
    flops: float
    same_as: int | None = None  # index into `known`: the coarse peak is that source's, not refined


class SteeringCache:
    """Conjugated coarse-grid steering (G, M) per STFT bin, least-recently-used, bounded in megabytes."""

    def __init__(self, model: SteeringModel, grid: FocusGrid, freqs_hz: np.ndarray, budget_mb: float) -> None:
        self.model = model
        self.az, self.el = grid.points()
        self.dist = grid.distance_m
        self.freqs = freqs_hz
        per_bin = grid.size * len(model.positions) * 8
        self.capacity = max(4, int(budget_mb * 1e6 // per_bin))
        self._items: OrderedDict[int, np.ndarray] = OrderedDict()

    def get(self, bins: np.ndarray) -> list[np.ndarray]:
        out = []
        for b in bins.tolist():
            a = self._items.get(b)
            if a is None:
                a = np.conj(self.model.vectors(self.az, self.el, self.dist, self.freqs[b : b + 1])[0])
                self._items[b] = a
                if len(self._items) > self.capacity:
                    self._items.popitem(last=False)
            else:
                self._items.move_to_end(b)
            out.append(a)
        return out


class Localizer:
    def __init__(
        self,
        config: LocalizerConfig,
        positions_m: np.ndarray,
        freqs_hz: np.ndarray,
        grid: FocusGrid,
        focus: FocusModel,
    ) -> None:
        self.cfg = config
        self.positions = np.asarray(positions_m, dtype=float)
        self.freqs = np.asarray(freqs_hz, dtype=float)
        self.grid = grid
        self.focus = focus
        self.step = float(np.diff(grid.azimuth_deg[:2])[0])
        self.model = SteeringModel(self.positions, config.speed_of_sound)
        self.cache = SteeringCache(self.model, grid, self.freqs, config.steering_cache_mb)
        self.points_evaluated = 0  # grid points steered so far (coarse + local), for the benchmark

    # ------------------------------------------------------------------ public

    def localize(
        self,
        selected: np.ndarray,
        bins: np.ndarray,
        weights: np.ndarray,
        healthy: np.ndarray,
        known: list[tuple[float, float]] | None = None,
    ) -> Localization:
        """Sources of the comb: `selected` (len(bins), M, K) snapshots of STFT `bins`, `weights` in [0, 1].

        `known` directions (sources already placed in this hop, e.g. the other voice of a
        dual-tone horn): when this comb's coarse peak is within a coarse step of one of them the
        refinement is skipped and `same_as` says which (DAS and PHAT only; CLEAN-SC always refines).
        """
        power = (selected.real**2 + selected.imag**2).sum(axis=(1, 2))
        # CLEAN-SC keeps every bin of a partial: two horns of nearly one pitch share a partial's
        # run of bins, each strongest on its own side of it.
        if self.cfg.partial_bins == 1 and self.cfg.method != "clean-sc":
            keep = _partial_peaks(bins, power)
            selected, bins, weights, power = (
                selected[keep],
                bins[keep],
                np.asarray(weights)[keep],
                power[keep],
            )
        x = self._prepare(selected, self.cfg.method)
        # Unhealthy microphones are zeroed rather than cut out, so the cached steering stays usable.
        x[:, ~healthy] = 0
        m_h = int(healthy.sum())
        w = np.asarray(weights, dtype=np.float32)
        coarse_sel = _coarse_bins(bins, power, self.freqs, self.cfg.coarse_max_hz)
        signs = np.ones(x.shape[2], dtype=np.float32)
        x0, signs0 = x, signs
        steer: list[np.ndarray] = []
        peaks: list[Peak] = []
        first_map: np.ndarray | None = None
        flops = 0.0
        n_sources = self.cfg.max_sources if self.cfg.method == "clean-sc" else 1
        for _ in range(n_sources):
            a_coarse = self.cache.get(bins[coarse_sel])
            cmap = self._power(a_coarse, x[coarse_sel], signs, w[coarse_sel], m_h)
            flops += 8.0 * len(a_coarse) * self.grid.size * x.shape[1] * x.shape[2]
            self.points_evaluated += self.grid.size
            cmap2 = cmap.reshape(self.grid.shape)
            if first_map is None:
                first_map = cmap2
                if known and n_sources == 1:
                    r, c = np.unravel_index(int(np.argmax(cmap2)), cmap2.shape)
                    here = Peak(
                        float(self.grid.azimuth_deg[c]), float(self.grid.elevation_deg[r]), 0.0, 0.0, None
                    )
                    for i, (az_k, el_k) in enumerate(known):
                        if _angle(here, Peak(az_k, el_k, 0.0, 0.0, None)) <= 1.5 * self.step:
                            return Localization(peaks=(), coarse_map=cmap2, flops=flops, same_as=i)
            found = self._best_refined(cmap2, x, signs, w, bins, m_h)
            if found is None:
                break
            peak, a_peak, fl = found
            flops += fl
            if peaks:
                if peak.power < peaks[0].power * 10 ** (-self.cfg.clean_dynamic_db / 10):
                    break
                if min(_angle(peak, p) for p in peaks) < self.cfg.min_separation_deg:
                    break
            peaks.append(peak)
            steer.append(a_peak)
            if len(peaks) < n_sources:
                x, signs = self._remove_source(x, signs, a_peak, m_h)
        if len(peaks) > 1:
            peaks, flops = self._relocalize(peaks, steer, x0, signs0, w, bins, m_h, flops)
        assert first_map is not None
        return Localization(peaks=tuple(peaks), coarse_map=first_map, flops=flops)

    def _relocalize(
        self,
        peaks: list[Peak],
        steer: list[np.ndarray],
        x0: np.ndarray,
        signs0: np.ndarray,
        w: np.ndarray,
        bins: np.ndarray,
        m: int,
        flops: float,
    ) -> tuple[list[Peak], float]:
        """Each source again, on the data with the others removed (two rounds, as in RELAX).

        The first CLEAN-SC peak is found with every other source still in the map, so a second
        vehicle inside the main lobe pulls it toward itself; once the others are known they can be
        taken out and the first placed where it is alone.
        """
        for _round in range(2):
            for i in range(len(peaks)):
                x, signs = x0, signs0
                for j, a in enumerate(steer):
                    if j != i:
                        x, signs = self._remove_source(x, signs, a, m)
                az, el, pw, a_i, fl = self._refine(
                    peaks[i].azimuth_deg, peaks[i].elevation_deg, x, signs, w, bins, m
                )
                flops += fl
                d = self.focus.distance(np.array([az]), np.array([el]))
                peaks[i] = Peak(az, el, pw, peaks[i].contrast_db, None if d is None else float(d[0]))
                steer[i] = a_i
        return peaks, flops

    # ------------------------------------------------------------------ kernel

    @staticmethod
    def _prepare(x: np.ndarray, method: str) -> np.ndarray:
        """Snapshots (B, M, K) scaled for the method (see module docstring); always a new array."""
        x = x.astype(np.complex64, copy=True)
        if method == "phat":
            return x / np.maximum(np.abs(x), 1e-20)
        norm = np.sqrt((x.real**2 + x.imag**2).sum(axis=(1, 2), keepdims=True) / x.shape[1])
        return x / np.maximum(norm, 1e-20)

    @staticmethod
    def _power(
        a_conj: np.ndarray | list[np.ndarray], x: np.ndarray, signs: np.ndarray, w: np.ndarray, m: int
    ) -> np.ndarray:
        """Σ_b w_b (Σ_k s_k |a_bg^H x_bk|² − diag_b) / m² for every point g; a_conj[b] is (G, M).

        Unit-modulus steering sees the CSM's diagonal (each microphone's own noise) as the same
        constant at every point, so removing it costs nothing. One (G×M)·(M×K) product per bin
        on views of the cached steering, so nothing is copied.
        """
        diag = (x.real**2 + x.imag**2).sum(1) @ signs  # (B,)
        if isinstance(a_conj, np.ndarray):  # small local patches: one batched product
            y = np.matmul(a_conj, x)  # (B, G, K)
            return (w @ ((y.real**2 + y.imag**2) @ signs - diag[:, None])) / (m * m)
        out = np.zeros(a_conj[0].shape[0], dtype=np.float32)
        for b in range(len(a_conj)):
            y = a_conj[b] @ x[b]  # (G, K)
            out += w[b] * ((y.real**2 + y.imag**2) @ signs - diag[b])
        return out / (m * m)

    def _local_power(
        self,
        az: np.ndarray,
        el: np.ndarray,
        x: np.ndarray,
        signs: np.ndarray,
        w: np.ndarray,
        bins: np.ndarray,
        m: int,
    ) -> tuple[np.ndarray, np.ndarray]:
        self.points_evaluated += len(az)
        a = self.model.vectors(az, el, self.focus.distance(az, el), self.freqs[bins])  # (B, G, M)
        return self._power(np.conj(a), x, signs, w, m), a

    def _best_refined(
        self,
        cmap: np.ndarray,
        x: np.ndarray,
        signs: np.ndarray,
        w: np.ndarray,
        bins: np.ndarray,
        m: int,
    ) -> tuple[Peak, np.ndarray, float] | None:
        top = float(cmap.max())
        if not np.isfinite(top) or top <= 0:
            return None
        is_max = (cmap == maximum_filter(cmap, size=3, mode="nearest")) & (cmap >= 0.5 * top)
        order = np.argsort(cmap[is_max])[::-1][: self.cfg.candidates]
        rows, cols = np.nonzero(is_max)
        floor = float(np.median(np.abs(cmap))) + 1e-30
        best: tuple[Peak, np.ndarray, float] | None = None
        flops = 0.0
        for i in order:
            az0 = float(self.grid.azimuth_deg[cols[i]])
            el0 = float(self.grid.elevation_deg[rows[i]])
            az, el, pw, a, fl = self._refine(az0, el0, x, signs, w, bins, m)
            flops += fl
            if best is None or pw > best[0].power:
                d = self.focus.distance(np.array([az]), np.array([el]))
                peak = Peak(
                    az, el, pw, 10 * np.log10(max(top, 1e-30) / floor), None if d is None else float(d[0])
                )
                best = (peak, a, 0.0)
        if best is None:
            return None
        return best[0], best[1], flops

    def _refine(
        self,
        az0: float,
        el0: float,
        x: np.ndarray,
        signs: np.ndarray,
        w: np.ndarray,
        bins: np.ndarray,
        m: int,
    ) -> tuple[float, float, float, np.ndarray, float]:
        """Local search around a coarse peak: a 7×7 patch over ±1 coarse step, then `refine_levels`
        rounds of 3×3 patches centred on the latest parabolic estimate, each a quarter of the previous
        spacing (re-centred if the maximum sits on the edge). The last parabola gives the sub-grid peak.
        """
        flops = 0.0

        def patch(az_c: float, el_c: float, h: float, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
            nonlocal flops
            off = (np.arange(n) - n // 2) * h
            oa, oe = np.meshgrid(off, off)
            az, el = az_c + oa.ravel(), el_c + oe.ravel()
            p, _ = self._local_power(az, el, x, signs, w, bins, m)
            flops += 8.0 * len(bins) * len(az) * x.shape[1] * x.shape[2]
            return az, el, p.reshape(n, n)

        h = self.step / 3
        az, el, p = patch(az0, el0, h, 7)
        r, c = np.unravel_index(int(np.argmax(p)), p.shape)
        r, c = int(np.clip(r, 1, 5)), int(np.clip(c, 1, 5))
        az0, el0 = float(az[r * 7 + c]), float(el[r * 7 + c])
        vals = p[r - 1 : r + 2, c - 1 : c + 2]
        for _level in range(self.cfg.refine_levels - 1):
            da, de = _parabolic_offset(vals)
            az0, el0, h = az0 + da * h, el0 + de * h, h / 4
            for _ in range(4):
                az, el, vals = patch(az0, el0, h, 3)
                k = int(np.argmax(vals))
                if k == 4:
                    break
                az0, el0 = float(az.ravel()[k]), float(el.ravel()[k])
        da, de = _parabolic_offset(vals)
        az_f, el_f = az0 + da * h, el0 + de * h
        p1, a = self._local_power(np.array([az_f]), np.array([el_f]), x, signs, w, bins, m)
        if p1[0] < vals[1, 1]:  # the parabola overshot (flat or skewed top): keep the lattice point
            az_f, el_f = az0, el0
            p1, a = self._local_power(np.array([az_f]), np.array([el_f]), x, signs, w, bins, m)
        return az_f, el_f, float(p1[0]), a[:, 0, :], flops

    @staticmethod
    def _remove_source(
        x: np.ndarray, signs: np.ndarray, a: np.ndarray, m: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """CLEAN-SC step: subtract the part of the CSM coherent with the source steered by `a` (B, Mh).

        With C = X diag(s) X^H and w = a/M: P = w^H C w, h = C w / P, C' = C − P h h^H. The
        subtracted term is appended as a column with sign −1, so every later map (a matrix
        product like the first) sees the degraded CSM without ever forming it.
        """
        y = np.einsum("bm,bmk->bk", np.conj(a), x) / m  # w^H x_k
        p = (np.abs(y) ** 2) @ signs  # (B,)
        ok = p > 1e-9 * max(float(p.max()), 1e-30)  # a bin with no power left has nothing to remove
        # Broadband twist: the map is summed over the comb, but a bin may belong to another source
        # (its partial a bin away). Its power seen from this look direction is then only a
        # sidelobe fraction of its total, and removing "what is coherent with the look" would
        # wipe out the other source. Only bins where this source dominates are cleaned.
        total = ((np.abs(x) ** 2).sum(1) @ signs) / m  # (B,) power a perfectly aligned beam would see
        ok &= p >= 0.5 * np.maximum(total, 1e-30)
        h = np.einsum("bmk,bk->bm", x, np.conj(y) * signs[None, :]) / np.where(ok, p, 1.0)[:, None]
        col = (np.sqrt(np.where(ok, p, 0.0))[:, None] * h).astype(np.complex64)
        return np.concatenate([x, col[:, :, None]], axis=2), np.append(signs, np.float32(-1.0))


def _partial_peaks(bins: np.ndarray, power: np.ndarray) -> list[int]:
    """Index of the strongest bin of each partial (a run of adjacent bins). A steady partial's
    neighbouring bins are scaled copies of its peak bin (window leakage): same direction, no news."""
    runs = np.split(np.arange(len(bins)), np.flatnonzero(np.diff(bins) > 1) + 1)
    return [int(r[int(np.argmax(power[r]))]) for r in runs if len(r)]


def _coarse_bins(bins: np.ndarray, power: np.ndarray, freqs: np.ndarray, max_hz: float) -> np.ndarray:
    """Mask of the bins the coarse map uses: one per partial below `max_hz`, at least three."""
    peaks = _partial_peaks(bins, power)
    low = [i for i in peaks if freqs[bins[i]] <= max_hz]
    chosen = low if len(low) >= 3 else peaks[:3]
    mask = np.zeros(len(bins), bool)
    mask[chosen] = True
    return mask


def _parabolic_offset(v: np.ndarray) -> tuple[float, float]:
    """Sub-grid offset (columns → azimuth, rows → elevation) of the peak of a 3×3 patch, in steps
    (zero when the centre is not the maximum: no parabola through a slope)."""
    if int(np.argmax(v)) != 4:
        return 0.0, 0.0

    def one(m1: float, c: float, p1: float) -> float:
        den = m1 - 2 * c + p1
        return float(np.clip(0.5 * (m1 - p1) / den, -0.5, 0.5)) if den < 0 else 0.0

    return one(v[1, 0], v[1, 1], v[1, 2]), one(v[0, 1], v[1, 1], v[2, 1])


def _angle(a: Peak, b: Peak) -> float:
    from edge.geometry.camera import direction_to_unit

    u = direction_to_unit(a.azimuth_deg, a.elevation_deg)
    v = direction_to_unit(b.azimuth_deg, b.elevation_deg)
    return float(np.degrees(np.arccos(np.clip(u @ v, -1, 1))))
