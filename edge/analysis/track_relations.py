"""Tests that relate one track to another: the same horn heard from elsewhere (a stray hop or
a façade's reflection), a comb made of another source's partials, the same source sounding on
after a pause (a car stereo's tune), a track near where a siren was heard.

Separate from the tracker (`edge.analysis.tracker`) and from the tests on one track's pitch
(`edge.analysis.pitch_shape`): each takes two tracks' hits and says how they relate; which
tracks to compare is the tracker's business.
"""

from __future__ import annotations

import numpy as np

from edge.analysis.detections import (
    Detection,
    detection_angle,
    hop_key,
    hop_step,
    interval,
    pitch_clusters,
    searched,
    track_direction,
)
from edge.geometry.camera import angle_deg

SIREN_HOLD_S = 2.0  # a siren exempts its direction this long around the hops it was heard in
# Around a siren's hops: 5° (an emergency vehicle's horn is within 4° of its roof's siren 20 m away),
# growing 5°/s with the time to the nearest siren hop. Was 8° and 15°/s: with the siren read
# 0.4 s later, that covered 14° and dropped a car honking 8° from a wail (independent scene
# spiral64-11). A siren sounds on: its hops are rarely more than a few tenths of a second apart.
_SIREN_NEAR_DEG = 5.0
_SIREN_DRIFT = 5.0  # °/s: how far from its last heard direction a siren may have moved
_WITH_HOPS = 3  # hops of one track at the other's pitch then: one sound (`sounds_with`)
TOGETHER_S = 0.1  # two hops: a horn's voices begin together (an e-bike and a car 0.65 s apart were merged)
STRAY_HITS = 3  # hops a comb localized astray holds before its source's own hops take it back
_STRAY_SLACK_S = 0.2  # four hops: the astray hops may lead or trail the source's own track (0.15 s seen)
STRAY_PITCH = 0.02  # the same horn's pitch, hop to hop, onset settling aside
_ECHO_LAG_S = 0.1  # two hops: a reflection localized from then on; two cars honking at once start together
# Hop powers of one comb scatter by a dB or so: placed astray it may read a shade louder than at
# its source (0.4 dB, a scooter's comb sharing its bins with a siren's tone, own busy scene 60).
STRAY_LOUDER = 10 ** (1.0 / 10)
# A dual-tone horn's two voices (a minor third to a fourth apart: 1.19-1.33), which start together.
_DUAL_TONE = (1.15, 1.4)
_STRAY_MULTIPLES = (1, 2, 3)  # a comb of its partials read where its lower ones are notched
_STRAY_PITCH_WINDOW_S = 0.5  # the other track's pitches this close to a hop: its pitch then (see below)
_TUNE_GAP_S = 1.5  # music goes on: its notes follow one another (1.25 s apart seen)
_TUNE_NEAR_DEG = 6.0
_TUNE_DRIFT = 10.0  # °/s: a car 8 m from the pole sweeps ~15°/s (21°/s seen on its mirror image)
_TUNE_PITCH = 0.04  # below a semitone (6 %): a tune's notes are at least that far apart
_TUNE_MULTIPLES = (1 / 3, 1 / 2, 1.0, 2.0, 3.0)
_GHOST_NEAR_DEG = 10.0  # a comb of another source's partials localizes near it (4° seen)
_GHOST_RATIOS = (1 / 2, 2 / 3, 3 / 2, 2.0, 5 / 2, 3.0, 4.0)  # not 4/3, 5/4: dual-tone horn intervals


def tones(hits: list[tuple[float, Detection]]) -> list[float]:
    """A track's pitches: each voice (within 3 %) heard in at least a third of its hops, so a
    hop's stray comb is not one of them."""
    return [float(np.median(c)) for c in pitch_clusters(hits) if len(c) >= len(hits) / 3]


def distinct(pitches: list[float]) -> list[float]:
    """The pitches, one of each group that `related` joins."""
    out: list[float] = []
    for f in pitches:
        if not related([f], out):
            out.append(f)
    return out


def related(a: list[float], b: list[float]) -> bool:
    """Could two tracks' pitches be one horn's: a voice in common (within `_TUNE_PITCH`), or one
    read an octave or a twelfth off (a comb of its upper partials, or of every other one)?"""
    return any(abs(f * k / g - 1) <= _TUNE_PITCH for f in a for g in b for k in _TUNE_MULTIPLES)


def same_source(hits: list[tuple[float, Detection]], other: list[tuple[float, Detection]]) -> bool:
    """Could `other`, an earlier track, be the source of `hits` sounding on after a pause: its
    nearest hop at most `_TUNE_GAP_S` before their start, within `_TUNE_NEAR_DEG` plus
    `_TUNE_DRIFT` per second between the two (the vehicle moved)? Not a track still sounding
    when `hits` begin: one source does not sound from two places at once, and two horns honking
    together 13° apart, each track reaching the other's, made a "tune" of their four pitches."""
    return other[-1][0] < hits[0][0] and _reaches(hits[0], other, _TUNE_GAP_S, _TUNE_NEAR_DEG, _TUNE_DRIFT)


def _reaches(
    hit: tuple[float, Detection],
    other: list[tuple[float, Detection]],
    hold_s: float,
    near_deg: float,
    drift: float,
) -> bool:
    """Is `hit` within `near_deg` plus `drift` °/s of `other`'s hop nearest to it in time, which
    is at most `hold_s` away: could a source heard there have moved to here?"""
    t, d = hit
    ts, ds = min(other, key=lambda h: abs(h[0] - t))
    dt = abs(ts - t)
    return dt <= hold_s and detection_angle(d, ds) <= near_deg + drift * dt


def overtone_ghost(hits: list[tuple[float, Detection]], other: list[tuple[float, Detection]]) -> bool:
    """True when a track is a comb made of another, louder source's partials, not a horn of its own.

    A dual-tone horn's two voices share overtones (3 × 430 Hz ≈ 2 × 640 Hz …), so the detector may
    read a third "comb" off them; it holds only scraps of the source's energy, localizes off it
    and would put a fine on the neighbour. Such a track lives inside the louder track's time
    (≥ 80 % of its hops), is weaker, lies within `_GHOST_NEAR_DEG` of it (its energy is that
    source's: 4° off seen), and its pitch is a simple ratio of one of that track's voices. A car
    honking 21° away at 3/2 of a louder truck's pitch is a horn of its own (seen, and was lost).
    """
    times = {hop_key(t) for t, _ in other}
    if sum(hop_key(t) in times for t, _ in hits) < 0.8 * len(hits):
        return False
    if sum(d.power for _, d in hits) >= sum(d.power for _, d in other):
        return False
    _, az, el = track_direction(hits)
    _, az_o, el_o = track_direction(other)
    if angle_deg(az, el, az_o, el_o) > _GHOST_NEAR_DEG:
        return False
    f0 = float(np.median([f for _, d in hits for f in d.f0_hz[:1]]))
    voices = np.array([f for _, d in other for f in d.f0_hz])
    ratios = f0 / voices
    return bool(any(np.any(np.abs(ratios / r - 1) < 0.02) for r in _GHOST_RATIOS))


def heard_elsewhere(hits: list[tuple[float, Detection]], other: list[tuple[float, Detection]]) -> bool:
    """True when a track is another track's horn heard from somewhere else, not a horn of its own.

    Two ways: a horn's comb is now and then placed away from its source for a hop or two (its
    upper voice at the onset, before the lower one is heard, 6° off; a sidelobe winning while a
    beeper masks part of the comb, 38° off; a spot between the horn and a siren beside it); and a
    façade's reflection of the horn, which arrives later and weaker, is localized where the
    façade mirrors the vehicle (25–50° aside) in the hops where the direct sound is notched by
    the road's reflection. Either track lies within the other's time (give or take
    `_STRAY_SLACK_S`), is not louder per hop (beyond `STRAY_LOUDER`), and every hop's pitch
    is one the other track sounds within `_STRAY_PITCH_WINDOW_S` of that hop (within
    `STRAY_PITCH`; or twice or three times it, a comb of its upper partials that the detector
    reads where the road's reflection notches the lower ones). Around that moment, not anywhere
    in its track: a bus pulling away glides 8 % in 1.4 s (Doppler), and twice its pitch of a
    second earlier was a car's taps. Not closer either: the other track may read its own comb an
    octave or a twelfth up for a few hops (a bus's 304 Hz horn read as 913 Hz beside a stray read
    as 609 Hz, its 304 Hz 0.3 s later). A stray may also be the other voice of the other track's
    dual-tone horn (`_DUAL_TONE` from its pitch), begun with it (within `TOGETHER_S`): the
    lower voice of a car's 404/527 Hz horn placed 6° toward a hi-lo siren for its first two
    hops, a wrong fine there (own validation scene 20, 64 ch).
    A stray track is short (at most `STRAY_HITS` hits); a reflection starts at least
    `_ECHO_LAG_S` after the source.
    Two vehicles with the same horn honking together still make two events (the CLEAN-SC case),
    and so does a second one that starts first or ends apart; one that starts during the other's
    honk, at its pitch and quieter (or louder by less than 1 dB), is lost — a missed honk, not a
    fine at the wrong place — and so is a quieter tap of at most three hops, begun with the
    other's horn, at the interval of a dual-tone horn's second voice.
    Judged on the track's hops the comb search placed (`Detection.looked` ones only hold it
    together): one looked hop more made a stray of a music source's comb too long to be one.
    """
    hits = searched(hits)
    stray = len(hits) <= STRAY_HITS and len(hits) < len(other)
    if not (stray or hits[0][0] >= other[0][0] + _ECHO_LAG_S - 1e-6):
        return False
    t0, t1 = other[0][0] - _STRAY_SLACK_S, other[-1][0] + _STRAY_SLACK_S
    if not all(t0 <= t <= t1 for t, _ in hits):
        return False
    if np.mean([d.power for _, d in hits]) > STRAY_LOUDER * np.mean([d.power for _, d in other]):
        return False
    if stray and abs(hits[0][0] - other[0][0]) <= TOGETHER_S + 1e-6:
        tone = float(np.median([d.f0_hz[0] for _, d in other]))
        if all(_DUAL_TONE[0] <= interval(d.f0_hz[0], tone) <= _DUAL_TONE[1] for _, d in hits):
            return True  # the other voice of its dual-tone horn, placed astray

    def sounding(t: float) -> np.ndarray:  # the other track's voices around hop t, and their multiples
        return np.array(
            [
                f * k
                for s, d in other
                if abs(s - t) <= _STRAY_PITCH_WINDOW_S
                for f in d.f0_hz
                for k in _STRAY_MULTIPLES
            ]
        )

    return all(np.any(np.abs(sounding(t) / d.f0_hz[0] - 1) <= STRAY_PITCH) for t, d in hits)


def near(hits: list[tuple[float, Detection]], siren: list[tuple[float, Detection]]) -> bool:
    """Is any of `hits` within `_SIREN_NEAR_DEG` (plus `_SIREN_DRIFT` per second between the two,
    for the siren's motion between its hops) of where the siren was heard at the nearest time,
    at most `SIREN_HOLD_S` away?

    Why: a siren's steadier stretches — the slow top and bottom of a wail, an ambulance passing
    under the pole — make tracks too short to show its sweep, next to the tracks that do show
    it; and whatever sounds from an emergency vehicle while its siren runs, its horn included,
    is exempt. A car honking within a few degrees of a passing ambulance is lost with it: a
    missed honk, not a wrong fine."""
    return any(_reaches(h, siren, SIREN_HOLD_S, _SIREN_NEAR_DEG, _SIREN_DRIFT) for h in hits)


def sounds_with(hits: list[tuple[float, Detection]], other: list[tuple[float, Detection]]) -> bool:
    """Does `other` read one of `hits`' pitches (within `STRAY_PITCH`) in the same hop or the
    next one, in at least `_WITH_HOPS` of `hits`' hops: one sound heard from two places at once?

    Why: a siren 80 m away was localized first at its façade reflection, 30° from it, as its
    wail rose slowly into its top (704 to 723 Hz in 0.45 s: no sweep on its own), then at the
    siren itself as it turned and fell; the reflection's track, at the same pitch hop for hop,
    was an event inside the picture (independent fresh scene spiral64-68). A horn's pitch meets
    a sweeping siren's for a hop or so; held alike over several hops, the two are one sound."""
    step = hop_step(hits) or hop_step(other)
    if not step:
        return False
    matched = 0
    for t, d in hits:
        if any(
            abs(s - t) <= 1.5 * step and any(abs(f / g - 1) <= STRAY_PITCH for f in d.f0_hz for g in o.f0_hz)
            for s, o in other
        ):
            matched += 1
    return matched >= _WITH_HOPS
