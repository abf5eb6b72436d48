"""Tests on one track's pitch trajectory that tell a siren from a horn: a siren's tone sweeps,
turns at a wail's top or bottom, or takes turns with a second tone (hi-lo); a horn holds its
pitch, settling only at its onset and drifting by Doppler.

Separate from the tracker (`edge.analysis.tracker`): each reads one track's hits and the pitch
log (`edge.analysis.detections.Combs`), nothing of the tracker's state, so it can be read and
tuned on its own; the tracker decides when each test applies.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Sequence

import numpy as np

from edge.analysis.detections import (
    VOICE,
    Combs,
    Detection,
    detection_angle,
    hop_key,
    hop_step,
    interval,
    pitch_clusters,
)

_SETTLE = 0.04  # pitch range below which a track's slope is not read as a sweep
_SHORT_STEP = 0.05  # the same for a piece of two or three pitches
_ONSET_STEP = 0.08  # the largest rise of a horn's pitch at its onset (simulated: 6-7 %)
_HELD = 0.02  # a pitch held from one hop to the next (Doppler moves it < 1 %)
_ARC = 0.03  # rise-and-fall (or fall-and-rise) of a wail's top (bottom)
_HILO_RATIO = (1.12, 1.5)  # two-tone sirens: 1.2–1.4 (e.g. 450/600 Hz, 770/960 Hz)
HILO_RUN = 3  # hops (0.15 s) of one tone alone; a hi-lo siren holds each for 0.35–0.8 s
_HILO_TURN = 8  # hops (0.4 s): two such runs, one tone then the other, are a whole turn
_HILO_HOLD = 6  # hops (0.3 s): a tone held so, three times over, is a turn whatever else was read
_OCTAVES = (0.5, 1.0, 2.0)  # a comb read at its pitch, or an octave off (the comb search's slip)
_STEP_HOLD = 2  # hops of each tone when a track steps once from one to the other (`alternating_tones`)
CONTOUR_STEP = 0.06  # a wail moves 3–5 % a hop; more is another source's comb
_SWEEP_STEP = 0.01  # a pitch step a hop that only a sweep keeps up
_SWEEP_STEPS = 3  # such steps in a row (the same way): a sweep under way
_FOLDED_HOPS = 3  # hops of a sweep on each side of a track that lies on it (`sweeps_through`)
HANDOVER_GAP = 2  # hops between one tone of a hi-lo siren stopping and the other starting
_HELD_RATIOS = (1 / 3, 1 / 2, 2 / 3, 1.0, 3 / 2, 2.0, 3.0)  # one voice, or a comb of its partials
_HELD_MIN_HOPS = 4  # `holds_a_pitch`: fewer, a tap's pitch may not have settled


def pitch_trajectory(
    hits: list[tuple[float, Detection]], seed: float, log: Iterable[Combs] = ()
) -> tuple[np.ndarray, np.ndarray]:
    """(times, pitches) of the track's pitch trajectory.

    Seeded by the pitch heard at confirmation, it follows, hop by hop outwards from the hop that
    pitch came from (forwards, then backwards), the closest pitch within 10 % of the last one
    followed (octave slips of the comb search folded back), so a sweep is followed while the
    second voice of a dual-tone horn (a major third away) or a stray comb is not. Outwards from
    the seed, not onwards from the first hop: a first hop 9 % off the seed used to become the
    reference that every later pitch of a sweep was then too far from, and the wail passed.

    `log`, the detector's combs of each hop (the pitch log): where a hop's detection carries
    another pitch but the detector read the one followed there too, held (`_HELD`), the voice
    followed goes on. Why: a real dual-tone horn whose voices are close (401 and 431 Hz, 7 %: a
    recorded car horn, scorched3d's carhorn4) had one voice or the other localized per hop while
    both were read in every hop; followed from one to the other, its pitch rose and fell by 7 %
    hop after hop, and the horn was dropped as a wail's top. A siren sounds one tone at a time.
    """
    read = {hop_key(t): pitches for t, pitches, _, _ in log}
    start = next((i for i, (_, d) in enumerate(hits) if seed in d.f0_hz), 0)
    forward = _follow(hits[start:], seed, read)
    backward = _follow(hits[start::-1], seed, read)[1:][::-1]  # the seed's hop is in `forward`
    pairs = backward + forward
    return np.array([w for w, _ in pairs]), np.array([f for _, f in pairs])


def _follow(
    hits: list[tuple[float, Detection]], seed: float, read: dict[float, tuple[float, ...]]
) -> list[tuple[float, float]]:
    """(time, pitch) of the hops in `hits` order whose closest pitch (or its octave) lies within
    10 % of the last pitch followed, starting from `seed`; a pitch read in the hop (`read`, by
    `hop_key`) within `_HELD` of the last one is preferred to a farther localized one."""
    out: list[tuple[float, float]] = []
    last = seed
    for when, d in hits:
        cands = np.array([f * k for f in d.f0_hz for k in _OCTAVES])
        rel = np.abs(cands / last - 1)
        i = int(np.argmin(rel))
        if rel[i] > _HELD:
            held = np.array([f for f in read.get(hop_key(when), ()) if abs(f / last - 1) <= _HELD])
            if held.size:
                cands, rel = held, np.abs(held / last - 1)
                i = int(np.argmin(rel))
        if rel[i] <= 0.10:
            last = float(cands[i])
            out.append((when, last))
    return out


def contour(
    hops: list[Combs],
    start: float,
    at: Detection | None,
    gate_deg: float,
    prior: list[float] | None = None,
) -> list[float]:
    """Pitches followed from `start` through consecutive `hops` (nearest first): the closest comb
    within `CONTOUR_STEP` of the last one, until a hop has none or that comb was localized more
    than `gate_deg` away from `at`.

    No octave folding, but for one case. Folded freely, a wail an octave above a car horn's
    steady pitch would lead the horn's contour into its sweep. A sweep already under way, though,
    goes on through an octave slip of the comb search (`_octave_slip`; `prior` holds the pitches
    before `start`, in the same direction of travel): a wail rising 464, 477, 490, 503 Hz was
    read at 1032 Hz next, its octave-low comb having lost its partials, and the two hops of it
    that were localized passed as a horn.
    """
    out: list[float] = []
    last = start
    for _, pitches, dets, _ in hops:
        best = min(pitches, key=lambda f: abs(f / last - 1), default=None)
        read = best
        if (best is None or abs(best / last - 1) > CONTOUR_STEP) and prior is not None:
            read, best = _octave_slip(pitches, [*prior, *out]) or (None, None)
        if best is None or abs(best / last - 1) > CONTOUR_STEP:
            break
        if at is not None and any(read in d.f0_hz and detection_angle(d, at) > gate_deg for d in dets):
            break
        out.append(best)
        last = best
    return out


def _octave_slip(pitches: tuple[float, ...], path: list[float]) -> tuple[float, float] | None:
    """(the comb as read, its pitch folded an octave into the path's) that carries on a sweep under
    way along `path`, or None when `path` is no sweep or no folded comb carries it on.

    A sweep under way: the last `_SWEEP_STEPS` steps of `path` all move the same way by at least
    `_SWEEP_STEP`. A horn's pitch never moves so: its onset settles in at most two such steps, and
    Doppler moves it by under 0.6 % a hop.
    """
    tail = path[-_SWEEP_STEPS - 1 :]
    if len(tail) <= _SWEEP_STEPS:
        return None
    steps = [b / a - 1 for a, b in itertools.pairwise(tail)]
    up = all(s >= _SWEEP_STEP for s in steps)
    if not up and not all(s <= -_SWEEP_STEP for s in steps):
        return None
    last = path[-1]
    on = [(f, f * k) for f in pitches for k in (0.5, 2.0) if (f * k > last) == up]
    best = min(on, key=lambda c: abs(c[1] / last - 1), default=None)
    return best if best is not None and abs(best[1] / last - 1) <= CONTOUR_STEP else None


def sweeps_through(traj: Sequence[float], before: list[Combs], after: list[Combs]) -> bool:
    """Is the track a piece of a sweep the detector read at one octave or the other: its pitch
    moving the same way by at least `_SWEEP_STEP` every hop, and the combs of the hops around it
    (each at its pitch or an octave off) carrying that sweep on, the same way, through at least
    `_FOLDED_HOPS` hops before it (nearest first in `before`) and as many after it?

    Why: a square-wave siren's comb slips an octave from hop to hop as its odd partials come and
    go, so `contour`, which folds octaves only once a sweep is under way, cannot follow it out of
    a track of two hops. A wail rising 4 % a hop, read 393, 818, 435, 883, 457, 958, 987 Hz, made
    a two-hop track (435 and 883 Hz) that passed as a horn tap 1° from the emergency vehicle
    (independent fresh scene spiral64-50). A horn's pitch moves by at most two such steps at its
    onset, never through hops on both sides of it, and a track of a held pitch has a step
    under `_SWEEP_STEP`.
    """
    steps = [b / a - 1 for a, b in itertools.pairwise(traj)]
    for up in (True, False):
        if steps and all(s >= _SWEEP_STEP if up else s <= -_SWEEP_STEP for s in steps):
            ahead = _folded_run(before, traj[0], not up)
            behind = _folded_run(after, traj[-1], up)
            if min(ahead, behind) >= _FOLDED_HOPS:
                return True
    return False


def _folded_run(hops: list[Combs], start: float, up: bool) -> int:
    """How many of `hops`, in order, carry a sweep on from `start`: each with a comb whose pitch,
    or its octave, moves from the last one the way `up` says, by `_SWEEP_STEP` to `CONTOUR_STEP`."""
    n, last = 0, start
    for _, pitches, _, _ in hops:
        moves = [f * k / last - 1 for f in pitches for k in _OCTAVES]
        on = [m for m in moves if _SWEEP_STEP <= (m if up else -m) <= CONTOUR_STEP]
        if not on:
            break
        last *= 1 + min(on, key=abs)
        n += 1
    return n


def run_near(hops: list[Combs], start: int, fits: Callable[[float], bool]) -> tuple[float, int, int] | None:
    """A run of at least `HILO_RUN` hops of a tone that `fits`, beginning within `HANDOVER_GAP`
    hops of `hops[start]` (nearest first) and followed by `contour`: (its farthest pitch, the
    index of its first hop, the index just past it), or None."""
    for j in range(start, min(start + HANDOVER_GAP + 1, len(hops))):
        f = next((f for f in hops[j][1] if fits(f)), None)
        if f is not None:
            run = [f, *contour(hops[j + 1 :], f, None, 0.0)]
            return (run[-1], j, j + len(run)) if len(run) >= HILO_RUN else None
    return None


def siren_like(
    hits: list[tuple[float, Detection]],
    seed: float,
    max_glide: float,
    max_rate: float,
    arc: bool = True,
    log: Iterable[Combs] = (),
) -> bool:
    """A siren sweeps, a horn holds its pitch.

    Two tests on the pitch trajectory (from `seed`, the pitch at confirmation): its whole range (a
    long wail), and its rate (a short piece of a wail the tracker saw on its own: 5 % in 0.2 s is
    25 %/s). A horn moves only by Doppler, at most v²/(d·c) ≈ 11 %/s for a vehicle at 15 m/s
    passing 6 m under the array. The rate test needs a 4 % range: a horn's diaphragm settling at
    the onset moves its pitch by a few per cent in the first hops (305 → 325 Hz over 0.15 s on a
    simulated car horn), a wail's piece by more. A piece of two or three pitches needs a 5 % step:
    the top or bottom of a wail slows down enough to pass the detector in two hops (531 → 484 Hz
    in 0.15 s), unless three pitches rise once, by at most `_ONSET_STEP`, into a held one: a
    tap's onset, not a sweep. And a pitch that rises and falls again by `_ARC` or more, after
    the first hop, is a wail's top or bottom (728 → 794 → 743 Hz in 1 s: one slope through it is
    flat); a horn's pitch only settles at the onset and then drifts one way, by Doppler (`arc`
    False skips this test, for the taps of a double honk joined together).
    """
    times, traj = pitch_trajectory(hits, seed, log)
    if len(traj) < 2:
        return False
    spread = (traj.max() - traj.min()) / float(np.median(traj))
    if spread > max_glide:
        return True
    if len(traj) < 4:
        # A short tap's onset settles too (319 → 342 → 347 Hz on a dual-tone car tap): one rise of
        # at most `_ONSET_STEP` into a held pitch is no sweep; a wail's piece keeps moving.
        onset = (
            len(traj) == 3
            and 1 < traj[1] / traj[0] <= 1 + _ONSET_STEP
            and abs(traj[2] / traj[1] - 1) <= _HELD
        )
        return spread >= _SHORT_STEP and abs(_rate(times, traj)) > max_rate and not onset
    if spread >= _SETTLE and abs(_rate(times, traj)) > max_rate:
        # Unless the slope is the onset's: the first one or two pitches rising into a held rest
        # (a dual-tone car horn at 385 → 393 → 399 → 397 → 403 → 401 Hz), where a sweep goes on.
        k = 1 + int(traj[1] < traj[2] and len(traj) >= 5)  # settling hops: at most two
        settled = traj[0] < traj[1] and abs(_rate(times[k:], traj[k:])) <= max_rate / 2
        if not settled and not _rises_into_rest(traj):
            return True
    if not arc:
        return False
    times, traj = _without_blips(hits, times, traj)
    return _arc(_past_onsets(hits, times, traj)) >= _ARC


def _rises_into_rest(traj: np.ndarray) -> bool:
    """Does the pitch rise by at most `_ONSET_STEP`, never falling back by more than `_HELD` a
    hop, into a rest held within `_HELD` over the track's last hops, at least three and half of
    them?

    Why: an air horn's reed settles slowly. The independent simulator's air horns start 5-12 %
    flat and settle with a time constant of 60-150 ms, so the pitch still rises in the third and
    fourth hop, past the two settling hops `siren_like` allows: a truck 12 m away (90 dB(A) at
    the array) read 310, 318, 317, 328, then 330-332 Hz for four hops, and was dropped as a
    siren (independent scene spiral64-35). A wail's rise does not stop so soon after so small a
    rise: it goes on past 8 %, and where it turns at its top it falls again (the arc test).
    """
    rest = 1
    while rest < len(traj) and abs(traj[-rest - 1] / traj[-1] - 1) <= _HELD:
        rest += 1
    rise = traj[: len(traj) - rest + 1]
    return (
        rest >= 3
        and 2 * rest >= len(traj)
        and 1 < traj[-1] / traj[0] <= 1 + _ONSET_STEP
        and all(b / a - 1 >= -_HELD for a, b in itertools.pairwise(rise))
    )


def _without_blips(
    hits: list[tuple[float, Detection]], times: np.ndarray, traj: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The pitch trajectory without its blips: a pitch between two hops next to it (one hop on
    either side) that agree with each other within `_HELD` while it departs from both by more.

    Why: a siren's pitch moves on from hop to hop, and at a wail's top or bottom, where the arc
    test looks, it moves slowest; a pitch that leaves for one hop and comes straight back is a
    misread comb. A dual-tone car horn read at its upper voice's octave (633 Hz, held five
    hops) once took the other voice's misread octave (656 Hz, 3.5 % up) in the hop between
    two at 636 and 634 Hz; that one hop made an arc, and the horn, placed within 0.5° of the
    car, was dropped as a wail's top (independent fresh scene spiral64-20)."""
    if len(traj) < 3:
        return times, traj
    step = hop_step(hits)
    keep = np.ones(len(traj), bool)
    for i in range(1, len(traj) - 1):
        a, b, c = traj[i - 1], traj[i], traj[i + 1]
        adjacent = times[i] - times[i - 1] <= 1.5 * step and times[i + 1] - times[i] <= 1.5 * step
        if adjacent and abs(c / a - 1) <= _HELD and min(abs(b / a - 1), abs(b / c - 1)) > _HELD:
            keep[i] = False
    return times[keep], traj[keep]


def holds_a_pitch(hits: list[tuple[float, Detection]]) -> bool:
    """Do two consecutive hops of the track read one pitch (within `VOICE`), or the one's comb
    at a simple multiple of the other's (`_HELD_RATIOS`)? Also True for a track of fewer than
    `_HELD_MIN_HOPS` hops: a tap's pitch may not settle in its two or three.

    Why: a horn holds its pitch, so hop after hop the comb search reads its voice again, or a
    comb of its partials (at 2 or 3/2 times its pitch). A car stereo's notes change every hop or
    two: a car playing music while it passed under the pole, 7 m away, read 203, 194, 205 and
    264 Hz in four hops and made an event (independent scene spiral64-25), the tune rule
    (`edge.analysis.tracker.Tracker._melody`) having had no earlier notes to go on (its car
    swept 40° in a second). Of the other 110 events on the independent and recorded-horn
    scenes, every one held a pitch so. Not on taps: a bus's 233/282 Hz tap read 699 and 464 Hz,
    then 562 Hz, in its two hops, and three taps would have been cut from their honks' events."""
    if len(hits) < _HELD_MIN_HOPS:
        return True
    step = hop_step(hits)
    pairs = [(a, b) for a, b in itertools.pairwise(hits) if b[0] - a[0] <= 1.5 * step]
    return any(
        abs(f / (g * k) - 1) <= VOICE
        for a, b in pairs
        for f in a[1].f0_hz
        for g in b[1].f0_hz
        for k in _HELD_RATIOS
    )


def _past_onsets(hits: list[tuple[float, Detection]], times: np.ndarray, traj: np.ndarray) -> np.ndarray:
    """The pitch trajectory without the first pitch of each stretch of the track: its first hop,
    and the first after each gap of two hops or more (a new tap, bridged by the hangover).

    Why: a horn's pitch settles anew at every onset, so a triple tap held in one track falls and
    rises like a wail's bottom: a truck's air horn (279-287 Hz, two taps 0.1 s apart in one
    track, the second's first pitch 277 Hz) was dropped as a siren, and its first tap with it
    (independent scene spiral32-18). A wail's top or bottom lasts a second: one pitch fewer does
    not hide it."""
    t_hits = np.array([t for t, _ in hits])
    step = hop_step(hits)
    starts = [t_hits[0], *t_hits[1:][np.diff(t_hits) > 2.5 * step]] if step > 0 else [t_hits[0]]
    drop = {int(np.searchsorted(times, t0 - 1e-9)) for t0 in starts}
    return np.array([f for i, f in enumerate(traj) if i not in drop])


def alternating_tones(hits: list[tuple[float, Detection]], log: Sequence[Combs]) -> bool:
    """A two-tone (hi-lo) siren: two pitches a ratio of `_HILO_RATIO` apart that take turns —
    runs of at least `HILO_RUN` hops with only one of them, at least three runs (lo-hi-lo), or
    two runs of at least `_HILO_TURN` hops each (one whole turn: 1141 Hz for 0.7 s, then 825 Hz
    for 0.75 s, the siren's other turns not localized) — and that sound together in at most a
    quarter of the hops. A dual-tone horn sounds both of its voices at once, and a horn never
    changes its pitch between taps; each tone alone is as steady as a horn, so the glide tests
    cannot see this siren, and with a sawtooth drive (even partials present) neither can the
    even-partial test.

    `log`: the pitch log, every comb the detector read in each hop. A hop with one tone and a
    third comb says nothing about the other tone: the detector reads two combs a hop, and the
    third one may have taken the other tone's place. Such hops are left out of the runs. Why: a
    car's dual-tone horn (317 and 389 Hz) beside a hi-lo siren elsewhere (586/770 Hz) had one
    voice read per hop, the siren's comb taking the other slot, and "took turns" for 1.4 s.

    A tone read an octave off in a hop (the comb search's slip) is still that tone, and two tones
    a hi-lo interval apart but for an octave are a pair. Why: a 688/938 Hz siren 30 m away had
    its high tone read as 469 Hz in five hops of a turn and as 940 Hz in the sixth, between two
    turns of 688 Hz; counted apart, that turn was five hops, and the siren a 1.6 s event 0.3°
    from the emergency vehicle (independent fresh scene spiral64-47).
    """
    clusters = pitch_clusters(hits)
    if len(clusters) < 2:
        return False
    big = sorted(clusters, key=len, reverse=True)[:2]
    lo, hi = sorted(float(np.median(c)) for c in big)
    if not (hilo_apart(hi, lo) or hilo_apart(2 * lo, hi)):  # one tone may be read an octave low
        return False

    def at(f: float, tone: float) -> bool:  # the tone, or its comb read an octave off
        return any(abs(f / (k * tone) - 1) <= VOICE for k in _OCTAVES)

    def either(f: float) -> bool:  # one of the two tones, or a partial of one read as a comb
        return any(abs(f / (k * tone) - 1) <= VOICE for tone in (lo, hi) for k in (*_OCTAVES, 3))

    read = {hop_key(t): pitches for t, pitches, _, _ in log}
    labels, held = [], []
    for t, d in hits:
        has_lo = any(at(f, lo) for f in d.f0_hz)
        has_hi = any(at(f, hi) for f in d.f0_hz)
        if not (has_lo or has_hi):
            continue
        label = "both" if has_lo and has_hi else ("lo" if has_lo else "hi")
        held.append(label)
        third = any(not either(f) for f in read.get(hop_key(t), ()))
        if third and not (has_lo and has_hi):
            continue
        labels.append(label)
    # Each tone held for a third of a second, three times over, takes turns whatever else the
    # detector read meanwhile: a dual-tone horn's voices, read one at a time because a third
    # source took the other's slot, switch within a quarter of a second (the 317/389 Hz car
    # above: runs of 4-5 hops). Why: a van honking beside an emergency vehicle took the second
    # slot in most hops of the siren's 930/664 Hz turns (0.5 s each), which were then left out
    # and the siren became a 2 s event (independent scene spiral32-16).
    turns = _one_tone_runs(held)
    if sum(n >= _HILO_HOLD for n in turns) >= 3:
        return True
    # One tone, then the other, every hop one of them and none read with both: a siren's tone
    # stepping. Why: a wail 59 m away read as 220 Hz for two hops, then as 259 Hz for three, in
    # one 0.3 s track, passed every sweep test (each piece holds its pitch) and was dropped only
    # because a siren had been heard there before (independent scene spiral64-20); a dual-tone
    # horn's voices start together, and the detector reads both in most of its hops.
    if len(held) == len(hits) and len(turns) == 2 and min(turns) >= _STEP_HOLD:
        t0, t1 = hits[0][0] - 1e-6, hits[-1][0] + 1e-6
        spans = [pitches for t, pitches, _, _ in log if t0 <= t <= t1]
        if not any(any(at(f, lo) for f in ps) and any(at(f, hi) for f in ps) for ps in spans):
            return True
    runs = _one_tone_runs(labels)
    return sum(n >= HILO_RUN for n in runs) >= 3 or sum(n >= _HILO_TURN for n in runs) >= 2


def _one_tone_runs(labels: list[str]) -> list[int]:
    """Lengths of the runs of one tone alone ("lo" or "hi") in a track's hop labels, hops with
    both skipped; none where the two sound together in more than a quarter of the hops (a
    dual-tone horn, not a siren taking turns)."""
    if not labels or labels.count("both") > 0.25 * len(labels):
        return []
    return [len(list(g)) for _, g in itertools.groupby(x for x in labels if x != "both")]


def _arc(pitches: np.ndarray) -> float:
    """How far a pitch trajectory rises and falls again (or falls and rises): the smaller of the
    two relative excursions on either side of its highest (or lowest) pitch, 0 for a monotonic one."""
    best = 0.0
    for k in (int(np.argmax(pitches)), int(np.argmin(pitches))):
        if 0 < k < len(pitches) - 1:
            left = abs(pitches[k] - pitches[:k]).max()
            right = abs(pitches[k] - pitches[k + 1 :]).max()
            best = max(best, min(left, right) / float(pitches[k]))
    return best


def _rate(times: np.ndarray, pitches: np.ndarray) -> float:
    """Relative pitch rate (per second): the Theil–Sen slope over the median pitch."""
    i, j = np.triu_indices(len(pitches), 1)
    dt = times[j] - times[i]
    ok = dt > 0
    return float(np.median((pitches[j] - pitches[i])[ok] / dt[ok])) / float(np.median(pitches))


def hilo_apart(a: float, b: float) -> bool:
    """Are two pitches as far apart as a hi-lo siren's two tones (`_HILO_RATIO`)?"""
    return _HILO_RATIO[0] <= interval(a, b) <= _HILO_RATIO[1]


def hops_reading(hops: Iterable[Combs], f: float, tol: float = CONTOUR_STEP) -> int:
    """How many of `hops` the detector read a comb in within `tol` of pitch `f`."""
    return sum(any(abs(g / f - 1) <= tol for g in c[1]) for c in hops)


def slots_taken(c: Combs) -> bool:
    """Were both combs the detector read in hop `c` sources it localized? Then a weaker tone
    could not have been read there: the detector keeps two combs a hop, the strongest, and a
    comb too weak to be localized would have yielded its place."""
    localized = {f for d in c[2] for f in d.f0_hz}
    return len(c[1]) >= 2 and all(f in localized for f in c[1])
