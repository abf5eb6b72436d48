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

Search: the coarse grid (view + margin, with cached steering) finds candidate lobes using the
bins below `coarse_max_hz`; each candidate is then refined by a shrinking local pattern with all
bins, and a parabola through the last 3×3 gives the sub-grid peak. Lobes are found at a third of
the main lobe at `coarse_max_hz` (the default spacing): on a finer grid only every `stride`-th
point is evaluated everywhere, and the full grid only around the lobes found there (hill-climbed
to a local maximum), so the cost grows with the log of the resolution, not its square. The
event's sound map is then the lobe-level map, already computed: at a third of the main lobe it
holds all the picture can show (it is the default grid's spacing), and the full map would cost an
exhaustive search per event. Every refinement patch lies on a lattice anchored at a grid point,
so a horn that stays put reuses its patches' steering.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.ndimage import maximum_filter

from edge.analysis.config import LocalizerConfig
from edge.analysis.grid import FocusGrid, FocusModel, default_step_deg
from edge.analysis.steering import SteeringModel
from edge.geometry.camera import angle_deg


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
    coarse_map: CoarseMap
    flops: float
    same_as: int | None = None  # index into `known`: the coarse peak is that source's, not refined


class SteeringCache:
    """Conjugated steering (G, M) per STFT bin for a fixed set of focus points, least-recently-used,
    bounded in megabytes."""

    def __init__(
        self,
        model: SteeringModel,
        azimuth_deg: np.ndarray,
        elevation_deg: np.ndarray,
        distance_m: np.ndarray | None,
        freqs_hz: np.ndarray,
        budget_mb: float,
    ) -> None:
        self.model = model
        self.az, self.el, self.dist = azimuth_deg, elevation_deg, distance_m
        self.freqs = freqs_hz
        per_bin = len(azimuth_deg) * len(model.positions) * 8
        self.capacity = max(4, int(budget_mb * 1e6 // per_bin))
        self._items: OrderedDict[int, np.ndarray] = OrderedDict()
        self._stacks: OrderedDict[bytes, np.ndarray] = OrderedDict()

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

    def stacked(self, bins: np.ndarray) -> np.ndarray:
        """`get` as one (B, G, M) array, kept for the last few bin sets: a horn's comb keeps its
        bins from hop to hop, and one batched product beats a loop of small ones."""
        key = bins.tobytes()
        a = self._stacks.get(key)
        if a is None:
            a = np.stack(self.get(bins))
            self._stacks[key] = a
            if len(self._stacks) > 4:
                self._stacks.popitem(last=False)
        else:
            self._stacks.move_to_end(key)
        return a


class PatchCache:
    """Conjugated steering (P, M) of refinement patches, per (patch key, STFT bin), LRU bounded in MB.

    Every refinement patch lies on a lattice anchored at a coarse grid point (see `_lattice_search`),
    so a horn that stays put over its hops is refined with steering computed once.
    """

    def __init__(
        self, model: SteeringModel, focus: FocusModel, freqs_hz: np.ndarray, budget_mb: float
    ) -> None:
        self.model = model
        self.focus = focus
        self.freqs = freqs_hz
        self.budget = budget_mb * 1e6
        self._bytes = 0
        self._items: OrderedDict[tuple, np.ndarray] = OrderedDict()
        self._stacked: OrderedDict[tuple, np.ndarray] = OrderedDict()
        self._stacked_bytes = 0

    def get(
        self, key: tuple, points: Callable[[], tuple[np.ndarray, np.ndarray]], bins: np.ndarray
    ) -> np.ndarray:
        """(B, P, M) conjugated steering of the patch `key` (whose (az, el) `points()` gives) at `bins`."""
        stacked = self._stacked.get((key, bins.tobytes()))
        if stacked is not None:
            return stacked
        items = self._items
        blist = bins.tolist()
        missing = []
        for b in blist:
            if (key, b) in items:
                items.move_to_end((key, b))  # so the eviction below never takes this patch's own bins
            else:
                missing.append(b)
        if missing:
            az, el = points()
            a = np.conj(self.model.vectors(az, el, self.focus.distance(az, el), self.freqs[missing]))
            for b, ab in zip(missing, a, strict=True):
                items[(key, b)] = ab
                self._bytes += ab.nbytes
            while self._bytes > self.budget and len(items) > len(blist):
                self._bytes -= items.popitem(last=False)[1].nbytes
        out = np.empty((len(blist), *items[(key, blist[0])].shape), np.complex64)
        for i, b in enumerate(blist):
            out[i] = items[(key, b)]
        # The patches of the last few hops, whole: a steady horn's repeat exactly, bins and all.
        self._stacked[(key, bins.tobytes())] = out
        self._stacked_bytes += out.nbytes
        while self._stacked_bytes > 0.25 * self.budget:
            self._stacked_bytes -= self._stacked.popitem(last=False)[1].nbytes
        return out


@dataclass(frozen=True)
class _Lattice:
    """Where a local search stopped: its lattice point (direction, spacing `h`), the last 3×3
    powers (for the parabola), and the point's conjugated steering (B, M) and power."""

    az: float
    el: float
    h: float
    vals: np.ndarray
    a_centre: np.ndarray
    power: float


@dataclass(frozen=True)
class CoarseMap:
    """The map on which one comb's lobes were found: (n_el, n_az) linear power (may dip below 0:
    diagonal removed) on the grid's rows and columns given by the two axes."""

    values: np.ndarray
    azimuth_deg: np.ndarray
    elevation_deg: np.ndarray


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
        # Coarse-to-fine when the grid is finer than the lobe-finding spacing (a third of the main
        # lobe at the coarse band's top): every `stride`-th point finds the lobes, the full grid is
        # evaluated only around them. On the default grid the stride is 1: exhaustive, as before.
        lobe_step = default_step_deg(self.positions, config.coarse_max_hz, config.speed_of_sound)
        self.stride = max(1, int(lobe_step / self.step + 1e-6))
        az, el = grid.points()
        budget = config.steering_cache_mb
        if self.stride == 1:
            self._rows0, self._cols0 = np.arange(grid.shape[0]), np.arange(grid.shape[1])
        else:
            self._rows0 = _sub_index(grid.shape[0], self.stride)
            self._cols0 = _sub_index(grid.shape[1], self.stride)
        g0 = (self._rows0[:, None] * grid.shape[1] + self._cols0[None, :]).ravel()
        d0 = None if grid.distance_m is None else grid.distance_m[g0]
        self.cache0 = SteeringCache(self.model, az[g0], el[g0], d0, self.freqs, 0.75 * budget)
        self._az0, self._el0 = grid.azimuth_deg[self._cols0], grid.elevation_deg[self._rows0]
        self.patches = PatchCache(self.model, focus, self.freqs, 0.25 * budget)
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
            keep = partial_peaks(bins, power)
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
        first_map: CoarseMap | None = None
        flops = 0.0
        n_sources = self.cfg.max_sources if self.cfg.method == "clean-sc" else 1
        for _ in range(n_sources):
            check = known if known and n_sources == 1 and first_map is None else None
            cmap, cands, top, floor, fl, same = self._coarse(
                x[coarse_sel], signs, w[coarse_sel], bins[coarse_sel], m_h, check
            )
            flops += fl
            if first_map is None:
                first_map = cmap
            if same is not None:
                return Localization(peaks=(), coarse_map=cmap, flops=flops, same_as=same)
            found = self._best_refined(cands, top, floor, x, signs, w, bins, m_h)
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
    def _diag(x: np.ndarray, signs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Σ_k s_k Σ_m |x_bmk|² per bin (B,) — the CSM's trace, the same at every point — and the
        signs repeated for the interleaved real/imaginary view (2K,)."""
        s2 = np.repeat(signs, 2)
        xv = x.view(np.float32)
        return np.einsum("bmk,bmk->bk", xv, xv) @ s2, s2

    @staticmethod
    def _power(
        a_conj: np.ndarray | list[np.ndarray],
        x: np.ndarray,
        signs: np.ndarray,
        w: np.ndarray,
        m: int,
        pre: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> np.ndarray:
        """Σ_b w_b (Σ_k s_k |a_bg^H x_bk|² − diag_b) / m² for every point g; a_conj[b] is (G, M).

        Unit-modulus steering sees the CSM's diagonal (each microphone's own noise) as the same
        constant at every point, so removing it costs nothing. One (G×M)·(M×K) product per bin
        on views of the cached steering, so nothing is copied; |y|² is weighted by the signs on
        the interleaved real/imaginary view of y (one product, no temporaries per part). `pre`
        (from `_diag`) saves recomputing the trace when one call site evaluates many patches.
        """
        diag, s2 = Localizer._diag(x, signs) if pre is None else pre
        if isinstance(a_conj, np.ndarray):  # local patches: one batched product
            y = np.matmul(a_conj, x).view(np.float32)  # (B, G, 2K)
            np.multiply(y, y, out=y)
            return (w @ (y @ s2 - diag[:, None])) / (m * m)
        out = np.zeros(a_conj[0].shape[0], dtype=np.float32)
        for b in range(len(a_conj)):
            y = (a_conj[b] @ x[b]).view(np.float32)  # (G, 2K)
            np.multiply(y, y, out=y)
            q = y @ s2
            q -= diag[b]
            q *= w[b]
            out += q
        return out / (m * m)

    def _coarse(
        self,
        x: np.ndarray,
        signs: np.ndarray,
        w: np.ndarray,
        bins: np.ndarray,
        m: int,
        known: list[tuple[float, float]] | None = None,
    ) -> tuple[CoarseMap, list[tuple[int, int, float]], float, float, float, int | None]:
        """The coarse map's lobes: the map, up to `candidates` local maxima (row, col, power) at
        least half the top, strongest first, the top, the floor (median |power|, for the contrast),
        the flops, and which of the `known` directions the map's maximum is (then no candidates
        are sought; None otherwise).

        Exhaustive when `stride` is 1. Otherwise the lobes are found on every `stride`-th point and
        each is climbed on the full grid (only the points around it evaluated); the floor is then
        the median of the sub-grid, and the map returned is the sub-grid's.
        """
        a0 = self.cache0.stacked(bins)
        m0 = self._power(a0, x, signs, w, m).reshape(len(self._rows0), len(self._cols0))
        cmap = CoarseMap(m0, self._az0, self._el0)
        per_point = 8.0 * len(bins) * x.shape[1] * x.shape[2]
        self.points_evaluated += m0.size
        top = float(m0.max())
        if self.stride == 1:
            same = self._same_as(known, *np.unravel_index(int(np.argmax(m0)), m0.shape))
            if same is not None:
                return cmap, [], top, 0.0, per_point * m0.size, same
            floor = float(np.median(np.abs(m0))) + 1e-30
            is_max = (m0 == maximum_filter(m0, size=3, mode="nearest")) & (m0 >= 0.5 * top)
            rows, cols = np.nonzero(is_max)
            order = np.argsort(m0[is_max])[::-1][: self.cfg.candidates]
            cands = [(int(rows[i]), int(cols[i]), float(m0[rows[i], cols[i]])) for i in order]
            return cmap, cands, top, floor, per_point * m0.size, None
        pre = self._diag(x, signs)
        seen: dict[int, float] = {}
        found: dict[tuple[int, int], float] = {}
        r, c = np.unravel_index(int(np.argmax(m0)), m0.shape)
        rc, p = self._climb(int(self._rows0[r]), int(self._cols0[c]), x, signs, w, bins, m, pre, seen)
        found[rc] = p
        same = self._same_as(known, *rc)
        if same is not None:
            self.points_evaluated += len(seen)
            return cmap, [], p, 0.0, per_point * (m0.size + len(seen)), same
        # A lobe's peak on the full grid is at most ~1/0.85 of its best sub-grid point: the sub-grid
        # is at least as fine as the default coarse grid, which finds lobes the same way. Lobes are
        # climbed strongest first, and only while they could still be among the candidates.
        is_max = (m0 == maximum_filter(m0, size=3, mode="nearest")) & (m0 >= 0.4 * top)
        rows, cols = np.nonzero(is_max)
        for i in np.argsort(m0[is_max])[::-1]:
            vals = sorted(found.values(), reverse=True)
            n = self.cfg.candidates
            bar = max(0.5 * vals[0], vals[n - 1] if len(vals) >= n else -np.inf)
            if m0[rows[i], cols[i]] < 0.85 * bar:
                break
            start = int(self._rows0[rows[i]]), int(self._cols0[cols[i]])
            if start in found:
                continue
            rc, p = self._climb(*start, x, signs, w, bins, m, pre, seen)
            found[rc] = max(p, found.get(rc, p))
        self.points_evaluated += len(seen)
        top = max(found.values())
        floor = float(np.median(np.abs(m0))) + 1e-30
        cands = sorted(((r, c, p) for (r, c), p in found.items() if p >= 0.5 * top), key=lambda t: -t[2])
        return cmap, cands[:n], top, floor, per_point * (m0.size + len(seen)), None

    def _same_as(self, known: list[tuple[float, float]] | None, r: int, c: int) -> int | None:
        """Index of the `known` direction within 1.5 coarse steps of grid point (r, c), if any."""
        here = Peak(float(self.grid.azimuth_deg[c]), float(self.grid.elevation_deg[r]), 0.0, 0.0, None)
        for i, (az_k, el_k) in enumerate(known or []):
            if _angle(here, Peak(az_k, el_k, 0.0, 0.0, None)) <= 1.5 * self.step:
                return i
        return None

    def _climb(
        self,
        r: int,
        c: int,
        x: np.ndarray,
        signs: np.ndarray,
        w: np.ndarray,
        bins: np.ndarray,
        m: int,
        pre: tuple[np.ndarray, np.ndarray],
        seen: dict[int, float],
    ) -> tuple[tuple[int, int], float]:
        """Hill-climb on the full grid from (r, c): evaluate the ±stride window, move to its
        maximum, stop when the maximum is the centre (a local maximum). Windows repeat while the
        horn stays put, so their steering comes from the patch cache."""
        s = self.stride
        n_el, n_az = self.grid.shape
        p_best = float("-inf")
        for _ in range(8):
            r0, r1, c0, c1 = max(0, r - s), min(n_el, r + s + 1), max(0, c - s), min(n_az, c + s + 1)
            idx = (np.arange(r0, r1)[:, None] * n_az + np.arange(c0, c1)[None, :]).ravel()

            def points(idx: np.ndarray = idx) -> tuple[np.ndarray, np.ndarray]:
                return self.grid.azimuth_deg[idx % n_az], self.grid.elevation_deg[idx // n_az]

            a = self.patches.get(("window", r0, r1, c0, c1), points, bins)
            p = self._power(a, x, signs, w, m, pre)
            seen.update(zip(idx.tolist(), p.tolist(), strict=True))
            k = int(np.argmax(p))
            g, p_best = int(idx[k]), float(p[k])
            r, c = divmod(g, n_az)
            # Off the window's border (or on the grid's edge) the maximum's neighbours were all
            # evaluated: a local maximum of the full grid.
            if (
                (r > r0 or r == 0)
                and (r < r1 - 1 or r == n_el - 1)
                and (c > c0 or c == 0)
                and (c < c1 - 1 or c == n_az - 1)
            ):
                break
        return (r, c), p_best

    def _best_refined(
        self,
        cands: list[tuple[int, int, float]],
        top: float,
        floor: float,
        x: np.ndarray,
        signs: np.ndarray,
        w: np.ndarray,
        bins: np.ndarray,
        m: int,
    ) -> tuple[Peak, np.ndarray, float] | None:
        """The strongest of the refined candidates, with its steering (B, M) and the flops spent."""
        if not np.isfinite(top) or top <= 0 or not cands:
            return None
        contrast = 10 * np.log10(max(top, 1e-30) / floor)
        flops = 0.0
        states = []
        for r, c, _ in cands:
            st, fl = self._lattice_search(r, c, x, signs, w, bins, m)
            states.append(st)
            flops += fl
        results, fl = self._finish(states, x, signs, w, bins, m)
        flops += fl
        best: tuple[Peak, np.ndarray] | None = None
        for az, el, pw, a in results:
            if best is None or pw > best[0].power:
                d = self.focus.distance(np.array([az]), np.array([el]))
                best = (Peak(az, el, pw, contrast, None if d is None else float(d[0])), a)
        assert best is not None
        return best[0], best[1], flops

    def _lattice_search(
        self,
        r: int,
        c: int,
        x: np.ndarray,
        signs: np.ndarray,
        w: np.ndarray,
        bins: np.ndarray,
        m: int,
    ) -> tuple[_Lattice, float]:
        """Local search around coarse point (r, c): a 7×7 patch over ±1 coarse step, then
        `refine_levels` − 1 rounds of 3×3 patches, each a quarter of the previous spacing, centred
        on the latest parabolic estimate rounded to the new spacing (re-centred while the maximum
        sits on the edge). Every patch point is (r, c) plus whole multiples of its spacing, so a
        horn that stays put is refined on the same patches hop after hop, with cached steering;
        the last parabola (in `_finish`) still interpolates freely.
        """
        az_g, el_g = float(self.grid.azimuth_deg[c]), float(self.grid.elevation_deg[r])
        h0 = self.step / 3
        per_point = 8.0 * len(bins) * x.shape[1] * x.shape[2]
        pre = self._diag(x, signs)

        def patch(level: int, i: int, j: int, n: int) -> tuple[np.ndarray, np.ndarray]:
            def points() -> tuple[np.ndarray, np.ndarray]:
                h = h0 / 4**level
                off = np.arange(n) - n // 2
                oa, oe = np.meshgrid((off + i) * h, (off + j) * h)
                return az_g + oa.ravel(), el_g + oe.ravel()

            a = self.patches.get((r, c, level, i, j, n), points, bins)
            self.points_evaluated += n * n
            return a, self._power(a, x, signs, w, m, pre).reshape(n, n)

        a, p = patch(0, 0, 0, 7)
        flops = per_point * 49
        rr, cc = np.unravel_index(int(np.argmax(p)), p.shape)
        rr, cc = min(5, max(1, int(rr))), min(5, max(1, int(cc)))
        i, j, level = cc - 3, rr - 3, 0
        vals = p[rr - 1 : rr + 2, cc - 1 : cc + 2]
        p_c, a_c = float(p[rr, cc]), a[:, rr * 7 + cc]
        for _level in range(self.cfg.refine_levels - 1):
            da, de = parabolic_offset(vals)
            i, j, level = 4 * i + round(4 * da), 4 * j + round(4 * de), level + 1
            for _ in range(4):
                a, vals = patch(level, i, j, 3)
                flops += per_point * 9
                k = int(np.argmax(vals))
                p_c, a_c = float(vals.flat[k]), a[:, k]
                if k == 4:
                    break
                i, j = i + k % 3 - 1, j + k // 3 - 1
        h = h0 / 4**level
        return _Lattice(az_g + i * h, el_g + j * h, h, vals, a_c, p_c), flops

    def _finish(
        self,
        states: list[_Lattice],
        x: np.ndarray,
        signs: np.ndarray,
        w: np.ndarray,
        bins: np.ndarray,
        m: int,
    ) -> tuple[list[tuple[float, float, float, np.ndarray]], float]:
        """(azimuth, elevation, power, steering (B, M)) of each search's sub-grid peak: the parabola
        through its last 3×3, unless it overshot (power below the lattice point's), in which case
        the lattice point. One steering call for all the searches' final points."""
        offs = [parabolic_offset(s.vals) for s in states]
        out = [(s.az, s.el, s.power, np.conj(s.a_centre)) for s in states]
        todo = [i for i, (da, de) in enumerate(offs) if da or de]
        if not todo:
            return out, 0.0
        az = np.array([states[i].az + offs[i][0] * states[i].h for i in todo])
        el = np.array([states[i].el + offs[i][1] * states[i].h for i in todo])
        a = self.model.vectors(az, el, self.focus.distance(az, el), self.freqs[bins])  # (B, T, M)
        p = self._power(np.conj(a), x, signs, w, m)
        self.points_evaluated += len(todo)
        for t, i in enumerate(todo):
            if not p[t] < states[i].vals[1, 1]:
                out[i] = (float(az[t]), float(el[t]), float(p[t]), a[:, t, :])
        return out, 8.0 * len(bins) * len(todo) * x.shape[1] * x.shape[2]

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
        """The local search from the grid point nearest (az0, el0): (az, el, power, steering, flops)."""
        r = int(np.argmin(np.abs(self.grid.elevation_deg - el0)))
        c = int(np.argmin(np.abs(self.grid.azimuth_deg - az0)))
        st, fl = self._lattice_search(r, c, x, signs, w, bins, m)
        [(az, el, pw, a)], fl2 = self._finish([st], x, signs, w, bins, m)
        return az, el, pw, a, fl + fl2

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


def partial_peaks(bins: np.ndarray, power: np.ndarray) -> list[int]:
    """Index of the strongest bin of each partial (a run of adjacent bins). A steady partial's
    neighbouring bins are scaled copies of its peak bin (window leakage): same direction, no news."""
    b, p = bins.tolist(), power.tolist()  # a few dozen values: plain Python beats numpy calls
    out: list[int] = []
    start = 0
    for i in range(1, len(b) + 1):
        if i == len(b) or b[i] - b[i - 1] > 1:
            out.append(max(range(start, i), key=p.__getitem__))  # the first of equals, as argmax
            start = i
    return out


def _sub_index(n: int, stride: int) -> np.ndarray:
    """Every `stride`-th index of n, and the last one (the grid's edge is searched too)."""
    return np.unique(np.append(np.arange(0, n, stride), n - 1))


def _coarse_bins(bins: np.ndarray, power: np.ndarray, freqs: np.ndarray, max_hz: float) -> np.ndarray:
    """Mask of the bins the coarse map uses: one per partial below `max_hz`, at least three."""
    peaks = partial_peaks(bins, power)
    low = [i for i in peaks if freqs[bins[i]] <= max_hz]
    chosen = low if len(low) >= 3 else peaks[:3]
    mask = np.zeros(len(bins), bool)
    mask[chosen] = True
    return mask


def vertex_offset(m1: float, c: float, p1: float) -> float:
    """Offset in steps, within ±0.5, of the vertex of the parabola through three equally spaced
    values (before, centre, after); zero when they do not bend down."""
    den = m1 - 2 * c + p1
    return min(0.5, max(-0.5, float(0.5 * (m1 - p1) / den))) if den < 0 else 0.0


def parabolic_offset(v: np.ndarray) -> tuple[float, float]:
    """Sub-grid offset (columns → azimuth, rows → elevation) of the peak of a 3×3 patch, in steps
    (zero when the centre is not the maximum: no parabola through a slope)."""
    if int(np.argmax(v)) != 4:
        return 0.0, 0.0
    return vertex_offset(v[1, 0], v[1, 1], v[1, 2]), vertex_offset(v[0, 1], v[1, 1], v[2, 1])


def _angle(a: Peak, b: Peak) -> float:
    return angle_deg(a.azimuth_deg, a.elevation_deg, b.azimuth_deg, b.elevation_deg)
