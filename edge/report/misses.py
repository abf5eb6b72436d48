"""Why a truth horn was not reported: the tracks the pipeline followed near it, and their fates.

Why: the scores say how many horns were missed, not why. An engineer tuning the pipeline on a
recording needs to know, for each miss, whether the detector never localized anything there (too
weak, or hidden under a louder horn's combs), whether a track formed and never cleared the
threshold, or which rule dropped it as a siren, a buzzer, music or a stray — each calls for a
different change. The tracker names the fate of every track (`edge.analysis.detections.TrackFate`);
this module picks those near each horn that no event points at.
"""

from __future__ import annotations

from typing import Any

from edge.analysis.detections import TrackFate
from edge.geometry.camera import angle_deg
from edge.scene.model import Truth, TruthEvent
from edge.scoring import overlap

_NOT_A_RULE = ("undecided", "too_short", "event", "joined_earlier_tap")
NEAR_DEG = 5.0  # the scores' direction tolerance: farther, an event is no hit and a track no explanation


def missed_horns(
    events: list[dict[str, Any]],
    fates: list[TrackFate],
    truth: Truth,
    tolerance_s: float = 0.25,
    near_deg: float = NEAR_DEG,
) -> list[tuple[TruthEvent, list[TrackFate]]]:
    """Each truth horn that no event points at (overlapping it in time, with the scores'
    `tolerance_s`, and within `near_deg` of it), with the tracks within `near_deg` of it in its
    time, oldest first."""
    out = []
    for h in (e for e in truth.events if e.label == "horn"):
        if any(
            _near(e["t_start"], e["t_end"], e["azimuth_deg"], e["elevation_deg"], h, tolerance_s, near_deg)
            for e in events
        ):
            continue
        near = [
            f
            for f in fates
            if _near(f.t_start, f.t_end, f.azimuth_deg, f.elevation_deg, h, tolerance_s, near_deg)
        ]
        out.append((h, sorted(near, key=lambda f: f.t_start)))
    return out


def why_missed(fates: list[TrackFate]) -> str:
    """One word for a missed horn, from the fates of the tracks near it: the first rule that dropped
    one of them, else the first track's fate (`undecided`, `too_short`), else `no_track`."""
    rules = [f.fate for f in fates if f.fate not in _NOT_A_RULE]
    if rules:
        return rules[0]
    return fates[0].fate if fates else "no_track"


def explain_misses(events: list[dict[str, Any]], fates: list[TrackFate], truth: Truth) -> list[str]:
    """Lines naming each horn no event points at, and the tracks near it with their fates (see
    `missed_horns`). Empty when every horn was reported."""
    out: list[str] = []
    for h, near in missed_horns(events, fates, truth):
        az, el = h.direction_at(0.5 * (h.t_start + h.t_end))
        out.append(f"not reported: horn {h.t_start:.2f}-{h.t_end:.2f} s at az {az:.1f}° el {el:.1f}°")
        if not near:
            out.append(f"  no track within {NEAR_DEG:g}°: nothing was localized there (too weak, or masked)")
        for f in near:
            out.append(
                f"  track {f.t_start:.2f}-{f.t_end:.2f} s, {f.hops} hop(s) at az {f.azimuth_deg:.1f}° "
                f"el {f.elevation_deg:.1f}°, {f.f0_hz:.0f} Hz, best score {f.best_score:.2f}: {f.fate}"
            )
    return out


def _near(
    t0: float, t1: float, az: float, el: float, h: TruthEvent, tolerance_s: float, near_deg: float
) -> bool:
    """Does something heard from t0 to t1 toward (az, el) overlap horn `h` and lie near it then?"""
    if overlap(t0 - tolerance_s, t1 + tolerance_s, h.t_start, h.t_end) <= 0:
        return False
    t = min(max(0.5 * (t0 + t1), h.t_start), h.t_end)
    return angle_deg(az, el, *h.direction_at(t)) <= near_deg
