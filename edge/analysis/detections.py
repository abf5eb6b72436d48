"""What a track is made of, and the small helpers on it: one hop's localized sources
(`Detection`, `HopObservation`), the pitch log's entry for a hop (`Combs`), what became of a
track (`TrackFate`), a track's direction, and hop and pitch arithmetic its tests share.

Separate from the tracker (`edge.analysis.tracker`) because the analyzer and the reports use
this data without the tracker's rules, and the pitch and relation tests
(`edge.analysis.pitch_shape`, `edge.analysis.track_relations`) build on it: they import this
module, never the tracker or each other.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from edge.analysis.road import RoadSnapshot
from edge.geometry.camera import angle_deg

if TYPE_CHECKING:
    from edge.analysis.localizer import CoarseMap

VOICE = 0.03  # one voice's pitch over a track: Doppler and the pitch estimate's scatter
_PATH_RMS_DEG = 0.5  # a straight line that misses a track's hops by more cuts a curve


@dataclass(frozen=True)
class Detection:
    """One localized harmonic source in one hop."""

    azimuth_deg: float
    elevation_deg: float
    power: float
    contrast_db: float
    score: float
    f0_hz: tuple[float, ...]
    level_db: float | None
    distance_m: float | None
    sound_map: CoarseMap | None = None  # the map the hop's lobes were found on
    even_deficit_db: float = 0.0
    odd_only: bool = False  # the detector's flag: even partials missing or well below the odd ones
    road: RoadSnapshot | None = None  # this hop's data for the event's road fit (edge.analysis.road)
    # Found by a beam toward an open track (`Analyzer._look_again`): it continues the track but
    # never counts as its strong hop, so a track is decided only on what the comb search heard.
    looked: bool = False


@dataclass(frozen=True)
class HopObservation:
    t_start: float
    t_end: float
    t_decided: float
    detections: tuple[Detection, ...]
    wind: bool
    pitches: tuple[float, ...] = ()  # every comb the detector read this hop, localized or not
    square_pitches: tuple[float, ...] = ()  # of those, the square waves' (`HarmonicFamily.square`)


# A hop's time, the pitches of every comb read, the detections localized, and of those pitches
# the square waves' (`HopObservation.square_pitches`).
Combs = tuple[float, tuple[float, ...], tuple[Detection, ...], tuple[float, ...]]


@dataclass(frozen=True)
class TrackFate:
    """What became of one track: an event, or the rule that dropped it (see
    `edge.analysis.tracker.Tracker.on_fate`)."""

    t_start: float
    t_end: float
    hops: int
    azimuth_deg: float  # medians over the track's hops
    elevation_deg: float
    f0_hz: float
    best_score: float
    fate: str

    def to_json(self) -> dict[str, float | int | str]:
        return {
            "t_start": round(self.t_start, 4),
            "t_end": round(self.t_end, 4),
            "hops": self.hops,
            "azimuth_deg": round(self.azimuth_deg, 3),
            "elevation_deg": round(self.elevation_deg, 3),
            "f0_hz": round(self.f0_hz, 1),
            "best_score": round(self.best_score, 3),
            "fate": self.fate,
        }


def track_fate(hits: list[tuple[float, Detection]], t_start: float, t_end: float, fate: str) -> TrackFate:
    """The `TrackFate` of a track's hits."""
    dets = [d for _, d in hits]
    return TrackFate(
        t_start=t_start,
        t_end=t_end,
        hops=len(dets),
        azimuth_deg=float(np.median([d.azimuth_deg for d in dets])),
        elevation_deg=float(np.median([d.elevation_deg for d in dets])),
        f0_hz=float(np.median([d.f0_hz[0] for d in dets])),
        best_score=max(d.score for d in dets),
        fate=fate,
    )


def detection_angle(a: Detection, b: Detection) -> float:
    """Angle in degrees between two detections' directions."""
    return angle_deg(a.azimuth_deg, a.elevation_deg, b.azimuth_deg, b.elevation_deg)


def same_voice(a: float, b: float) -> bool:
    """Is pitch `a` pitch `b` within one voice's scatter (`VOICE`), or an octave of it (the comb
    search's usual misreading)?"""
    r = a / b
    return any(abs(r / m - 1) <= VOICE for m in (0.5, 1.0, 2.0))


def sum_db(a: float | None, b: float | None) -> float | None:
    """Level of two incoherent parts (either may be unknown)."""
    if a is None or b is None:
        return a if b is None else b
    return float(10 * np.log10(10 ** (a / 10) + 10 ** (b / 10)))


def track_direction(hits: list[tuple[float, Detection]]) -> tuple[float, float, float]:
    """(t_ref, azimuth, elevation): the track's position in the middle of the horn.

    The middle, because it is the one moment a reviewer (or an annotator) can name for a whole
    honk. The position is a power-weighted straight line through the hops, read at the middle,
    after dropping hops more than 2° from their median (a reflection or a sidelobe winning one
    hop). A vehicle passing under the pole sweeps tens of degrees on a curving path during a
    long honk, and a line over the whole track cuts the corner: when the line misses the hops by
    more than `_PATH_RMS_DEG` a parabola is tried, and while that misses too (but explains much of
    what the line missed: a curve, not scatter) only the hops nearest the middle are kept
    (halving, down to five). Only the hops the comb search placed, where there are any: the
    `Detection.looked` ones, heard at a lower contrast through a beam toward the track, hold it
    together, and placed it 0.1-0.2° worse at the 90th percentile on our own scenes.
    """
    hits = searched(hits)
    t_all = np.array([h[0] for h in hits])
    t_ref = 0.5 * float(t_all.min() + t_all.max())
    order = np.argsort(np.abs(t_all - t_ref), kind="stable")
    n = len(hits)
    while True:
        sel = sorted(order[:n].tolist())
        t, az, el, w = _hit_arrays([hits[i] for i in sel])
        keep = np.hypot(az - np.median(az), el - np.median(el)) <= 2.0
        if keep.sum() >= max(1, len(t) // 2):
            t, az, el, w = t[keep], az[keep], el[keep], w[keep]
        if len(t) < 3 or np.ptp(t) <= 0.1:
            return t_ref, float(np.average(az, weights=w)), float(np.average(el, weights=w))
        fits = []
        for degree in (1, 2) if len(t) >= 5 else (1,):
            ca = np.polyfit(t - t_ref, az, degree, w=np.sqrt(w))
            ce = np.polyfit(t - t_ref, el, degree, w=np.sqrt(w))
            miss = np.hypot(az - np.polyval(ca, t - t_ref), el - np.polyval(ce, t - t_ref))
            fits.append((float(np.sqrt(np.average(miss**2, weights=w))), float(ca[-1]), float(ce[-1])))
            if fits[-1][0] <= _PATH_RMS_DEG:
                return t_ref, fits[-1][1], fits[-1][2]  # the curve's value at t_ref
        # Misses a parabola hardly reduces are the hops' scatter (a small array, a weak horn),
        # not a curving path: the line through them all is the best estimate.
        if n <= 5 or len(fits) == 1 or fits[1][0] > 0.6 * fits[0][0]:
            return t_ref, fits[0][1], fits[0][2]
        n = max(5, n // 2)


def _hit_arrays(hits: list[tuple[float, Detection]]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(times, azimuths, elevations, weights = power × score) of hits."""
    return (
        np.array([h[0] for h in hits]),
        np.array([h[1].azimuth_deg for h in hits]),
        np.array([h[1].elevation_deg for h in hits]),
        np.array([max(h[1].power, 1e-12) * h[1].score for h in hits]),
    )


def hop_key(t: float) -> float:
    """A hop's time as a key: hits and the pitch log stamp a hop with the same centre, rounded
    so that sums computed on different paths still meet."""
    return round(t, 4)


def hop_step(hits: list[tuple[float, Detection]]) -> float:
    """The hop spacing of a track's hits (their closest two), 0 for a single hit: the trajectory
    tests tell consecutive hops from a gap by it."""
    return float(np.diff([t for t, _ in hits]).min()) if len(hits) > 1 else 0.0


def searched(hits: list[tuple[float, Detection]]) -> list[tuple[float, Detection]]:
    """The hops the comb search placed, or all of them when there are none: a track's
    `Detection.looked` hops hold it together but say nothing of where or what it is."""
    return [h for h in hits if not h[1].looked] or hits


def merge_close(dets: list[Detection], within_deg: float) -> list[Detection]:
    """One detection per source: the voices of a dual-tone horn localize to the same spot."""
    out: list[Detection] = []
    for d in sorted(dets, key=lambda d: -d.power):
        for i, o in enumerate(out):
            if detection_angle(o, d) <= within_deg:
                out[i] = replace(
                    o,
                    score=max(o.score, d.score),
                    f0_hz=o.f0_hz + d.f0_hz,
                    level_db=sum_db(o.level_db, d.level_db),
                    even_deficit_db=min(o.even_deficit_db, d.even_deficit_db),
                    odd_only=o.odd_only and d.odd_only,
                )
                break
        else:
            out.append(d)
    return out


def interval(a: float, b: float) -> float:
    """The ratio of the higher of two pitches to the lower (≥ 1)."""
    return max(a / b, b / a)


def pitch_clusters(hits: list[tuple[float, Detection]]) -> list[list[float]]:
    """Every pitch the track's hops read, sorted and grouped: each group spans at most 3 % above
    its lowest pitch (one voice, Doppler and the pitch estimate's scatter included)."""
    pitches = sorted(f for _, d in hits for f in d.f0_hz)
    clusters: list[list[float]] = []
    for f in pitches:
        if clusters and f <= clusters[-1][0] * (1 + VOICE):
            clusters[-1].append(f)
        else:
            clusters.append([f])
    return clusters
