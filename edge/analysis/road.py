"""The road behind the pole: is a horn in front of a flat array, or behind it?

A planar array hears a source behind it at the same phases as its mirror image in front. The road
breaks the symmetry: a vehicle behind the pole is on the road behind, at its own distance and with
its own reflection (a horn 0.5–1 m above asphalt reaches the array directly and again from its
image below the road), while its mirror in front is not on the road in front. With the mount
known, both hypotheses are fitted on the horn's own bins; when the one behind explains the data
about as well as the one in front, the source may be behind the array and must never be
attributed to the vehicle in the picture (a wrong fine is worse than a missed honk). The margin
between the two is only a few per cent, so the test flags; it does not decide: the event keeps
its direction in front (where the camera looks, and where the enforcement range is), and never
becomes evidence.

The event's direction is corrected for the reflection by `edge.analysis.reflection`, which needs
no mount: on the simulated streets it did as well as the refit here with the road's known
geometry and, unlike that refit, it leaves a source with no reflection where it is. The refit
here serves arrays too small for that (a 16-mic board), where the image sits deep inside the
main lobe and only the known geometry can say where.

The test runs once per event, not per hop: on the PHAT-whitened snapshots of the horn's own bins
(the localizer's input) from the hops around the event's reference time, pooled, at a few dozen
points around the track's direction.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edge.analysis.grid import FocusModel
from edge.analysis.localizer import parabolic_offset, partial_peaks
from edge.analysis.steering import GroundImage, point_steering
from edge.geometry.camera import direction_to_unit

_MIRROR = np.array([1.0, 1.0, -1.0])  # the array plane z = 0: front direction → the one behind
# The front hypothesis is the reflected model unless it explains the data clearly worse than the
# free field. With the reflection present (simulated streets, R 0.92) the two fits' powers are
# within ±5 % — the horn height is a guess, moving vehicles blur both — while a horn with no
# reflection at all scores 0.87–0.93 under the reflected model.
_ABSENT_BELOW = 0.94
# Horn heights tried (m above the road): the image's offset scales with the height. Scooters and
# cars 0.3–0.9, trucks and buses about 1; the best-explaining one is kept.
_HORN_HEIGHTS_M = (0.3, 0.6, 0.9, 1.2)


@dataclass(frozen=True)
class RoadSnapshot:
    """One hop's evidence, kept as the localizer got it (only the few hops near an event's
    reference time are ever prepared, so nothing is spent per hop): snapshots (B, M, K) of the
    comb's STFT `bins`, their weights, and the healthy-microphone mask."""

    snapshots: np.ndarray
    bins: np.ndarray
    weights: np.ndarray
    healthy: np.ndarray


def pool_by_bin(snapshots: list[RoadSnapshot]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The hops pooled by STFT bin: (x (B, M, K), weights (B,), bins (B,), healthy (M,)).

    Each hop's strongest bin per partial, the same bin of several hops stacked as more snapshots
    (absent ones zero, adding nothing). A steady horn puts its partials in the same bins hop after
    hop, so a per-event fit steers a handful of frequencies, not one set per hop. `healthy`: the
    microphones healthy in every pooled hop (or, when fewer than two are, in the first hop, whose
    like are then the only ones pooled). B is 0 when no hop holds a partial."""
    healthy = np.logical_and.reduce([s.healthy for s in snapshots])
    if healthy.sum() < 2:
        # The array changed under the event (a converter line dropped out and came back): the
        # hops that share the first hop's microphones, rather than none at all.
        snapshots = [s for s in snapshots if np.array_equal(s.healthy, snapshots[0].healthy)]
        healthy = snapshots[0].healthy
    per_bin: dict[int, list[np.ndarray]] = {}
    weight: dict[int, float] = {}
    for s in snapshots:
        keep = partial_peaks(s.bins, (s.snapshots.real**2 + s.snapshots.imag**2).sum(axis=(1, 2)))
        for k in keep:
            b = int(s.bins[k])
            per_bin.setdefault(b, []).append(s.snapshots[k])
            weight[b] = weight.get(b, 0.0) + float(s.weights[k])
    bins = np.array(sorted(per_bin), dtype=np.int64)
    k_max = max((sum(x.shape[1] for x in per_bin[b]) for b in per_bin), default=1)
    x = np.zeros((len(bins), len(healthy), k_max), np.complex64)
    for i, b in enumerate(bins.tolist()):
        stacked = np.concatenate(per_bin[b], axis=1)
        x[i, :, : stacked.shape[1]] = stacked
    return x, np.array([weight[b] for b in bins.tolist()], np.float32), bins, healthy


@dataclass(frozen=True)
class _Prepared:
    """A hop ready for the fit: whitened snapshots of the strongest bin of each partial."""

    x: np.ndarray
    weights: np.ndarray
    freqs_hz: np.ndarray
    healthy: int


@dataclass(frozen=True)
class RoadFit:
    """The front/back test and the peak refitted with the road's geometry.

    `ambiguous`: the road behind explains the horn nearly as well as the road in front;
    `rear_ratio` the best rear-hypothesis power over the best front one (None when no point of
    the road behind the pole maps onto this direction). (`azimuth_deg`, `elevation_deg`): the
    peak with the reflection's bias removed when the reflected model explains the data
    (`reflected`), else the free-field peak — the direction for arrays too small for the blind
    fit of `edge.analysis.reflection`.
    """

    ambiguous: bool
    rear_ratio: float | None
    azimuth_deg: float
    elevation_deg: float
    reflected: bool


class RoadModel:
    """Fits of the front and, where possible, rear road hypotheses around a free-field peak."""

    def __init__(
        self,
        positions_m: np.ndarray,
        freqs_hz: np.ndarray,
        speed_of_sound: float,
        focus: FocusModel,
        reflection: float,
        behind_ratio: float,
    ) -> None:
        ground = focus.ground_image(reflection)
        if ground is None:
            raise ValueError("the road model needs the mount (the road plane) and a reflection > 0")
        self.positions = np.asarray(positions_m, dtype=float)
        self.freqs = np.asarray(freqs_hz, dtype=float)
        self.c = speed_of_sound
        self.focus = focus
        self.ground = ground
        self.behind_ratio = behind_ratio

    def _prepare(self, snapshots: list[RoadSnapshot]) -> _Prepared:
        """The pooled hops (`pool_by_bin`), whitened, unhealthy microphones zeroed."""
        x, w, bins, healthy = pool_by_bin(snapshots)
        x /= np.maximum(np.abs(x), 1e-20)
        x[:, ~healthy] = 0
        return _Prepared(x, w, self.freqs[bins], int(healthy.sum()))

    def fit(self, snapshots: list[RoadSnapshot], az: float, el: float) -> RoadFit:
        """Could the horn heard in `snapshots` (hops near the event's reference time) at (az, el)
        be on the road behind the array, and where is it with the reflection accounted for? The
        front hypothesis is the best of the free field and the reflected model at each horn
        height (the reflected one kept unless clearly worse: a weak reflection must not make the
        front look worse than it is); the rear one uses the height the front chose. Both models
        are searched on the same pooled hops and only their difference is applied to (az, el):
        the reflection's bias, not the pooled position."""
        data = self._prepare(snapshots)
        h0 = self.focus.horn_height_m
        az_f, el_f, p_free = self._search(data, az, el, False, None, h0)
        fits = [(*self._search(data, az_f, el_f, False, self.ground, h), h) for h in _HORN_HEIGHTS_M]
        az_g, el_g, p_front, height = max(fits, key=lambda f: f[2])
        reflected = p_front >= _ABSENT_BELOW * p_free
        if not reflected:
            p_front, height = p_free, h0
        rear_ratio = None
        if self._rear_possible(az, el, height):
            _, _, p_rear = self._search(data, az_f, el_f, True, self.ground, height)
            rear_ratio = p_rear / max(p_front, 1e-30)
        ambiguous = rear_ratio is not None and rear_ratio >= self.behind_ratio
        if reflected:
            az, el = az + (az_g - az_f), el + (el_g - el_f)
        return RoadFit(bool(ambiguous), rear_ratio, float(az), float(el), bool(reflected))

    def could_be_behind(self, az: float, el: float) -> bool:
        """Can `fit` find (az, el) ambiguous at all: does its mirror meet the road behind the pole,
        within focus range, for any horn height the fit may choose? Most horns cannot be (the
        mirror of a direction above the tilt looks at the sky behind), and then a caller that
        needs only the flag skips the fit's searches."""
        heights = (self.focus.horn_height_m, *_HORN_HEIGHTS_M)
        return any(self._rear_possible(az, el, h) for h in heights)

    # ------------------------------------------------------------------

    def _rear_possible(self, az: float, el: float, height: float) -> bool:
        """Does the mirror of this direction meet the road behind the pole within focus range?"""
        u = direction_to_unit(az, el) * _MIRROR
        down = float(u @ self.ground.normal)
        drop = self.ground.height_m - height
        return down > 1e-6 and drop / down <= self.focus.max_m

    def _points(self, az: np.ndarray, el: np.ndarray, rear: bool, height: float) -> np.ndarray:
        """Focus points (G, 3) `height` above the road: in front, or behind (mirrored directions)."""
        u = direction_to_unit(az, el)
        if rear:
            u = u * _MIRROR
        down = u @ self.ground.normal
        drop = self.ground.height_m - height
        d = np.where(down > 1e-6, drop / np.maximum(down, 1e-6), self.focus.max_m)
        return u * np.clip(d, self.focus.min_m, self.focus.max_m)[:, None]

    def _search(
        self,
        data: _Prepared,
        az0: float,
        el0: float,
        rear: bool,
        ground: GroundImage | None,
        height: float,
    ) -> tuple[float, float, float]:
        """Best (az, el, power) near (az0, el0): 3×3 patches at 0.5° (re-centred while the maximum is
        on the edge), then at 0.15° with a parabola through the last patch."""
        az_c, el_c = az0, el0
        for h, n, moves in ((0.5, 3, 5), (0.15, 3, 3)):
            for _ in range(moves):
                off = (np.arange(n) - n // 2) * h
                oa, oe = np.meshgrid(off, off)
                points = self._points(az_c + oa.ravel(), el_c + oe.ravel(), rear, height)
                p = self._power(data, points, ground).reshape(n, n)
                r, c = np.unravel_index(int(np.argmax(p)), p.shape)
                az_c, el_c = az_c + off[c], el_c + off[r]
                if 0 < r < n - 1 and 0 < c < n - 1:
                    break
        if not (0 < r < n - 1 and 0 < c < n - 1):
            return az_c, el_c, float(p[r, c])
        da, de = parabolic_offset(p[r - 1 : r + 2, c - 1 : c + 2])  # centred on the maximum
        az_f, el_f = az_c + da * h, el_c + de * h
        p_f = float(
            self._power(data, self._points(np.array([az_f]), np.array([el_f]), rear, height), ground)[0]
        )
        if p_f < p[r, c]:
            return az_c, el_c, float(p[r, c])
        return az_f, el_f, p_f

    def _power(self, data: _Prepared, points: np.ndarray, ground: GroundImage | None) -> np.ndarray:
        """Steered power at each point (each microphone's own power removed), steering at the phase
        of the direct (+ reflected) wave."""
        a = point_steering(self.positions, points, data.freqs_hz, self.c, ground)  # (B, G, M)
        y = np.matmul(np.conj(a), data.x)  # (B, G, K)
        diag = (data.x.real**2 + data.x.imag**2).sum(axis=(1, 2))
        return (data.weights @ ((y.real**2 + y.imag**2).sum(-1) - diag[:, None])) / data.healthy**2
