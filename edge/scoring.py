"""Score replayed horn events against a scene's truth: the figures the field is judged by.

Matching is by time overlap (with `tolerance_s` of slack on both sides), because that is what a
reviewer checks first: did a horn sound when the device said so. Recall and precision are both
reported, separately (vendors quote "capture rate" as either). A double tap may be one event or
two on either side, so a truth horn counts as found when any estimate overlaps it. An estimate
counts as correct (precision) only when it also points at a horn sounding then: within
`direction_tolerance_deg` of it and closer to the honking vehicle than to every other vehicle.
A report at the right time but toward the wrong vehicle is the costliest error (a wrong fine), so
it must not be counted as a hit. Precision is also given over the evidence alone: the events the
node would turn into evidence (inside the picture, no suspending condition such as wind;
`edge.analysis.events.becomes_evidence`), since a fine can only come from those.

Angle: between the estimate's direction and the truth's direction at the estimate's reference
time (truth sources may move, `track_deg`). Attribution: the estimate is closer to the honking
vehicle than to every other vehicle present at that moment — the question a fine depends on.
Other vehicles come from `truth.json` "vehicles" (`[{"id", "track": [[t, az, el, dist], …]}]`, the
simulator's form, or "track_deg" rows of [t, az, el]) and
from the other truth horns sounding at the same time.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from edge.analysis.events import becomes_evidence
from edge.geometry.camera import angle_deg
from edge.scene.model import Truth, TruthEvent


@dataclass(frozen=True)
class Scores:
    truth_events: int
    estimated_events: int
    recall: float | None
    precision: float | None
    median_error_deg: float | None
    p90_error_deg: float | None
    attribution: float | None
    median_latency_s: float | None
    errors_deg: tuple[float, ...] = ()
    attributed: tuple[bool, ...] = ()
    latencies_s: tuple[float, ...] = ()
    true_positives: int = 0
    found: int = 0
    evidence_events: int = 0
    evidence_true_positives: int = 0

    @property
    def evidence_precision(self) -> float | None:
        """Precision over the events that would become evidence (see the module docstring)."""
        return self.evidence_true_positives / self.evidence_events if self.evidence_events else None

    def lines(self) -> list[str]:
        def f(v: float | None, fmt: str, unit: str = "") -> str:
            return "n/a" if v is None else format(v, fmt) + unit

        return [
            f"truth horns {self.truth_events}, reported events {self.estimated_events}",
            f"recall     {f(self.recall, '.3f')}  ({self.found}/{self.truth_events})",
            f"precision  {f(self.precision, '.3f')}  ({self.true_positives}/{self.estimated_events})",
            f"precision of evidence {f(self.evidence_precision, '.3f')}  "
            f"({self.evidence_true_positives}/{self.evidence_events} inside the picture, no suspending condition)",
            f"angular error median {f(self.median_error_deg, '.2f', '°')}  p90 {f(self.p90_error_deg, '.2f', '°')}",
            f"attribution {f(self.attribution, '.3f')}  ({sum(self.attributed)}/{len(self.attributed)})",
            f"detection latency median {f(self.median_latency_s, '.3f', ' s')}",
        ]


def overlap(a0: float, a1: float, b0: float, b1: float) -> float:
    """Seconds the intervals [a0, a1] and [b0, b1] share (negative: the gap between them)."""
    return min(a1, b1) - max(a0, b0)


def _vehicle_tracks(truth: Truth) -> list[tuple[Any, np.ndarray]]:
    out = []
    for v in truth.extra.get("vehicles", []) or []:
        if not isinstance(v, dict):
            continue
        tr = v.get("track_deg") or v.get("track")  # rows [t, az, el] or [t, az, el, distance]
        if tr:
            arr = np.asarray(tr, dtype=float)
            if arr.ndim == 2 and arr.shape[1] >= 3:
                out.append((v.get("id"), arr[:, :3]))
    return out


def _direction_on(track: np.ndarray, t: float) -> tuple[float, float] | None:
    if t < track[0, 0] - 0.5 or t > track[-1, 0] + 0.5:
        return None
    return float(np.interp(t, track[:, 0], track[:, 1])), float(np.interp(t, track[:, 0], track[:, 2]))


def score_events(
    events: list[dict[str, Any]],
    truth: Truth,
    tolerance_s: float = 0.25,
    direction_tolerance_deg: float = 5.0,
) -> Scores:
    """Scores of replay lines (dicts as written to EVENTS.jsonl) against `truth`."""
    horns = [e for e in truth.events if e.label == "horn"]
    est = list(events)
    vehicles = _vehicle_tracks(truth)

    def overlaps(e: dict[str, Any], h: TruthEvent) -> float:
        return overlap(e["t_start"] - tolerance_s, e["t_end"] + tolerance_s, h.t_start, h.t_end)

    def points_at(e: dict[str, Any], h: TruthEvent) -> bool:
        t = _t_ref(e)
        own = angle_deg(e["azimuth_deg"], e["elevation_deg"], *h.direction_at(t))
        if own > direction_tolerance_deg:
            return False
        others = _other_directions(h, t, horns, vehicles) or []
        return all(own < angle_deg(e["azimuth_deg"], e["elevation_deg"], *o) for o in others)

    correct = [any(overlaps(e, h) > 0 and points_at(e, h) for h in horns) for e in est]
    evidence = [becomes_evidence(e.get("inside_frame", True), e.get("conditions") or ()) for e in est]
    errors: list[float] = []
    attributed: list[bool] = []
    latencies: list[float] = []
    found = 0
    for h in horns:
        cands = [e for e in est if overlaps(e, h) > 0]
        if not cands:
            continue
        found += 1
        t_of = [_t_ref(e) for e in cands]
        errs = [
            angle_deg(e["azimuth_deg"], e["elevation_deg"], *h.direction_at(t))
            for e, t in zip(cands, t_of, strict=True)
        ]
        i = int(np.argmin(errs))
        e, t = cands[i], t_of[i]
        errors.append(errs[i])
        latencies.append(max(0.0, e["t_start"] + e["detected_after_s"] - h.t_start))
        others = _other_directions(h, t, horns, vehicles)
        if others is not None:
            d_own = errs[i]
            attributed.append(
                all(d_own < angle_deg(e["azimuth_deg"], e["elevation_deg"], *o) for o in others)
            )
    return summarise(
        len(horns),
        len(est),
        found,
        sum(correct),
        errors,
        attributed,
        latencies,
        evidence=(sum(evidence), sum(c and v for c, v in zip(correct, evidence, strict=True))),
    )


def _t_ref(e: dict[str, Any]) -> float:
    """When the estimate's direction holds: its reference time, else the middle of the event."""
    t = e.get("t_ref")
    return float(t) if t is not None else 0.5 * (e["t_start"] + e["t_end"])


def _other_directions(
    h: TruthEvent, t: float, horns: list[TruthEvent], vehicles: list[tuple[Any, np.ndarray]]
) -> list[tuple[float, float]] | None:
    """Directions, at time t, of every vehicle other than the honking one (None: nothing to compare)."""
    own_id = h.extra.get("vehicle_id", h.extra.get("vehicle"))
    own = h.direction_at(t)
    out = []
    for vid, track in vehicles:
        if own_id is not None and vid == own_id:
            continue
        d = _direction_on(track, t)
        if d is None or (own_id is None and angle_deg(*d, *own) < 0.05):
            continue
        out.append(d)
    for o in horns:
        if o is not h and overlap(o.t_start, o.t_end, h.t_start, h.t_end) > 0:
            d = o.direction_at(t)
            if angle_deg(*d, *own) >= 0.05:
                out.append(d)
    if not out and not vehicles:
        return None
    return out


def summary_table(rows: list[tuple[str, Scores]]) -> str:
    """A fixed-width table of scores per scene/profile, for benchmark scripts (`evid`: precision of
    the evidence alone)."""
    head = f"{'case':28} {'horns':>5} {'est':>4} {'recall':>7} {'prec':>6} {'evid':>6} {'med°':>6} {'p90°':>6} {'attr':>6} {'lat s':>6}"
    out = [head, "-" * len(head)]

    def f(v: float | None, w: int, p: int) -> str:
        return f"{'n/a':>{w}}" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:>{w}.{p}f}"

    for name, s in rows:
        out.append(
            f"{name[:28]:28} {s.truth_events:>5} {s.estimated_events:>4} {f(s.recall, 7, 3)} {f(s.precision, 6, 3)} "
            f"{f(s.evidence_precision, 6, 3)} "
            f"{f(s.median_error_deg, 6, 2)} {f(s.p90_error_deg, 6, 2)} {f(s.attribution, 6, 3)} {f(s.median_latency_s, 6, 3)}"
        )
    return "\n".join(out)


def summarise(
    truth_events: int,
    estimated_events: int,
    found: int,
    true_positives: int,
    errors_deg: Sequence[float],
    attributed: Sequence[bool],
    latencies_s: Sequence[float],
    evidence: tuple[int, int] = (0, 0),
) -> Scores:
    """Rates and medians from counts and per-horn figures: one definition for a scene and for a pool.
    `evidence`: (events that would become evidence, how many of them are correct)."""
    return Scores(
        truth_events=truth_events,
        estimated_events=estimated_events,
        recall=found / truth_events if truth_events else None,
        precision=true_positives / estimated_events if estimated_events else None,
        median_error_deg=float(np.median(errors_deg)) if len(errors_deg) else None,
        p90_error_deg=float(np.percentile(errors_deg, 90)) if len(errors_deg) else None,
        attribution=float(np.mean(attributed)) if len(attributed) else None,
        median_latency_s=float(np.median(latencies_s)) if len(latencies_s) else None,
        errors_deg=tuple(errors_deg),
        attributed=tuple(attributed),
        latencies_s=tuple(latencies_s),
        true_positives=true_positives,
        found=found,
        evidence_events=evidence[0],
        evidence_true_positives=evidence[1],
    )


def pool_scores(scores: Sequence[Scores]) -> Scores | None:
    """One `Scores` over several scenes: counts summed, per-horn figures pooled before medians."""
    if not scores:
        return None
    return summarise(
        sum(s.truth_events for s in scores),
        sum(s.estimated_events for s in scores),
        sum(s.found for s in scores),
        sum(s.true_positives for s in scores),
        [e for s in scores for e in s.errors_deg],
        [a for s in scores for a in s.attributed],
        [x for s in scores for x in s.latencies_s],
        evidence=(sum(s.evidence_events for s in scores), sum(s.evidence_true_positives for s in scores)),
    )
