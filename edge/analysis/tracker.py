"""Hops → horn events: one track per source, hysteresis, minimum duration, double-tap merge.

A track starts at a hop above the lower release threshold, and its horn event is decided (and
`detected_after_s` fixed) once it holds `confirm_hops` hops, at least one of them above the
detector threshold: a 0.1–0.15 s tap clears the threshold in one hop only, its onset or tail in
the next. Beside a louder horn elsewhere, a tap may show in that one hop only (the louder
horn's voices take the comb search's places around it): two such taps at one place and pitch
make an event (`Tracker._tap_beside_horn`). A track stays open while hops stay above the
release threshold (hysteresis) with up to `hangover_hops` misses, and it closes after that.
Tracks are kept per direction so two horns at once make two events, and a vehicle that moves
while honking stays one track (the gate follows the last position). A second blast from the
same direction within `merge_gap_s` (a double or triple tap) joins the first event: one honk,
one fine; so does one read under the threshold there at the honk's pitch, which alone would be
no event (`Tracker._join_weak_tap`). A track whose pitch glides, rises and falls, or steps like a
siren's (and taps that do so together), whose pitch lies on a sweep the detector read in the hops
around it (through an octave slip of its comb search once the sweep is under way, or through slips
hop after hop where the track moves with the sweep), whose two pitches take turns like a hi-lo
siren's (one of them perhaps read an octave off), or step once from one to the other without ever
being read together (or whose one pitch takes its turn between another tone's unlocalized turns),
or whose even partials stay well below the odd ones over the whole track, or are missing in most of
its hops (a square-wave driven siren or buzzer; unless it holds its pitch for a second in the small
horns' range: a scooter's buzzing horn; or, there, sounds alone, with neither a hi-lo siren's other
tone nor its own tone again within a second: an e-bike's buzzer horn, decided a second after it
ends), is dropped: a siren is never evidence. So
is a track whose odd partials stay well below its even ones while its octave up is above the
horns' range (a siren's top read an octave low). Where a siren was heard, sweeping or so,
what sounds from its direction within two seconds goes with it (its steadier stretches, and the
emergency vehicle's own horn, which is exempt), and so does a track that sounded at its pitch hop
for hop from elsewhere (its reflection), held back from release while the two overlap. A steady track from where a car stereo has been
playing a tune (`Tracker._melody`) is dropped too, and so is a track of four hops or more
that never reads one pitch in two hops running (`holds_a_pitch`): a car stereo's changing
notes. The sweep tests that look past a track's end are run again when it is released, with
more of what followed it known. A track at another track's pitch, inside its time and not
louder (beyond a dB), is that sound heard from elsewhere, not an event: a few hops localized
astray (also of a track found no horn), or a façade's later reflection; and a track that
takes over, at its pitch, from where the sound began elsewhere (`Tracker._later_arrival`): a
façade's reflection outweighing the direct sound for a while, never at the onset. So is a
short tap whose tone, in a hop between its own, was placed elsewhere and louder: its place is
not known; and a track at the pitch of a square wave held just before it: that tone, its even
places filled by another source an octave up.

What became of each track (an event, or the rule above that dropped it) is told to an optional
observer (`Tracker.on_fate`, `TrackFate`): that is how `honk-edge replay` explains a missed horn.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np

from edge.analysis.config import TrackerConfig
from edge.analysis.detections import (
    VOICE,
    Combs,
    Detection,
    HopObservation,
    TrackFate,
    detection_angle,
    hop_key,
    interval,
    merge_close,
    track_fate,
)
from edge.analysis.pitch_shape import (
    CONTOUR_STEP,
    HANDOVER_GAP,
    HILO_RUN,
    alternating_tones,
    contour,
    hilo_apart,
    holds_a_pitch,
    hops_reading,
    pitch_trajectory,
    run_near,
    siren_like,
    slots_taken,
    sweeps_through,
)
from edge.analysis.track_relations import (
    SIREN_HOLD_S,
    STRAY_HITS,
    STRAY_LOUDER,
    STRAY_PITCH,
    TOGETHER_S,
    distinct,
    heard_elsewhere,
    near,
    overtone_ghost,
    related,
    same_source,
    sounds_with,
    tones,
)

_ONSET_HOPS = 2  # hops (0.1 s) an echo may take to outweigh the direct sound after the onset
# A dropped track's hops, for `heard_elsewhere` (strays lie within
# `edge.analysis.track_relations._STRAY_SLACK_S`).
_DROPPED_HOLD_S = 1.0
_CONTOUR_HOPS = 60  # 3 s of every hop's combs, for `Tracker._swept`
_CONTOUR_MIN_HOPS = 4  # 0.2 s beyond the track: a sustained sweep, not scraps of another comb
# Hops of a square-wave honk, its taps together: a single beep of two hops (0.1 s) is never a
# horn on its own, but an e-bike's double press of two such taps is (at least 0.15 s was asked of
# each tap before, which missed such double presses on the independent scenes).
_LONE_MIN_HOPS = 3
_SOUNDS_THROUGH = 0.75  # of a track's hops: a tone read in so many sounds on beside it (0.25 let sirens by)
_LONE_MAX_TAPS = 3  # an e-bike rider presses at most three times in a honk; a beeper beeps on
_HELD_ON = 2 / 3  # of the hops: a tone held on (a beeper beeps half the time at most)
_LONE_WAIT_S = 1.0  # around a square-wave track: a siren's other turn or a beeper's next beep
_TURN_TONE = 0.04  # a hi-lo tone's pitch from one turn to its next (Doppler of a slow approach)
_SQUARE_BEFORE = 3  # hops (0.15 s) of a square wave held at a track's pitch just before it
_TUNE_HOLD_S = 6.0  # how far back a tune is followed: music changes chord every 1-2 s
_TUNE_TRACKS = 4
_TUNE_PITCHES = 4  # one horn sounds at most three (an air horn's chord)


@dataclass
class Track:
    """A source followed across hops; becomes a `ClosedTrack` when it ends."""

    hits: list[tuple[float, Detection]] = field(default_factory=list)
    t_start: float = 0.0
    t_end: float = 0.0
    strong: int = 0
    misses: int = 0
    decided_at: float | None = None
    wind: bool = False
    voices: tuple[float, ...] = ()
    beam: list[tuple[int, np.ndarray]] = field(
        default_factory=list
    )  # (first sample, frame) toward the source

    @property
    def last(self) -> Detection:
        return self.hits[-1][1]


@dataclass
class ClosedTrack:
    t_start: float
    t_end: float
    decided_at: float
    hits: list[tuple[float, Detection]]
    wind: bool
    beam: list[tuple[int, np.ndarray]] = field(default_factory=list)
    voices: tuple[float, ...] = ()  # the pitches heard when the track was decided
    lone_buzzer: bool = False  # a square-wave tone kept only if nothing like it sounds around it
    taps: int = 1  # blasts merged into it (a double or triple tap)
    beside_horn: bool = False  # one strong hop beside a louder horn: kept only with a second tap

    def join(
        self,
        merged: list[tuple[float, Detection]],
        t_end: float,
        wind: bool,
        beam: list[tuple[int, np.ndarray]],
    ) -> None:
        """Take in a later blast of the same honk: `merged`, its hops and these in time order."""
        self.t_end = max(self.t_end, t_end)
        self.hits = merged
        self.wind = self.wind or wind
        self.beam = self.beam + beam


@dataclass(frozen=True)
class _Contour:
    """A track's pitch followed into the hops around it (`Tracker._contour_around`)."""

    t_first: float  # time of its first hop, before the track's when the comb was heard earlier
    t_last: float
    pitches: list[float]
    beyond: int  # hops of it outside the track
    folded: bool  # the track lies on a sweep read at one octave or the other (`sweeps_through`)


class Tracker:
    def __init__(self, config: TrackerConfig, threshold: float, release: float, f0_max_hz: float) -> None:
        self.cfg = config
        self.threshold = threshold
        self.release = release
        self.f0_max_hz = f0_max_hz  # the detector's highest horn pitch
        self.active: list[Track] = []
        self.pending: list[ClosedTrack] = []
        self._now = 0.0  # the end of the last hop seen
        self._sirens: list[list[tuple[float, Detection]]] = []  # hops of recent siren tracks
        self._pitch_log: deque[Combs] = deque(maxlen=_CONTOUR_HOPS)
        self._dropped: list[list[tuple[float, Detection]]] = []  # hops of tracks found no horn
        self._heard: list[list[tuple[float, Detection]]] = []  # hops of steady tracks, for `_melody`
        # Told what became of every track that does not reach the caller as a ClosedTrack (and of
        # taps joined to an earlier one): how an engineer learns why a honk was missed.
        self.on_fate: Callable[[TrackFate], None] | None = None

    def update(self, obs: HopObservation) -> list[ClosedTrack]:
        self._now = obs.t_end
        self._pitch_log.append(
            (0.5 * (obs.t_start + obs.t_end), obs.pitches, obs.detections, obs.square_pitches)
        )
        dets = merge_close([d for d in obs.detections if d.score >= self.release], self.cfg.gate_deg / 2)
        unmatched = list(range(len(dets)))
        pairs = sorted(
            ((detection_angle(t.last, dets[j]), i, j) for i, t in enumerate(self.active) for j in unmatched),
            key=lambda x: x[0],
        )
        used_t: set[int] = set()
        for ang, i, j in pairs:
            if ang > self.cfg.gate_deg or i in used_t or j not in unmatched:
                continue
            used_t.add(i)
            unmatched.remove(j)
            self._hit(self.active[i], dets[j], obs)
        for i, t in enumerate(self.active):
            if i not in used_t:
                t.misses += 1
        for j in unmatched:
            if dets[j].score >= self.release:
                t = Track(t_start=obs.t_start)
                self._hit(t, dets[j], obs)
                self.active.append(t)
        closed = [t for t in self.active if t.misses > self.cfg.hangover_hops]
        self.active = [t for t in self.active if t.misses <= self.cfg.hangover_hops]
        for t in closed:
            self._close(t)
        self._sirens = [s for s in self._sirens if obs.t_end - s[-1][0] <= SIREN_HOLD_S]
        self._dropped = [h for h in self._dropped if obs.t_end - h[-1][0] <= _DROPPED_HOLD_S]
        self._heard = [h for h in self._heard if obs.t_end - h[-1][0] <= _TUNE_HOLD_S]
        return self._release_pending(obs.t_end)

    def flush(self) -> list[ClosedTrack]:
        for t in self.active:
            self._close(t)
        self.active = []
        out = [self._decided(p) for p in self.pending if not self._dropped_at_release(p)]
        self.pending = []
        return out

    # ------------------------------------------------------------------

    def _hit(self, t: Track, d: Detection, obs: HopObservation) -> None:
        t.hits.append((0.5 * (obs.t_start + obs.t_end), d))
        t.t_end = obs.t_end
        t.misses = 0
        t.wind = t.wind or obs.wind
        if d.score >= self.threshold and not d.looked:
            t.strong += 1
        if t.decided_at is None and (
            (t.strong >= 1 and len(t.hits) >= self.cfg.confirm_hops) or self._sustained(t)
        ):
            t.decided_at = obs.t_decided
            t.voices = d.f0_hz

    def _sustained(self, t: Track) -> bool:
        """Has the track held one pitch for `sustain_hops` hops at a mean score of `sustain_score`,
        though no hop reached the threshold?

        Why: a small horn or a distant one seldom shows all its first eight partials in one hop
        (a 900 Hz e-bike horn has four below 3.6 kHz; the detector's score counts them), so it
        may stay just under the threshold hop after hop, while the same comb read again and again
        at one pitch and one place is the evidence a single strong hop gives. Sweeping or
        stepping tones still meet the siren rules when the track closes. Only in the small
        horns' range (`small_horn_min_f0_hz` up): below it all eight partials lie under 4.4 kHz,
        where a horn's series is dense, so a comb that never clears the threshold there is a
        muffled one, such as a car stereo's chord through the car's body (a 187 Hz note held
        0.75 s at 0.49-0.66 was a wrong-direction event: independent scene spiral64-4)."""
        n = max(self.cfg.sustain_hops, self.cfg.confirm_hops)
        if len(t.hits) < n:
            return False
        recent = [d for _, d in t.hits[-n:]]
        if sum(d.score for d in recent) < n * self.cfg.sustain_score:
            return False
        pitches = [d.f0_hz[0] for d in recent]
        mid = float(np.median(pitches))
        return mid >= self.cfg.small_horn_min_f0_hz and all(abs(p / mid - 1) <= VOICE for p in pitches)

    def _close(self, t: Track) -> None:
        tap = self._tap_beside_horn(t) if t.decided_at is None else None
        beside = tap is not None
        if beside:  # decided now, an event only with a second such tap (`_dropped_at_release`)
            t.decided_at = self._now
            t.voices = tap.f0_hz
        if t.decided_at is None and not beside and self._join_weak_tap(t):
            return
        if t.decided_at is None or (not beside and t.t_end - t.t_start < self.cfg.min_duration_s):
            self._tell(t.hits, t.t_start, t.t_end, "undecided" if t.decided_at is None else "too_short")
            return
        f0, deficit, square = self._drive(t)
        sirens = list(self._sirens)
        reason = self._rejection(t, f0, deficit, square)
        if reason is not None:
            if beside:  # one hop is too little to exempt a direction as a siren's (a horn beside it)
                self._sirens = sirens
            self._tell(t.hits, t.t_start, t.t_end, reason)
            # Kept a while: a few hops of its pitch localized elsewhere are no horn either. Not an
            # echo: its pitch heard elsewhere, where the sound began, is the horn.
            if reason != "later_arrival":
                self._dropped.append(t.hits)
            return
        # Square-wave drive over the whole track, in the small horns' range (`_rejection` dropped
        # it below): an e-bike's buzzer horn unless it is a small horn held down; flagged, to be
        # kept only if it sounds alone (`_alone`, at release).
        lone = square and not self._small_horn(t, f0)
        c = ClosedTrack(
            t.t_start, t.t_end, t.decided_at, t.hits, t.wind, t.beam, t.voices, lone, beside_horn=beside
        )
        for p in self.pending:
            # A tap after it (a double tap), or another voice of its horn that began with it; not
            # a horn that began while it sounded, a few degrees away: that is another vehicle.
            after = c.t_start >= p.t_end or abs(c.t_start - p.t_start) <= TOGETHER_S
            if (
                after
                and c.t_start - p.t_end <= self.cfg.merge_gap_s
                and detection_angle(p.hits[-1][1], c.hits[0][1]) <= self.cfg.gate_deg
                and not (p.beside_horn and c.beside_horn and abs(c.voices[0] / p.voices[0] - 1) > VOICE)
            ):
                merged = sorted(p.hits + c.hits, key=lambda h: h[0])
                # Only taps one after the other are tested together: two tracks at once are two
                # voices (or two horns), and their pitches interleaved make no trajectory. (No arc
                # test: each tap's onset settles anew, so a double tap's pitch falls and rises.)
                if c.t_start >= p.t_end and self._siren(merged, p.voices[0], arc=False):
                    # "Taps" whose pitch moves from one to the next like a sweep (the slow top or
                    # bottom of a wail heard in pieces) or takes turns (a hi-lo siren): both go.
                    self.pending.remove(p)
                    self._tell(merged, p.t_start, c.t_end, "siren_taps")
                    self._siren_heard(merged)
                    return
                self._tell(c.hits, c.t_start, c.t_end, "joined_earlier_tap")
                p.join(merged, c.t_end, c.wind, c.beam)
                if p.lone_buzzer and not c.lone_buzzer:  # the honk is decided with this tap
                    p.decided_at = c.decided_at
                p.lone_buzzer = p.lone_buzzer and c.lone_buzzer
                if p.beside_horn:  # the honk is decided with its second tap
                    p.decided_at = max(p.decided_at, c.decided_at)
                p.beside_horn = p.beside_horn and c.beside_horn
                p.taps += c.taps
                return
        self.pending.append(c)

    def _tap_beside_horn(self, t: Track) -> Detection | None:
        """The strong hop of an undecided track that is a tap of a second horn, heard in that
        one hop while a louder horn sounded elsewhere; None when it is not.

        Why: the louder horn's voices take the comb search's places (and hide the bins around
        its partials) in the hops around the tap, so a 0.1-0.25 s tap of another vehicle wins a
        place only in its strongest hop: that hop is all the evidence each tap gives (independent
        scenes: a triple tap 15° from a louder dual-tone horn, each tap placed within 1° in one
        hop). Only beside a decided track that spans it, more than two gates away and at none
        of its pitches, their octaves or twelfths (`related`: the louder horn's own, read astray);
        and such a tap is an event only with a second one at its place and pitch (a double or
        triple tap, merged as any): a single strong hop, a yelp's top or a siren's piece placed
        astray, is no event."""
        tap = max((d for _, d in t.hits), key=lambda d: d.score)
        if tap.score < self.threshold or len(t.hits) >= self.cfg.confirm_hops:
            return None
        # The louder horn's track may be open, or closed and waiting for a tap of its own.
        for o in [*self.active, *self.pending]:
            if o is t or o.decided_at is None or o.t_start > t.t_start or o.t_end < t.t_end:
                continue
            if detection_angle(o.hits[-1][1], t.last) <= 2 * self.cfg.gate_deg:
                continue
            if related([tap.f0_hz[0]], [p for _, d in o.hits for p in d.f0_hz]):
                continue
            return tap
        return None

    def _join_weak_tap(self, t: Track) -> bool:
        """Join an undecided track to the decided honk it continues, and say whether it did: one
        that begins within `merge_gap_s` after a honk waiting for its taps ended, at its place
        (the gate) and at one of its pitches (`VOICE`).

        Why: a tap of a double or triple honk is as loud as the others, but beside a louder horn
        or in a gust of traffic it may read under the threshold in its one or two hops (0.58
        against 0.7: the third tap of a car tapping three times beside a louder one, independent
        scene spiral32-1); left out, the honk's event ends early and that tap is taken for the
        louder horn's. Place, pitch and time together are the evidence a strong hop gives alone.
        It only extends an event that is decided on its own: it never makes one, nor counts as a
        second tap of a tap beside a horn (`_tap_beside_horn`). Not where the taps together move
        like a siren: then the weak piece is left undecided and the honk as it was; nor after a
        square-wave tone waiting to be known alone (`_alone`): a tone like it around it is what
        says it is a beeper's, not a horn's. Only at the honk's decided pitches (`voices`), not at
        every pitch read in its hops: a reversing beeper 0.7° from a truck, beeping at an octave
        of a pitch read there, made four "taps" 0.8 s past the truck's horn (spiral32-12)."""
        pitch = max((d for _, d in t.hits), key=lambda d: d.score).f0_hz[0]
        for p in self.pending:
            if (
                not p.lone_buzzer
                and 0.0 <= t.t_start - p.t_end <= self.cfg.merge_gap_s
                and detection_angle(p.hits[-1][1], t.hits[0][1]) <= self.cfg.gate_deg
                and any(abs(pitch / v - 1) <= VOICE for v in p.voices)
            ):
                merged = sorted(p.hits + t.hits, key=lambda h: h[0])
                if self._siren(merged, p.voices[0], arc=False):
                    return False
                self._tell(t.hits, t.t_start, t.t_end, "joined_earlier_tap")
                p.join(merged, t.t_end, t.wind, t.beam)
                return True
        return False

    def _rejection(self, t: Track, f0: float, deficit: float, square: bool) -> str | None:
        """The first rule a decided track fails on its way to an event (see the module
        docstring), named as `TrackFate.fate` says it; None when it passes them all. `f0`,
        `deficit`, `square`: the track's drive (`_drive`)."""
        if self._siren(t.hits, t.voices[0]):  # decided, so it has its voices
            self._siren_heard(t.hits)
            return "siren"
        seed = t.voices[0]
        if self._swept(t.hits, seed):  # not remembered: not localized
            return "siren_sweep_around"
        if self._took_turns(t.hits, seed):
            return "siren_turn"
        # Square-wave drive below the small horns' range: an electronic siren, or a buzzer or a
        # bird's odd-partial call (so not remembered as a siren: its direction stays enforced).
        if square and f0 < self.cfg.small_horn_min_f0_hz:
            return "square_wave"
        if deficit < self.cfg.min_even_deficit_db and 2 * f0 > self.f0_max_hz:
            # The comb's odd partials sit far below its even ones: it is a sound an octave higher
            # read an octave low, and that octave is above the horns' range (a wail's top at
            # 1.35 kHz as "676 Hz"). Within the range it is a horn's comb read an octave low (a
            # 980 Hz scooter tap as "490 Hz", beside a siren): kept. Remembered as a siren: a
            # yelp's top, read so at 730 Hz every 0.35 s, is not always that far from even.
            self._siren_heard(t.hits)
            return "siren_octave_low"
        if any(near(t.hits, s) for s in self._sirens):
            return "near_siren"
        if self._square_before(t.hits):
            return "square_tone_filled"
        if self._later_arrival(t.hits):  # before it is heard as a steady tone: it is none of its own
            return "later_arrival"
        if not holds_a_pitch(t.hits):
            return "no_held_pitch"
        melody = self._melody(t.hits)
        # A steady tone (the siren tests passed), whatever is said below. Not a square wave: a
        # beeper or a buzzer, no car stereo's note (reversing beepers at 570-740 Hz taken for
        # notes made a "tune" of the horns honking beside them).
        if not square:
            self._heard.append(t.hits)
        if melody:
            self._drop_pending(lambda p: same_source(t.hits, p.hits), "music")
            return "music"
        others = [o.hits for o in [*self.active, *self.pending] if o is not t]
        if any(overtone_ghost(t.hits, o) for o in others):
            return "overtone_ghost"
        if any(heard_elsewhere(t.hits, o) for o in [*others, *self._dropped]):
            return "heard_elsewhere"
        if self._placed_apart(t.hits):
            return "placed_apart"
        return None

    def _later_arrival(self, hits: list[tuple[float, Detection]]) -> bool:
        """Is the track its sound arriving later, by a longer path, from where it was heard
        first? Either it takes over, in the very next hop, from a steady track at its pitch more
        than two gates away (`_heard`: decided, so not a hop placed astray), or it sits between
        two stretches of its sound heard elsewhere: before its first hop, in one or two hops
        (`_ONSET_HOPS`) after none (the sound's onset), and again in the hop after its last, both
        within two gates of each other. Then the source is where the sound began.

        Why: a reflection off a building across the road can outweigh the direct sound for a
        while (the direct path and its road image cancel at some partials), but not at the onset,
        when the echo's metres-longer path has not yet delivered it. A scooter's horn at 17° was
        placed there for 0.25 s and at 29-34° (its façade image) for the rest (own validation
        scene default-22, 32 ch); with 64 ch, at 17° in its first hop, at 29° for the next eight
        and at 18° again for its last three: each 29° track was a wrong-direction event. A lone
        onset hop is not enough: it is often placed astray (only part of its frames hold the
        horn), and two real horns were dropped so (own busy-22 and default-17, their onset hops
        40° and 50° off). A track whose own place was heard first is not touched."""
        t0, first = hits[0]
        log = list(self._pitch_log)
        index = {hop_key(c[0]): k for k, c in enumerate(log)}
        i, j = index.get(hop_key(t0)), index.get(hop_key(hits[-1][0]))
        if not i or j is None or j + 1 >= len(log):
            return False

        def same(dets: Iterable[Detection]) -> list[Detection]:
            return [d for d in dets if any(abs(f / g - 1) <= VOICE for f in d.f0_hz for g in first.f0_hz)]

        far = 2 * self.cfg.gate_deg
        before = hop_key(log[i - 1][0])
        if any(
            hop_key(h[-1][0]) == before
            and h[0][0] < t0
            and same([h[-1][1]])
            and detection_angle(h[-1][1], first) > far
            for h in self._heard
        ):
            return True
        onset: list[Detection] = []
        k = i - 1
        while k >= 0 and (here := same(log[k][2])):
            if any(detection_angle(d, first) <= far for d in here):
                return False  # the track's own place was heard there too
            if i - k > _ONSET_HOPS:
                return False  # held elsewhere longer than an echo takes to take over: another source
            onset = here
            k -= 1
        after = same(log[j + 1][2])
        return bool(onset) and any(detection_angle(a, o) <= far for a in after for o in onset)

    def _square_before(self, hits: list[tuple[float, Detection]]) -> bool:
        """Did a square wave sound at one of the track's pitches in its first two hops in each of
        the `_SQUARE_BEFORE` hops just before it? Then the track is that tone, its even places
        filled by another source an octave up, not a horn of its own pitch.

        Why: a siren's square tone has no even partials; a scooter tapping at twice its pitch
        adds exactly those, and the two make one comb that looks like a horn's, placed between
        or on the siren (a 980 Hz tap beside a 480 Hz tone, 16° apart: an event 1.5° from the
        siren). A horn's even partials sound from its onset, so it does not begin as a square
        wave held for 0.15 s at its own pitch; an e-bike's buzzer read square at first and then
        with its even partials just above the noise is lost with it (it is a square wave either
        way, weighed by the square-wave rules on the rest of its track). Two hops, not the first
        alone: as a hi-lo siren turned, its 940 Hz tone, held square before, was read an octave
        low (467 Hz) in the first hop of a track at the siren and at 941 Hz in the second, and
        made an event on the emergency vehicle (independent scene spiral64-29).
        """
        t0 = hits[0][0]
        before = [sq for t, _, _, sq in self._pitch_log if t < t0 - 1e-6]
        last = before[-_SQUARE_BEFORE:]
        if len(last) < _SQUARE_BEFORE:
            return False
        opening = [f for _, d in hits[:2] for f in d.f0_hz]
        return any(all(any(abs(g / f - 1) <= STRAY_PITCH for g in sq) for sq in last) for f in opening)

    def _placed_apart(self, hits: list[tuple[float, Detection]]) -> bool:
        """Was a short track's tone, in a hop inside its span that it has no hit in, placed
        elsewhere (beyond the gate) and louder than the track's own hops (beyond the dB by which
        one comb's hops scatter, `STRAY_LOUDER`)? Then the tap's place is not known: its hops
        scatter between two places, and the louder is not its.

        Why: a scooter's 0.15 s tap 10° beside a loud wail (own busy scene 78, 32 ch): its first
        hop was placed 9° toward the wail, its second at the scooter, its third, read an octave
        low where the wail's partials fill the odd places, 8° toward the wail; the first and
        third made a track between the two, a wrong fine, the louder middle hop a single one.
        A long track is left alone (a hop astray in a held horn does not move it), and so is a
        second place in a hop the track holds too: two vehicles with one horn pitch.
        """
        if len(hits) > STRAY_HITS:
            return False
        own = {hop_key(t) for t, _ in hits}
        t0, t1 = hits[0][0], hits[-1][0]
        loud = float(np.mean([d.power for _, d in hits]))
        pitches = [f for _, d in hits for f in d.f0_hz]
        _, during, _ = self._log_around(t0, t1)
        for t, _, dets, _ in during:
            if hop_key(t) in own:
                continue
            for d in dets:
                if (
                    d.power > STRAY_LOUDER * loud
                    and any(
                        abs(interval(g, f) - k) <= STRAY_PITCH * k
                        for g in d.f0_hz
                        for f in pitches
                        for k in (1, 2)
                    )
                    and min(detection_angle(d, h) for _, h in hits) > self.cfg.gate_deg
                ):
                    return True
        return False

    def _drive(self, t: Track) -> tuple[float, float, bool]:
        """(median pitch, median even-partial deficit in dB, square-wave drive) of a track.
        Square: even partials well below the odd ones in the median, or missing in most hops (read
        so, with noise at their places, a comb's measured deficit stays small)."""
        deficit = float(np.median([d.even_deficit_db for _, d in t.hits]))
        f0 = float(np.median([d.f0_hz[0] for _, d in t.hits]))
        odd_hops = sum(d.odd_only for _, d in t.hits)
        return f0, deficit, deficit > self.cfg.max_even_deficit_db or 2 * odd_hops > len(t.hits)

    def _small_horn(self, t: Track, f0: float) -> bool:
        """Is a track (median pitch `f0`) whose even partials are weak a small horn held down?

        Why: a small horn's buzzing diaphragm can leave its even partials 8–15 dB below the odd
        ones (a 767 Hz scooter horn held for 1.8 s read so throughout), which is what the deficit
        rule takes for a square wave. Such a horn sounds in the small horns' range (600–1100 Hz),
        and its pitch holds: the siren rules above passed. It is held for `small_horn_min_s`
        counting the hops around the track where the detector read its comb without localizing it
        (too weak in a hop, or heard under a louder source). Such combs keep their score in the
        detector from the small horns' range up (`HarmonicDetector._best_comb`), so this rule,
        on the whole track, is what tells a small horn from a siren's or buzzer's tone.
        A square-wave tone that holds its pitch for a second there is rare: a hi-lo siren's turn
        is shorter, and the next turn is tested at release (`_dropped_at_release`). A shorter
        square-wave tone is an event only if it sounds alone (`_alone`, at release).
        """
        if f0 < self.cfg.small_horn_min_f0_hz:
            return False
        # Its own pitch, not the one it was decided on: an engine's comb from the same place can
        # open the track before the horn takes it over.
        seed = min((f for _, d in t.hits for f in d.f0_hz), key=lambda f: abs(f - f0))
        around = self._contour_around(t.hits, seed)
        return around is not None and around.t_last - around.t_first >= self.cfg.small_horn_min_s

    def _melody(self, hits: list[tuple[float, Detection]]) -> bool:
        """Is the track one more tune of a car stereo?

        Music from a car is a succession of harmonic notes and chords, each as steady as a horn
        while it lasts (a chord at 261 Hz for a second, then 184 and 325 Hz, from a car passing
        the pole), and the detector reads each as a comb. The track is followed back, one earlier
        steady track at a time, as long as each could be the same source sounding on after a pause
        (`same_source`), over `_TUNE_HOLD_S`. It is music when that chain holds at least
        `_TUNE_TRACKS` tracks, sounding at least `_TUNE_PITCHES` unrelated pitches (one horn
        sounds at most three: a dual-tone horn's voices, read together or alone, or an air horn's
        chord), and one pitch comes back after a track without it (a tune returns to its notes).

        Why all three: neighbours honking in turn near one another make such chains in busy
        traffic (a car's two taps, then two more cars within 12° and 1.5 s: four pitches, four
        tracks, on our own busy scenes), but no pitch came back there; a car answering its
        neighbour (A, B, A) comes back, but with two or three pitches. What passes all three is
        lost with the music: a missed honk, not a fine for a car stereo.
        """
        chain = [tones(hits)]
        if not chain[0]:
            return False
        link = hits
        for other in reversed(self._heard):
            if same_source(link, other):
                link = other
                chain.append(tones(other))
        if len(chain) < _TUNE_TRACKS or len(distinct([f for c in chain for f in c])) < _TUNE_PITCHES:
            return False
        return any(
            related(chain[i], chain[k]) and any(not related(chain[j], chain[i]) for j in range(i + 1, k))
            for i in range(len(chain))
            for k in range(i + 2, len(chain))
        )

    def _siren(self, hits: list[tuple[float, Detection]], seed: float, arc: bool = True) -> bool:
        """Pitches that sweep like a siren's (`siren_like`, from `seed`) or take turns like a
        hi-lo siren's two tones (`alternating_tones`)."""
        return alternating_tones(hits, self._pitch_log) or siren_like(
            hits, seed, self.cfg.max_pitch_glide, self.cfg.max_pitch_rate, arc=arc, log=self._pitch_log
        )

    def _swept(self, hits: list[tuple[float, Detection]], seed: float) -> bool:
        """Does the track's pitch lie on a contour that sweeps like a siren's once it is followed
        into the hops around it, where the same comb was read but too weak to be localized?

        Why: the slow top of a wail can be the only stretch loud and steady enough to localize
        (792 Hz held for 0.4 s, then 5 % down), and on its own it passes every sweep test, while
        the detector read the same comb rising from 669 Hz through the second before it. A horn's
        comb does not come out of, or go on into, a sweep. Only the glide test is applied to the
        followed contour; each step may move at most `CONTOUR_STEP`, the contour stops at a comb
        localized elsewhere (beyond `gate_deg`): a siren sweeping through a scooter's pitch just
        before it honks is another source, not the scooter's own sweep; and it must reach
        `_CONTOUR_MIN_HOPS` beyond the track, as two or three hops of another comb are no sweep.
        Or the track moves on a sweep that the combs around it carry on at one octave or the
        other (`sweeps_through`): a square-wave siren's comb slips an octave hop after hop.
        """
        around = self._contour_around(hits, seed)
        if around is None:
            return False
        pitches = around.pitches
        glide = (max(pitches) - min(pitches)) / float(np.median(pitches))
        return (around.beyond >= _CONTOUR_MIN_HOPS and glide > self.cfg.max_pitch_glide) or around.folded

    def _contour_around(self, hits: list[tuple[float, Detection]], seed: float) -> _Contour | None:
        """The track's pitch trajectory followed (`contour`) into the hops before and after it,
        where the detector read the same comb, localized or not; None without a trajectory."""
        times, traj = pitch_trajectory(hits, seed, self._pitch_log)
        if len(traj) == 0:
            return None
        before, _, after = self._log_around(float(times[0]), float(times[-1]))
        gate = self.cfg.gate_deg
        pitches = traj.tolist()
        ahead = contour(before, pitches[0], hits[0][1], gate, prior=pitches[::-1])
        behind = contour(after, pitches[-1], hits[-1][1], gate, prior=pitches)
        return _Contour(
            t_first=before[len(ahead) - 1][0] if ahead else float(times[0]),
            t_last=after[len(behind) - 1][0] if behind else float(times[-1]),
            pitches=[*ahead, *pitches, *behind],
            beyond=len(ahead) + len(behind),
            folded=sweeps_through(pitches, before, after),
        )

    def _took_turns(self, hits: list[tuple[float, Detection]], seed: float, around: bool = False) -> bool:
        """Is the track one turn of a hi-lo siren whose other turns were heard but not localized?

        The other tone: a run `hilo_apart` from it that ends within `HANDOVER_GAP` hops of the
        track's start and is silent during the track. Then a turn is taken when, just before that
        run, the track's own tone ran (within `_TURN_TONE`): checked when the track closes; or,
        with `around` (when a finished track is released, `merge_gap_s` later, so that what
        followed it is known), when the other tone comes back within `HANDOVER_GAP` hops of the
        track's end — provided the detector had room to read it during the track (at most one
        comb in three of four hops), since a dual-tone horn's two combs can hide a siren's tone
        for as long as it honks. Runs are at least `HILO_RUN` hops.

        Why: a hi-lo siren whose two tones are both localized is `alternating_tones`' case, but
        often only some of its turns are (the others too weak, or not read as a horn's comb at
        all), and a turn alone holds its pitch like a horn (816 Hz for 0.65 s between turns of
        586 Hz, heard but never localized). A horn does not start the moment another tone
        stops, in a place where it could not have been hidden, and stop the moment it resumes;
        that the other tone be silent during the track, and the track's tone during the other's
        run, keeps a horn that merely shares the street with a siren sounding elsewhere (a
        scooter at 494 Hz just as a 573 Hz tone stopped, beside a hi-lo siren's 479 Hz turns).
        """
        _, traj = pitch_trajectory(hits, seed, self._pitch_log)
        if len(traj) == 0:
            return False
        tone = float(traj[0])
        before, during, after = self._log_around(hits[0][0], hits[-1][0])
        voices = [f for _, d in hits for f in d.f0_hz]

        def partner(f: float) -> bool:
            return hilo_apart(f, tone) and not any(abs(f / v - 1) <= CONTOUR_STEP for v in voices)

        other = run_near(before, 0, partner)
        if other is None:
            return False
        last, first, end = other
        if hops_reading(during, last) > 0.25 * len(during):
            return False  # the other tone goes on: it is another source, not a turn taken
        if hops_reading(before[first:end], tone, _TURN_TONE) > 1:
            return False  # the track's tone sounded during the other's run (beyond a handover hop)
        if not around:
            return run_near(before, end, lambda f: abs(f / tone - 1) <= _TURN_TONE) is not None
        if sum(len(c[1]) <= 1 for c in during) < 0.75 * len(during):
            return False
        return run_near(after, 0, lambda f: abs(f / last - 1) <= _TURN_TONE) is not None

    def _dropped_at_release(self, p: ClosedTrack) -> bool:
        """The siren tests that need what followed the track, run again when it is released, and
        the square-wave honk's: its taps together, and alone (`_alone`).

        Why: at close, only the hangover's two hops follow the track, and a wail's piece of two
        hops (624 → 631 Hz) whose sweep went on unlocalized (641, 651, … 712 Hz) showed only
        10 % of glide then, and 20 % by release.
        """
        if self._took_turns(p.hits, p.voices[0], around=True):
            self._tell(p.hits, p.t_start, p.t_end, "siren_turn_at_release")
            return True
        if p.lone_buzzer and len(p.hits) < _LONE_MIN_HOPS:
            self._tell(p.hits, p.t_start, p.t_end, "square_wave")  # one beep, too short to tell
            return True
        if p.lone_buzzer and (p.taps > _LONE_MAX_TAPS or not self._alone(p)):
            self._tell(p.hits, p.t_start, p.t_end, "square_wave_not_alone")
            return True
        if self._swept(p.hits, p.voices[0]):
            self._tell(p.hits, p.t_start, p.t_end, "siren_sweep_at_release")
            return True
        if p.beside_horn and p.taps < 2:
            self._tell(p.hits, p.t_start, p.t_end, "single_tap_beside_horn")
            return True
        return False

    def _decided(self, p: ClosedTrack) -> ClosedTrack:
        """A released track, its decision moved to now if it waited to be known alone: evidence
        that waited is reported as detected when it was (`detected_after_s`)."""
        if p.lone_buzzer:
            p.decided_at = max(p.decided_at, self._now)
        return p

    def _alone(self, p: ClosedTrack) -> bool:
        """Did nothing like the square-wave track sound within `_LONE_WAIT_S` before or after it?

        Why: an e-bike's buzzer horn is a square wave held for a moment, like a hi-lo siren's
        turn or an electronic beeper's beep. But a siren's other tone takes over as soon as a
        turn ends and went on before it, and a beeper repeats its tone after a pause; a horn is
        pressed once, or a few times in quick succession (merged into one track). So the track
        stands alone when, within `_LONE_WAIT_S` of it, the detector read no run of
        `HILO_RUN` hops of the other tone of a hi-lo pair with it (`hilo_apart`), nor of its
        own tone more than `merge_gap_s` away from it (and it is not a run of more than
        `_LONE_MAX_TAPS` beeps, each within `merge_gap_s` of the last, merged like the taps of
        one honk: a beeper that pauses briefly). Runs, not single hops: the combs the
        detector reads now and then in traffic fall at any ratio. And a tone read in
        `_SOUNDS_THROUGH` of the track's hops is another source sounding on (a car's long horn
        beside the e-bike), not a siren's other turn; that turn can be read now and then during
        this one, through the partials the two tones share (a 4:5 pair shares every 4th/5th).
        Nothing read is not nothing sounding, though, where the detector had no room to read
        it: if in most hops of either second its two combs were sources it localized
        (`slots_taken`: a car's dual-tone horn), the track is not known to be alone (own busy
        scene 73, 64 ch: a hi-lo siren's first turn, its other tone unread under such a horn).
        """
        tone = float(np.median([d.f0_hz[0] for _, d in p.hits]))
        before, during, after = self._log_around(p.hits[0][0], p.hits[-1][0])

        def like(f: float, far: bool) -> bool:
            if far and interval(f, tone) - 1 <= _TURN_TONE:
                return True  # its own tone again: a beeper's next beep
            # The other tone of a hi-lo pair, unless read through the track: another source.
            return hilo_apart(f, tone) and hops_reading(during, f) < _SOUNDS_THROUGH * len(during)

        for side, edge in ((before, p.t_start), (after, p.t_end)):
            hops = [c for c in side if abs(c[0] - edge) <= _LONE_WAIT_S]
            heard = hops[HANDOVER_GAP:]
            if 2 * sum(slots_taken(c) for c in heard) > len(heard):
                return False  # the other tone could not have been read: not known to be alone
            held = abs(self._held_on(hops, edge, tone) - edge)
            j = HANDOVER_GAP  # the horn's own onset and decay, read a hop or two beyond the track
            while j < len(hops):
                far = abs(hops[j][0] - edge) > held + self.cfg.merge_gap_s
                f = next((f for f in hops[j][1] if like(f, far)), None)
                if f is None:
                    j += 1
                    continue
                run = 1 + len(contour(hops[j + 1 :], f, None, 0.0))
                if run >= HILO_RUN:
                    return False
                j += run
        return True

    def _held_on(self, hops: list[Combs], edge: float, tone: float) -> float:
        """How far the square-wave track's own tone sounds on, unlocalized, beyond its `edge`
        through `hops` (nearest first): the time of the last hop reading it (within `_TURN_TONE`)
        that follows the one before by at most `merge_gap_s`, while it is read in at least
        `_HELD_ON` of the hops up to there; `edge` itself when it does not.

        Why: a weak horn is localized only in its strongest stretches, and the comb search
        reads its tone in the hops around them too. That is one held tone, not a beeper's next
        beep (which comes after a pause, its tone read in half the hops at most): a motorcycle's
        740 Hz horn held 2.1 s, 8 dB under the traffic, read in 13 of the 17 hops before its
        localized stretch, was taken for a beeper and lost (independent fresh scene spiral64-57).
        """
        reach, read, upto = edge, 0, 0
        for k, (t, pitches, _, _) in enumerate(hops):
            if abs(t - reach) > self.cfg.merge_gap_s:
                break
            if any(interval(f, tone) - 1 <= _TURN_TONE for f in pitches):
                reach, read, upto = t, read + 1, k + 1
        return reach if upto and read >= _HELD_ON * upto else edge

    def _tell(self, hits: list[tuple[float, Detection]], t_start: float, t_end: float, fate: str) -> None:
        if self.on_fate is not None:
            self.on_fate(track_fate(hits, t_start, t_end, fate))

    def _drop_pending(self, which: Callable[[ClosedTrack], bool], fate: str) -> None:
        """Drop the tracks waiting for release that `which` picks, telling `on_fate` why."""
        keep = []
        for p in self.pending:
            if which(p):
                self._tell(p.hits, p.t_start, p.t_end, fate)
            else:
                keep.append(p)
        self.pending = keep

    def _log_around(self, t0: float, t1: float) -> tuple[list[Combs], list[Combs], list[Combs]]:
        """The pitch log's hops before `t0` (nearest first), from `t0` to `t1`, and after `t1`."""
        eps = 1e-6  # hop times are hop centres; a hit's time is its hop's
        before = [c for c in reversed(self._pitch_log) if c[0] < t0 - eps]
        during = [c for c in self._pitch_log if t0 - eps <= c[0] <= t1 + eps]
        after = [c for c in self._pitch_log if c[0] > t1 + eps]
        return before, during, after

    def _siren_heard(self, hits: list[tuple[float, Detection]]) -> None:
        """Remember a siren's hops; what waits for release from near it goes too (see `near`),
        and so does what sounded with it from elsewhere (`sounds_with`: its reflection)."""
        self._sirens.append(hits)
        self._drop_pending(lambda p: near(p.hits, hits), "near_siren")
        self._drop_pending(lambda p: sounds_with(p.hits, hits), "siren_elsewhere")

    def _release_pending(self, now: float) -> list[ClosedTrack]:
        out = []
        keep = []
        for p in self.pending:
            # A tap may follow it; or a track still open sounds with it from elsewhere, which may
            # yet prove a siren (and it the siren's reflection, `_siren_heard`).
            waiting = any(
                (
                    t.t_start - p.t_end <= self.cfg.merge_gap_s
                    and detection_angle(p.hits[-1][1], t.hits[0][1]) <= self.cfg.gate_deg
                )
                or (t.t_start <= p.t_end and sounds_with(p.hits, t.hits))
                for t in self.active
            )
            wait = max(self.cfg.merge_gap_s, _LONE_WAIT_S) if p.lone_buzzer else self.cfg.merge_gap_s
            if now - p.t_end > wait and not waiting:
                if not self._dropped_at_release(p):
                    out.append(self._decided(p))
            else:
                keep.append(p)
        self.pending = keep
        return out
