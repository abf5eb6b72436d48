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
no event (`Tracker._join_weak_tap`). A track whose pitch glides, rises and falls, or steps
like a siren's (and taps that do so together), whose pitch lies on a sweep the detector read in the hops around it (through
an octave slip of its comb search, once the sweep is under way), whose two pitches take turns
like a hi-lo siren's, or step once from one to the other without ever being read together (or
whose one pitch takes its turn between another tone's unlocalized turns), or
whose even partials stay well below the odd ones over the whole track, or are missing in most
of its hops (a square-wave driven siren or buzzer; unless it holds its pitch for a second in
the small horns' range: a scooter's buzzing horn; or, there, sounds alone, with neither a hi-lo
siren's other tone nor its own tone again within a second: an e-bike's buzzer horn, decided a
second after it ends), is dropped: a siren is never evidence. So
is a track whose odd partials stay well below its even ones while its octave up is above the
horns' range (a siren's top read an octave low). Where a siren was heard, sweeping or so,
what sounds from its direction within two seconds goes with it (its steadier stretches, and the
emergency vehicle's own horn, which is exempt). A steady track from where a car stereo has been
playing a tune (`Tracker._melody`) is dropped too, and so is a track of four hops or more
that never reads one pitch in two hops running (`_holds_a_pitch`): a car stereo's changing
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

import itertools
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np

from edge.analysis.config import TrackerConfig
from edge.analysis.road import RoadSnapshot
from edge.geometry.camera import angle_deg

if TYPE_CHECKING:
    from edge.analysis.localizer import CoarseMap


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
class TrackFate:
    """What became of one track: an event, or the rule that dropped it (see `Tracker.on_fate`)."""

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


@dataclass(frozen=True)
class _Contour:
    """A track's pitch followed into the hops around it (`Tracker._contour_around`)."""

    t_first: float  # time of its first hop, before the track's when the comb was heard earlier
    t_last: float
    pitches: list[float]
    beyond: int  # hops of it outside the track


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
        self._pitch_log: deque[_Combs] = deque(maxlen=_CONTOUR_HOPS)
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
        dets = _merge_close([d for d in obs.detections if d.score >= self.release], self.cfg.gate_deg / 2)
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
        self._sirens = [s for s in self._sirens if obs.t_end - s[-1][0] <= _SIREN_HOLD_S]
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
        return mid >= self.cfg.small_horn_min_f0_hz and all(abs(p / mid - 1) <= _VOICE for p in pitches)

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
            after = c.t_start >= p.t_end or abs(c.t_start - p.t_start) <= _TOGETHER_S
            if (
                after
                and c.t_start - p.t_end <= self.cfg.merge_gap_s
                and detection_angle(p.hits[-1][1], c.hits[0][1]) <= self.cfg.gate_deg
                and not (p.beside_horn and c.beside_horn and abs(c.voices[0] / p.voices[0] - 1) > _VOICE)
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
        of its pitches, their octaves or twelfths (`_related`: the louder horn's own, read astray);
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
            if _related([tap.f0_hz[0]], [p for _, d in o.hits for p in d.f0_hz]):
                continue
            return tap
        return None

    def _join_weak_tap(self, t: Track) -> bool:
        """Join an undecided track to the decided honk it continues, and say whether it did: one
        that begins within `merge_gap_s` after a honk waiting for its taps ended, at its place
        (the gate) and at one of its pitches (`_VOICE`).

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
                and any(abs(pitch / v - 1) <= _VOICE for v in p.voices)
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
        if any(_near(t.hits, s) for s in self._sirens):
            return "near_siren"
        if self._square_before(t.hits):
            return "square_tone_filled"
        if self._later_arrival(t.hits):  # before it is heard as a steady tone: it is none of its own
            return "later_arrival"
        if not _holds_a_pitch(t.hits):
            return "no_held_pitch"
        melody = self._melody(t.hits)
        # A steady tone (the siren tests passed), whatever is said below. Not a square wave: a
        # beeper or a buzzer, no car stereo's note (reversing beepers at 570-740 Hz taken for
        # notes made a "tune" of the horns honking beside them).
        if not square:
            self._heard.append(t.hits)
        if melody:
            self._drop_pending(lambda p: _same_source(t.hits, p.hits), "music")
            return "music"
        others = [o.hits for o in [*self.active, *self.pending] if o is not t]
        if any(_overtone_ghost(t.hits, o) for o in others):
            return "overtone_ghost"
        if any(_heard_elsewhere(t.hits, o) for o in [*others, *self._dropped]):
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
        index = {_hop_key(c[0]): k for k, c in enumerate(log)}
        i, j = index.get(_hop_key(t0)), index.get(_hop_key(hits[-1][0]))
        if not i or j is None or j + 1 >= len(log):
            return False

        def same(dets: Iterable[Detection]) -> list[Detection]:
            return [d for d in dets if any(abs(f / g - 1) <= _VOICE for f in d.f0_hz for g in first.f0_hz)]

        far = 2 * self.cfg.gate_deg
        before = _hop_key(log[i - 1][0])
        if any(
            _hop_key(h[-1][0]) == before
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
        return any(all(any(abs(g / f - 1) <= _STRAY_PITCH for g in sq) for sq in last) for f in opening)

    def _placed_apart(self, hits: list[tuple[float, Detection]]) -> bool:
        """Was a short track's tone, in a hop inside its span that it has no hit in, placed
        elsewhere (beyond the gate) and louder than the track's own hops (beyond the dB by which
        one comb's hops scatter, `_STRAY_LOUDER`)? Then the tap's place is not known: its hops
        scatter between two places, and the louder is not its.

        Why: a scooter's 0.15 s tap 10° beside a loud wail (own busy scene 78, 32 ch): its first
        hop was placed 9° toward the wail, its second at the scooter, its third, read an octave
        low where the wail's partials fill the odd places, 8° toward the wail; the first and
        third made a track between the two, a wrong fine, the louder middle hop a single one.
        A long track is left alone (a hop astray in a held horn does not move it), and so is a
        second place in a hop the track holds too: two vehicles with one horn pitch.
        """
        if len(hits) > _STRAY_HITS:
            return False
        own = {_hop_key(t) for t, _ in hits}
        t0, t1 = hits[0][0], hits[-1][0]
        loud = float(np.mean([d.power for _, d in hits]))
        pitches = [f for _, d in hits for f in d.f0_hz]
        _, during, _ = self._log_around(t0, t1)
        for t, _, dets, _ in during:
            if _hop_key(t) in own:
                continue
            for d in dets:
                if (
                    d.power > _STRAY_LOUDER * loud
                    and any(
                        abs(_interval(g, f) - k) <= _STRAY_PITCH * k
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
        (`_same_source`), over `_TUNE_HOLD_S`. It is music when that chain holds at least
        `_TUNE_TRACKS` tracks, sounding at least `_TUNE_PITCHES` unrelated pitches (one horn
        sounds at most three: a dual-tone horn's voices, read together or alone, or an air horn's
        chord), and one pitch comes back after a track without it (a tune returns to its notes).

        Why all three: neighbours honking in turn near one another make such chains in busy
        traffic (a car's two taps, then two more cars within 12° and 1.5 s: four pitches, four
        tracks, on our own busy scenes), but no pitch came back there; a car answering its
        neighbour (A, B, A) comes back, but with two or three pitches. What passes all three is
        lost with the music: a missed honk, not a fine for a car stereo.
        """
        chain = [_tones(hits)]
        if not chain[0]:
            return False
        link = hits
        for other in reversed(self._heard):
            if _same_source(link, other):
                link = other
                chain.append(_tones(other))
        if len(chain) < _TUNE_TRACKS or len(_distinct([f for c in chain for f in c])) < _TUNE_PITCHES:
            return False
        return any(
            _related(chain[i], chain[k]) and any(not _related(chain[j], chain[i]) for j in range(i + 1, k))
            for i in range(len(chain))
            for k in range(i + 2, len(chain))
        )

    def _siren(self, hits: list[tuple[float, Detection]], seed: float, arc: bool = True) -> bool:
        """Pitches that sweep like a siren's (`_siren_like`, from `seed`) or take turns like a
        hi-lo siren's two tones (`_alternating_tones`)."""
        return _alternating_tones(hits, self._pitch_log) or _siren_like(
            hits, seed, self.cfg.max_pitch_glide, self.cfg.max_pitch_rate, arc=arc, log=self._pitch_log
        )

    def _swept(self, hits: list[tuple[float, Detection]], seed: float) -> bool:
        """Does the track's pitch lie on a contour that sweeps like a siren's once it is followed
        into the hops around it, where the same comb was read but too weak to be localized?

        Why: the slow top of a wail can be the only stretch loud and steady enough to localize
        (792 Hz held for 0.4 s, then 5 % down), and on its own it passes every sweep test, while
        the detector read the same comb rising from 669 Hz through the second before it. A horn's
        comb does not come out of, or go on into, a sweep. Only the glide test is applied to the
        followed contour; each step may move at most `_CONTOUR_STEP`, the contour stops at a comb
        localized elsewhere (beyond `gate_deg`): a siren sweeping through a scooter's pitch just
        before it honks is another source, not the scooter's own sweep; and it must reach
        `_CONTOUR_MIN_HOPS` beyond the track, as two or three hops of another comb are no sweep.
        """
        around = self._contour_around(hits, seed)
        if around is None or around.beyond < _CONTOUR_MIN_HOPS:
            return False
        contour = around.pitches
        return (max(contour) - min(contour)) / float(np.median(contour)) > self.cfg.max_pitch_glide

    def _contour_around(self, hits: list[tuple[float, Detection]], seed: float) -> _Contour | None:
        """The track's pitch trajectory followed (`_contour`) into the hops before and after it,
        where the detector read the same comb, localized or not; None without a trajectory."""
        times, traj = _pitch_trajectory(hits, seed, self._pitch_log)
        if len(traj) == 0:
            return None
        before, _, after = self._log_around(float(times[0]), float(times[-1]))
        gate = self.cfg.gate_deg
        pitches = traj.tolist()
        ahead = _contour(before, pitches[0], hits[0][1], gate, prior=pitches[::-1])
        behind = _contour(after, pitches[-1], hits[-1][1], gate, prior=pitches)
        return _Contour(
            t_first=before[len(ahead) - 1][0] if ahead else float(times[0]),
            t_last=after[len(behind) - 1][0] if behind else float(times[-1]),
            pitches=[*ahead, *traj.tolist(), *behind],
            beyond=len(ahead) + len(behind),
        )

    def _took_turns(self, hits: list[tuple[float, Detection]], seed: float, around: bool = False) -> bool:
        """Is the track one turn of a hi-lo siren whose other turns were heard but not localized?

        The other tone: a run a `_HILO_RATIO` away that ends within `_HANDOVER_GAP` hops of the
        track's start and is silent during the track. Then a turn is taken when, just before that
        run, the track's own tone ran (within `_TURN_TONE`): checked when the track closes; or,
        with `around` (when a finished track is released, `merge_gap_s` later, so that what
        followed it is known), when the other tone comes back within `_HANDOVER_GAP` hops of the
        track's end — provided the detector had room to read it during the track (at most one
        comb in three of four hops), since a dual-tone horn's two combs can hide a siren's tone
        for as long as it honks. Runs are at least `_HILO_RUN` hops.

        Why: a hi-lo siren whose two tones are both localized is `_alternating_tones`' case, but
        often only some of its turns are (the others too weak, or not read as a horn's comb at
        all), and a turn alone holds its pitch like a horn (816 Hz for 0.65 s between turns of
        586 Hz, heard but never localized). A horn does not start the moment another tone
        stops, in a place where it could not have been hidden, and stop the moment it resumes;
        that the other tone be silent during the track, and the track's tone during the other's
        run, keeps a horn that merely shares the street with a siren sounding elsewhere (a
        scooter at 494 Hz just as a 573 Hz tone stopped, beside a hi-lo siren's 479 Hz turns).
        """
        _, traj = _pitch_trajectory(hits, seed, self._pitch_log)
        if len(traj) == 0:
            return False
        tone = float(traj[0])
        before, during, after = self._log_around(hits[0][0], hits[-1][0])
        voices = [f for _, d in hits for f in d.f0_hz]

        def partner(f: float) -> bool:
            return _hilo_apart(f, tone) and not any(abs(f / v - 1) <= _CONTOUR_STEP for v in voices)

        other = _run_near(before, 0, partner)
        if other is None:
            return False
        last, first, end = other
        if _hops_reading(during, last) > 0.25 * len(during):
            return False  # the other tone goes on: it is another source, not a turn taken
        if _hops_reading(before[first:end], tone, _TURN_TONE) > 1:
            return False  # the track's tone sounded during the other's run (beyond a handover hop)
        if not around:
            return _run_near(before, end, lambda f: abs(f / tone - 1) <= _TURN_TONE) is not None
        if sum(len(c[1]) <= 1 for c in during) < 0.75 * len(during):
            return False
        return _run_near(after, 0, lambda f: abs(f / last - 1) <= _TURN_TONE) is not None

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
        `_HILO_RUN` hops of the other tone of a hi-lo pair with it (`_HILO_RATIO`), nor of its
        own tone more than `merge_gap_s` away from it (and it is not a run of more than
        `_LONE_MAX_TAPS` beeps, each within `merge_gap_s` of the last, merged like the taps of
        one honk: a beeper that pauses briefly). Runs, not single hops: the combs the
        detector reads now and then in traffic fall at any ratio. And a tone read in
        `_SOUNDS_THROUGH` of the track's hops is another source sounding on (a car's long horn
        beside the e-bike), not a siren's other turn; that turn can be read now and then during
        this one, through the partials the two tones share (a 4:5 pair shares every 4th/5th).
        Nothing read is not nothing sounding, though, where the detector had no room to read
        it: if in most hops of either second its two combs were sources it localized
        (`_slots_taken`: a car's dual-tone horn), the track is not known to be alone (own busy
        scene 73, 64 ch: a hi-lo siren's first turn, its other tone unread under such a horn).
        """
        tone = float(np.median([d.f0_hz[0] for _, d in p.hits]))
        before, during, after = self._log_around(p.hits[0][0], p.hits[-1][0])

        def like(f: float, far: bool) -> bool:
            if far and _interval(f, tone) - 1 <= _TURN_TONE:
                return True  # its own tone again: a beeper's next beep
            # The other tone of a hi-lo pair, unless read through the track: another source.
            return _hilo_apart(f, tone) and _hops_reading(during, f) < _SOUNDS_THROUGH * len(during)

        for side, edge in ((before, p.t_start), (after, p.t_end)):
            hops = [c for c in side if abs(c[0] - edge) <= _LONE_WAIT_S]
            heard = hops[_HANDOVER_GAP:]
            if 2 * sum(_slots_taken(c) for c in heard) > len(heard):
                return False  # the other tone could not have been read: not known to be alone
            j = _HANDOVER_GAP  # the horn's own onset and decay, read a hop or two beyond the track
            while j < len(hops):
                far = abs(hops[j][0] - edge) > self.cfg.merge_gap_s
                f = next((f for f in hops[j][1] if like(f, far)), None)
                if f is None:
                    j += 1
                    continue
                run = 1 + len(_contour(hops[j + 1 :], f, None, 0.0))
                if run >= _HILO_RUN:
                    return False
                j += run
        return True

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

    def _log_around(self, t0: float, t1: float) -> tuple[list[_Combs], list[_Combs], list[_Combs]]:
        """The pitch log's hops before `t0` (nearest first), from `t0` to `t1`, and after `t1`."""
        eps = 1e-6  # hop times are hop centres; a hit's time is its hop's
        before = [c for c in reversed(self._pitch_log) if c[0] < t0 - eps]
        during = [c for c in self._pitch_log if t0 - eps <= c[0] <= t1 + eps]
        after = [c for c in self._pitch_log if c[0] > t1 + eps]
        return before, during, after

    def _siren_heard(self, hits: list[tuple[float, Detection]]) -> None:
        """Remember a siren's hops; what waits for release from near it goes too (see `_near`)."""
        self._sirens.append(hits)
        self._drop_pending(lambda p: _near(p.hits, hits), "near_siren")

    def _release_pending(self, now: float) -> list[ClosedTrack]:
        out = []
        keep = []
        for p in self.pending:
            waiting = any(
                t.t_start - p.t_end <= self.cfg.merge_gap_s
                and detection_angle(p.hits[-1][1], t.hits[0][1]) <= self.cfg.gate_deg
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


_SETTLE = 0.04  # pitch range below which a track's slope is not read as a sweep
_SHORT_STEP = 0.05  # the same for a piece of two or three pitches
_ONSET_STEP = 0.08  # the largest rise of a horn's pitch at its onset (simulated: 6-7 %)
_VOICE = 0.03  # one voice's pitch over a track: Doppler and the pitch estimate's scatter
_ONSET_HOPS = 2  # hops (0.1 s) an echo may take to outweigh the direct sound after the onset
_HELD = 0.02  # a pitch held from one hop to the next (Doppler moves it < 1 %)
_ARC = 0.03  # rise-and-fall (or fall-and-rise) of a wail's top (bottom)
_SIREN_HOLD_S = 2.0  # a siren exempts its direction this long around the hops it was heard in
# Around a siren's hops: 5° (an emergency vehicle's horn is within 4° of its roof's siren 20 m away),
# growing 5°/s with the time to the nearest siren hop. Was 8° and 15°/s: with the siren read
# 0.4 s later, that covered 14° and dropped a car honking 8° from a wail (independent scene
# spiral64-11). A siren sounds on: its hops are rarely more than a few tenths of a second apart.
_SIREN_NEAR_DEG = 5.0
_DROPPED_HOLD_S = 1.0  # a dropped track's hops, for `_heard_elsewhere` (strays lie within `_STRAY_SLACK_S`)
_SIREN_DRIFT = 5.0  # °/s: how far from its last heard direction a siren may have moved
_HILO_RATIO = (1.12, 1.5)  # two-tone sirens: 1.2–1.4 (e.g. 450/600 Hz, 770/960 Hz)
_HILO_RUN = 3  # hops (0.15 s) of one tone alone; a hi-lo siren holds each for 0.35–0.8 s
_HILO_TURN = 8  # hops (0.4 s): two such runs, one tone then the other, are a whole turn
_HILO_HOLD = 6  # hops (0.3 s): a tone held so, three times over, is a turn whatever else was read
_STEP_HOLD = 2  # hops of each tone when a track steps once from one to the other (`_alternating_tones`)
# A hop's time, the pitches of every comb read, the detections localized, and of those pitches
# the square waves' (`HopObservation.square_pitches`).
_Combs = tuple[float, tuple[float, ...], tuple[Detection, ...], tuple[float, ...]]
_CONTOUR_HOPS = 60  # 3 s of every hop's combs, for `Tracker._swept`
_CONTOUR_MIN_HOPS = 4  # 0.2 s beyond the track: a sustained sweep, not scraps of another comb
_CONTOUR_STEP = 0.06  # a wail moves 3–5 % a hop; more is another source's comb
_SWEEP_STEP = 0.01  # a pitch step a hop that only a sweep keeps up
_SWEEP_STEPS = 3  # such steps in a row (the same way): a sweep under way
# Hops of a square-wave honk, its taps together: a single beep of two hops (0.1 s) is never a
# horn on its own, but an e-bike's double press of two such taps is (at least 0.15 s was asked of
# each tap before, which missed such double presses on the independent scenes).
_LONE_MIN_HOPS = 3
_TOGETHER_S = 0.1  # two hops: a horn's voices begin together (an e-bike and a car 0.65 s apart were merged)
_SOUNDS_THROUGH = 0.75  # of a track's hops: a tone read in so many sounds on beside it (0.25 let sirens by)
_LONE_MAX_TAPS = 3  # an e-bike rider presses at most three times in a honk; a beeper beeps on
_LONE_WAIT_S = 1.0  # around a square-wave track: a siren's other turn or a beeper's next beep
_HANDOVER_GAP = 2  # hops between one tone of a hi-lo siren stopping and the other starting
_TURN_TONE = 0.04  # a hi-lo tone's pitch from one turn to its next (Doppler of a slow approach)
_PATH_RMS_DEG = 0.5  # a straight line that misses a track's hops by more cuts a curve
_STRAY_HITS = 3  # hops a comb localized astray holds before its source's own hops take it back
_STRAY_SLACK_S = 0.2  # four hops: the astray hops may lead or trail the source's own track (0.15 s seen)
_STRAY_PITCH = 0.02  # the same horn's pitch, hop to hop, onset settling aside
_ECHO_LAG_S = 0.1  # two hops: a reflection localized from then on; two cars honking at once start together
_SQUARE_BEFORE = 3  # hops (0.15 s) of a square wave held at a track's pitch just before it
# Hop powers of one comb scatter by a dB or so: placed astray it may read a shade louder than at
# its source (0.4 dB, a scooter's comb sharing its bins with a siren's tone, own busy scene 60).
_STRAY_LOUDER = 10 ** (1.0 / 10)
# A dual-tone horn's two voices (a minor third to a fourth apart: 1.19-1.33), which start together.
_DUAL_TONE = (1.15, 1.4)
_STRAY_MULTIPLES = (1, 2, 3)  # a comb of its partials read where its lower ones are notched
_STRAY_PITCH_WINDOW_S = 0.5  # the other track's pitches this close to a hop: its pitch then (see below)
_TUNE_HOLD_S = 6.0  # how far back a tune is followed: music changes chord every 1-2 s
_TUNE_TRACKS = 4
_TUNE_PITCHES = 4  # one horn sounds at most three (an air horn's chord)
_TUNE_GAP_S = 1.5  # music goes on: its notes follow one another (1.25 s apart seen)
_TUNE_NEAR_DEG = 6.0
_TUNE_DRIFT = 10.0  # °/s: a car 8 m from the pole sweeps ~15°/s (21°/s seen on its mirror image)
_TUNE_PITCH = 0.04  # below a semitone (6 %): a tune's notes are at least that far apart
_TUNE_MULTIPLES = (1 / 3, 1 / 2, 1.0, 2.0, 3.0)
_GHOST_NEAR_DEG = 10.0  # a comb of another source's partials localizes near it (4° seen)
_GHOST_RATIOS = (1 / 2, 2 / 3, 3 / 2, 2.0, 5 / 2, 3.0, 4.0)  # not 4/3, 5/4: dual-tone horn intervals
_HELD_RATIOS = (1 / 3, 1 / 2, 2 / 3, 1.0, 3 / 2, 2.0, 3.0)  # one voice, or a comb of its partials
_HELD_MIN_HOPS = 4  # `_holds_a_pitch`: fewer, a tap's pitch may not have settled


def _slots_taken(c: _Combs) -> bool:
    """Were both combs the detector read in hop `c` sources it localized? Then a weaker tone
    could not have been read there: the detector keeps two combs a hop, the strongest, and a
    comb too weak to be localized would have yielded its place."""
    localized = {f for d in c[2] for f in d.f0_hz}
    return len(c[1]) >= 2 and all(f in localized for f in c[1])


def _interval(a: float, b: float) -> float:
    """The ratio of the higher of two pitches to the lower (≥ 1)."""
    return max(a / b, b / a)


def _hilo_apart(a: float, b: float) -> bool:
    """Are two pitches as far apart as a hi-lo siren's two tones (`_HILO_RATIO`)?"""
    return _HILO_RATIO[0] <= _interval(a, b) <= _HILO_RATIO[1]


def _hops_reading(hops: Iterable[_Combs], f: float, tol: float = _CONTOUR_STEP) -> int:
    """How many of `hops` the detector read a comb in within `tol` of pitch `f`."""
    return sum(any(abs(g / f - 1) <= tol for g in c[1]) for c in hops)


def _tones(hits: list[tuple[float, Detection]]) -> list[float]:
    """A track's pitches: each voice (within 3 %) heard in at least a third of its hops, so a
    hop's stray comb is not one of them."""
    return [float(np.median(c)) for c in _pitch_clusters(hits) if len(c) >= len(hits) / 3]


def _pitch_clusters(hits: list[tuple[float, Detection]]) -> list[list[float]]:
    """Every pitch the track's hops read, sorted and grouped: each group spans at most 3 % above
    its lowest pitch (one voice, Doppler and the pitch estimate's scatter included)."""
    pitches = sorted(f for _, d in hits for f in d.f0_hz)
    clusters: list[list[float]] = []
    for f in pitches:
        if clusters and f <= clusters[-1][0] * (1 + _VOICE):
            clusters[-1].append(f)
        else:
            clusters.append([f])
    return clusters


def _distinct(pitches: list[float]) -> list[float]:
    """The pitches, one of each group that `_related` joins."""
    out: list[float] = []
    for f in pitches:
        if not _related([f], out):
            out.append(f)
    return out


def _related(a: list[float], b: list[float]) -> bool:
    """Could two tracks' pitches be one horn's: a voice in common (within `_TUNE_PITCH`), or one
    read an octave or a twelfth off (a comb of its upper partials, or of every other one)?"""
    return any(abs(f * k / g - 1) <= _TUNE_PITCH for f in a for g in b for k in _TUNE_MULTIPLES)


def _same_source(hits: list[tuple[float, Detection]], other: list[tuple[float, Detection]]) -> bool:
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


def _overtone_ghost(hits: list[tuple[float, Detection]], other: list[tuple[float, Detection]]) -> bool:
    """True when a track is a comb made of another, louder source's partials, not a horn of its own.

    A dual-tone horn's two voices share overtones (3 × 430 Hz ≈ 2 × 640 Hz …), so the detector may
    read a third "comb" off them; it holds only scraps of the source's energy, localizes off it
    and would put a fine on the neighbour. Such a track lives inside the louder track's time
    (≥ 80 % of its hops), is weaker, lies within `_GHOST_NEAR_DEG` of it (its energy is that
    source's: 4° off seen), and its pitch is a simple ratio of one of that track's voices. A car
    honking 21° away at 3/2 of a louder truck's pitch is a horn of its own (seen, and was lost).
    """
    times = {_hop_key(t) for t, _ in other}
    if sum(_hop_key(t) in times for t, _ in hits) < 0.8 * len(hits):
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


def _heard_elsewhere(hits: list[tuple[float, Detection]], other: list[tuple[float, Detection]]) -> bool:
    """True when a track is another track's horn heard from somewhere else, not a horn of its own.

    Two ways: a horn's comb is now and then placed away from its source for a hop or two (its
    upper voice at the onset, before the lower one is heard, 6° off; a sidelobe winning while a
    beeper masks part of the comb, 38° off; a spot between the horn and a siren beside it); and a
    façade's reflection of the horn, which arrives later and weaker, is localized where the
    façade mirrors the vehicle (25–50° aside) in the hops where the direct sound is notched by
    the road's reflection. Either track lies within the other's time (give or take
    `_STRAY_SLACK_S`), is not louder per hop (beyond `_STRAY_LOUDER`), and every hop's pitch
    is one the other track sounds within `_STRAY_PITCH_WINDOW_S` of that hop (within
    `_STRAY_PITCH`; or twice or three times it, a comb of its upper partials that the detector
    reads where the road's reflection notches the lower ones). Around that moment, not anywhere
    in its track: a bus pulling away glides 8 % in 1.4 s (Doppler), and twice its pitch of a
    second earlier was a car's taps. Not closer either: the other track may read its own comb an
    octave or a twelfth up for a few hops (a bus's 304 Hz horn read as 913 Hz beside a stray read
    as 609 Hz, its 304 Hz 0.3 s later). A stray may also be the other voice of the other track's
    dual-tone horn (`_DUAL_TONE` from its pitch), begun with it (within `_TOGETHER_S`): the
    lower voice of a car's 404/527 Hz horn placed 6° toward a hi-lo siren for its first two
    hops, a wrong fine there (own validation scene 20, 64 ch).
    A stray track is short (at most `_STRAY_HITS` hits); a reflection starts at least
    `_ECHO_LAG_S` after the source.
    Two vehicles with the same horn honking together still make two events (the CLEAN-SC case),
    and so does a second one that starts first or ends apart; one that starts during the other's
    honk, at its pitch and quieter (or louder by less than 1 dB), is lost — a missed honk, not a
    fine at the wrong place — and so is a quieter tap of at most three hops, begun with the
    other's horn, at the interval of a dual-tone horn's second voice.
    Judged on the track's hops the comb search placed (`Detection.looked` ones only hold it
    together): one looked hop more made a stray of a music source's comb too long to be one.
    """
    hits = _searched(hits)
    stray = len(hits) <= _STRAY_HITS and len(hits) < len(other)
    if not (stray or hits[0][0] >= other[0][0] + _ECHO_LAG_S - 1e-6):
        return False
    t0, t1 = other[0][0] - _STRAY_SLACK_S, other[-1][0] + _STRAY_SLACK_S
    if not all(t0 <= t <= t1 for t, _ in hits):
        return False
    if np.mean([d.power for _, d in hits]) > _STRAY_LOUDER * np.mean([d.power for _, d in other]):
        return False
    if stray and abs(hits[0][0] - other[0][0]) <= _TOGETHER_S + 1e-6:
        tone = float(np.median([d.f0_hz[0] for _, d in other]))
        if all(_DUAL_TONE[0] <= _interval(d.f0_hz[0], tone) <= _DUAL_TONE[1] for _, d in hits):
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

    return all(np.any(np.abs(sounding(t) / d.f0_hz[0] - 1) <= _STRAY_PITCH) for t, d in hits)


def _hop_key(t: float) -> float:
    """A hop's time as a key: hits and the pitch log stamp a hop with the same centre, rounded
    so that sums computed on different paths still meet."""
    return round(t, 4)


def _merge_close(dets: list[Detection], within_deg: float) -> list[Detection]:
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


def sum_db(a: float | None, b: float | None) -> float | None:
    """Level of two incoherent parts (either may be unknown)."""
    if a is None or b is None:
        return a if b is None else b
    return float(10 * np.log10(10 ** (a / 10) + 10 ** (b / 10)))


def _pitch_trajectory(
    hits: list[tuple[float, Detection]], seed: float, log: Iterable[_Combs] = ()
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
    read = {_hop_key(t): pitches for t, pitches, _, _ in log}
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
    `_hop_key`) within `_HELD` of the last one is preferred to a farther localized one."""
    out: list[tuple[float, float]] = []
    last = seed
    for when, d in hits:
        cands = np.array([f * k for f in d.f0_hz for k in (0.5, 1.0, 2.0)])
        rel = np.abs(cands / last - 1)
        i = int(np.argmin(rel))
        if rel[i] > _HELD:
            held = np.array([f for f in read.get(_hop_key(when), ()) if abs(f / last - 1) <= _HELD])
            if held.size:
                cands, rel = held, np.abs(held / last - 1)
                i = int(np.argmin(rel))
        if rel[i] <= 0.10:
            last = float(cands[i])
            out.append((when, last))
    return out


def _contour(
    hops: list[_Combs],
    start: float,
    at: Detection | None,
    gate_deg: float,
    prior: list[float] | None = None,
) -> list[float]:
    """Pitches followed from `start` through consecutive `hops` (nearest first): the closest comb
    within `_CONTOUR_STEP` of the last one, until a hop has none or that comb was localized more
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
        if (best is None or abs(best / last - 1) > _CONTOUR_STEP) and prior is not None:
            read, best = _octave_slip(pitches, [*prior, *out]) or (None, None)
        if best is None or abs(best / last - 1) > _CONTOUR_STEP:
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
    return best if best is not None and abs(best[1] / last - 1) <= _CONTOUR_STEP else None


def _run_near(hops: list[_Combs], start: int, fits: Callable[[float], bool]) -> tuple[float, int, int] | None:
    """A run of at least `_HILO_RUN` hops of a tone that `fits`, beginning within `_HANDOVER_GAP`
    hops of `hops[start]` (nearest first) and followed by `_contour`: (its farthest pitch, the
    index of its first hop, the index just past it), or None."""
    for j in range(start, min(start + _HANDOVER_GAP + 1, len(hops))):
        f = next((f for f in hops[j][1] if fits(f)), None)
        if f is not None:
            run = [f, *_contour(hops[j + 1 :], f, None, 0.0)]
            return (run[-1], j, j + len(run)) if len(run) >= _HILO_RUN else None
    return None


def _siren_like(
    hits: list[tuple[float, Detection]],
    seed: float,
    max_glide: float,
    max_rate: float,
    arc: bool = True,
    log: Iterable[_Combs] = (),
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
    times, traj = _pitch_trajectory(hits, seed, log)
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
    fourth hop, past the two settling hops `_siren_like` allows: a truck 12 m away (90 dB(A) at
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
    step = _hop_step(hits)
    keep = np.ones(len(traj), bool)
    for i in range(1, len(traj) - 1):
        a, b, c = traj[i - 1], traj[i], traj[i + 1]
        adjacent = times[i] - times[i - 1] <= 1.5 * step and times[i + 1] - times[i] <= 1.5 * step
        if adjacent and abs(c / a - 1) <= _HELD and min(abs(b / a - 1), abs(b / c - 1)) > _HELD:
            keep[i] = False
    return times[keep], traj[keep]


def _holds_a_pitch(hits: list[tuple[float, Detection]]) -> bool:
    """Do two consecutive hops of the track read one pitch (within `_VOICE`), or the one's comb
    at a simple multiple of the other's (`_HELD_RATIOS`)? Also True for a track of fewer than
    `_HELD_MIN_HOPS` hops: a tap's pitch may not settle in its two or three.

    Why: a horn holds its pitch, so hop after hop the comb search reads its voice again, or a
    comb of its partials (at 2 or 3/2 times its pitch). A car stereo's notes change every hop or
    two: a car playing music while it passed under the pole, 7 m away, read 203, 194, 205 and
    264 Hz in four hops and made an event (independent scene spiral64-25), the tune rule
    (`_melody`) having had no earlier notes to go on (its car swept 40° in a second). Of the
    other 110 events on the independent and recorded-horn scenes, every one held a pitch so.
    Not on taps: a bus's 233/282 Hz tap read 699 and 464 Hz, then 562 Hz, in its two hops, and
    three taps would have been cut from their honks' events."""
    if len(hits) < _HELD_MIN_HOPS:
        return True
    step = _hop_step(hits)
    pairs = [(a, b) for a, b in itertools.pairwise(hits) if b[0] - a[0] <= 1.5 * step]
    return any(
        abs(f / (g * k) - 1) <= _VOICE
        for a, b in pairs
        for f in a[1].f0_hz
        for g in b[1].f0_hz
        for k in _HELD_RATIOS
    )


def _hop_step(hits: list[tuple[float, Detection]]) -> float:
    """The hop spacing of a track's hits (their closest two), 0 for a single hit: the trajectory
    tests tell consecutive hops from a gap by it."""
    return float(np.diff([t for t, _ in hits]).min()) if len(hits) > 1 else 0.0


def _past_onsets(hits: list[tuple[float, Detection]], times: np.ndarray, traj: np.ndarray) -> np.ndarray:
    """The pitch trajectory without the first pitch of each stretch of the track: its first hop,
    and the first after each gap of two hops or more (a new tap, bridged by the hangover).

    Why: a horn's pitch settles anew at every onset, so a triple tap held in one track falls and
    rises like a wail's bottom: a truck's air horn (279-287 Hz, two taps 0.1 s apart in one
    track, the second's first pitch 277 Hz) was dropped as a siren, and its first tap with it
    (independent scene spiral32-18). A wail's top or bottom lasts a second: one pitch fewer does
    not hide it."""
    t_hits = np.array([t for t, _ in hits])
    step = _hop_step(hits)
    starts = [t_hits[0], *t_hits[1:][np.diff(t_hits) > 2.5 * step]] if step > 0 else [t_hits[0]]
    drop = {int(np.searchsorted(times, t0 - 1e-9)) for t0 in starts}
    return np.array([f for i, f in enumerate(traj) if i not in drop])


def _near(hits: list[tuple[float, Detection]], siren: list[tuple[float, Detection]]) -> bool:
    """Is any of `hits` within `_SIREN_NEAR_DEG` (plus `_SIREN_DRIFT` per second between the two,
    for the siren's motion between its hops) of where the siren was heard at the nearest time,
    at most `_SIREN_HOLD_S` away?

    Why: a siren's steadier stretches — the slow top and bottom of a wail, an ambulance passing
    under the pole — make tracks too short to show its sweep, next to the tracks that do show
    it; and whatever sounds from an emergency vehicle while its siren runs, its horn included,
    is exempt. A car honking within a few degrees of a passing ambulance is lost with it: a
    missed honk, not a wrong fine."""
    return any(_reaches(h, siren, _SIREN_HOLD_S, _SIREN_NEAR_DEG, _SIREN_DRIFT) for h in hits)


def _alternating_tones(hits: list[tuple[float, Detection]], log: Sequence[_Combs]) -> bool:
    """A two-tone (hi-lo) siren: two pitches a ratio of `_HILO_RATIO` apart that take turns —
    runs of at least `_HILO_RUN` hops with only one of them, at least three runs (lo-hi-lo), or
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
    """
    clusters = _pitch_clusters(hits)
    if len(clusters) < 2:
        return False
    big = sorted(clusters, key=len, reverse=True)[:2]
    lo, hi = sorted(float(np.median(c)) for c in big)
    if not _hilo_apart(hi, lo):
        return False

    def at(f: float, tone: float) -> bool:
        return abs(f / tone - 1) <= _VOICE

    def either(f: float) -> bool:  # one of the two tones, or a partial of one read as a comb
        return any(at(f, k * tone) for tone in (lo, hi) for k in (1, 2, 3))

    read = {_hop_key(t): pitches for t, pitches, _, _ in log}
    labels, held = [], []
    for t, d in hits:
        has_lo = any(at(f, lo) for f in d.f0_hz)
        has_hi = any(at(f, hi) for f in d.f0_hz)
        if not (has_lo or has_hi):
            continue
        label = "both" if has_lo and has_hi else ("lo" if has_lo else "hi")
        held.append(label)
        third = any(not either(f) for f in read.get(_hop_key(t), ()))
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
    return sum(n >= _HILO_RUN for n in runs) >= 3 or sum(n >= _HILO_TURN for n in runs) >= 2


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


def _searched(hits: list[tuple[float, Detection]]) -> list[tuple[float, Detection]]:
    """The hops the comb search placed, or all of them when there are none: a track's
    `Detection.looked` hops hold it together but say nothing of where or what it is."""
    return [h for h in hits if not h[1].looked] or hits


def same_voice(a: float, b: float) -> bool:
    """Is pitch `a` pitch `b` within one voice's scatter (`_VOICE`), or an octave of it (the comb
    search's usual misreading)?"""
    r = a / b
    return any(abs(r / m - 1) <= _VOICE for m in (0.5, 1.0, 2.0))


def detection_angle(a: Detection, b: Detection) -> float:
    """Angle in degrees between two detections' directions."""
    return angle_deg(a.azimuth_deg, a.elevation_deg, b.azimuth_deg, b.elevation_deg)


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
    hits = _searched(hits)
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
