"""The analysis loop: blocks in, horn events out — the same code for live capture and replay.

Per hop (≈ 50 ms): multichannel STFT → channel health and wind → harmonicity, through beams over
the view at low frequency (and, when present, the classifier) → localization of each horn comb
over the focus grid → a beam toward each open track no comb continued, searched again
(`Analyzer._look_again`) → tracker. `feed` accepts blocks of any size and returns the events that
closed; `flush` closes what is open at the end of a stream. Observers get one `HopInfo` per hop
(the report's timelines).
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from edge.analysis.beam import beam_frames, beam_spectra, overlap_add
from edge.analysis.config import AnalysisConfig
from edge.analysis.detection_beams import DetectionBeams, beams_separate
from edge.analysis.detections import (
    Detection,
    HopObservation,
    TrackFate,
    detection_angle,
    same_voice,
    sum_db,
    track_direction,
    track_fate,
)
from edge.analysis.events import HornEvent, SoundMap
from edge.analysis.grid import FocusModel, default_step_deg, make_grid, view_bounds
from edge.analysis.harmonics import HarmonicDetector, HarmonicEvidence, HarmonicFamily
from edge.analysis.health import ChannelHealth
from edge.analysis.levels import a_weighting_power, spl_db
from edge.analysis.localizer import Localizer
from edge.analysis.reflection import BlindReflection, resolves_image
from edge.analysis.road import RoadModel, RoadSnapshot
from edge.analysis.stft import Hop, StreamingStft
from edge.analysis.tracker import ClosedTrack, Tracker
from edge.analysis.verdict import ClassifierVerdict
from edge.errors import UserFacingError
from edge.geometry.camera import Camera
from edge.geometry.profiles import Mount
from edge.scene import CameraSpec

_PRE_ROLL_S = 0.4  # audio before a track's first hop that the classifier hears with it
# A gap's silence analysed before the clock jumps: longer than every wait of the tracker (hangover,
# double-tap merge 0.4 s) and the detector's restart, so nothing of the time before is still open.
_GAP_FILL_S = 2.0
_GAP_PIECE_S = 0.25  # in pieces, so the hops of the fill are not all held at once
_ROAD_HOPS = 5  # hops nearest the event's reference time pooled for its road fit (≈ 0.25 s)


@dataclass(frozen=True)
class HopInfo:
    """What one hop looked like, for timelines and health reports."""

    t: float
    p_horn: float
    level_db: float | None
    peaks: tuple[tuple[float, float, float], ...]  # (azimuth, elevation, power)
    wind: bool
    healthy_channels: int
    f0_hz: tuple[float, ...]


class Analyzer:
    def __init__(
        self,
        config: AnalysisConfig,
        positions_m: np.ndarray,
        sample_rate: int,
        camera: CameraSpec | None = None,
        mount: Mount | None = None,
        full_scale_pa: float | None = None,
    ) -> None:
        pos = np.asarray(positions_m, dtype=float)
        if pos.ndim != 2 or pos.shape[1] != 3 or len(pos) < 2:
            raise UserFacingError(
                f"array positions must be at least two rows of [x, y, z], got shape {pos.shape}"
            )
        self.cfg = config
        self.positions = pos
        self.sample_rate = int(sample_rate)
        self.full_scale_pa = full_scale_pa
        self.camera = Camera(camera) if camera is not None else None
        self.stft = StreamingStft(
            len(pos),
            self.sample_rate,
            config.stft.hop_s,
            config.stft.snapshots_per_hop,
            max_freq_hz=1.05 * config.detector.band_max_hz,
        )
        freqs = self.stft.freqs
        hop_s = self.stft.hop / self.sample_rate
        if config.detector.band_max_hz >= self.sample_rate / 2:
            raise UserFacingError(
                f"detector.band_max_hz {config.detector.band_max_hz:g} Hz must be below half the sample rate "
                f"({self.sample_rate} Hz): horns are told from sirens and beepers by their partials up to "
                f"~6.5 kHz, so record at 16 kHz or more (or lower it with --set detector.band_max_hz=…)"
            )
        self.detector = HarmonicDetector(config.detector, freqs, hop_s, config.tracker.small_horn_min_f0_hz)
        self.health = ChannelHealth(config.health, len(pos), freqs, hop_s)
        lc = config.localizer
        self.focus = FocusModel(mount, lc.focus_distance_m, lc.horn_height_m, lc.focus_min_m, lc.focus_max_m)
        step = lc.coarse_step_deg or default_step_deg(pos, lc.coarse_max_hz, lc.speed_of_sound)
        bounds = view_bounds(self.camera, lc.margin_deg, lc.floor_deg)
        self.grid = make_grid(bounds, step, self.focus)
        self.localizer = Localizer(lc, pos, freqs, self.grid, self.focus)
        self.beams = (
            DetectionBeams(self.localizer.model, freqs, bounds, self.focus, config.detector.beam_max_hz)
            if config.detector.beam_max_hz > 0
            and beams_separate(pos, config.detector.beam_max_hz, lc.speed_of_sound)
            else None
        )
        self.reflection = (
            BlindReflection(self.localizer.model, freqs, lc.focus_distance_m)
            if lc.ground_reflection > 0
            and resolves_image(pos, config.detector.band_max_hz, lc.speed_of_sound)
            else None
        )
        self.road = (
            RoadModel(pos, freqs, lc.speed_of_sound, self.focus, lc.ground_reflection, lc.behind_ratio)
            if mount is not None and lc.ground_reflection > 0
            else None
        )
        dc = config.detector
        self.tracker = Tracker(config.tracker, dc.threshold, dc.release, dc.f0_max_hz)
        self.verdict = ClassifierVerdict(dc.classifier_variant) if dc.use_classifier else None
        self._a_weight = a_weighting_power(freqs)
        self._df = float(freqs[1] - freqs[0])
        self._window: deque[Hop] = deque(maxlen=lc.snapshot_hops)
        self._recent: deque[Hop] = deque(maxlen=max(1, round(_PRE_ROLL_S / hop_s)))
        self._observers: list[Callable[[HopInfo], None]] = []
        self._fate_observers: list[Callable[[TrackFate], None]] = []
        self._expected = 0
        # Counters for `honk-edge bench`: work and time spent in the beamforming kernel.
        self.beamforming_flops = 0.0
        self.beamforming_seconds = 0.0
        self.maps = 0
        # Counters for the node's heartbeat: hops analysed, and those in which wind blew.
        self.hops = 0
        self.wind_hops = 0

    def add_observer(self, fn: Callable[[HopInfo], None]) -> None:
        self._observers.append(fn)

    def add_track_observer(self, fn: Callable[[TrackFate], None]) -> None:
        """`fn` is told what became of every track: "event", or the rule that dropped it."""
        self._fate_observers.append(fn)
        self.tracker.on_fate = self._tell

    def _tell(self, fate: TrackFate) -> None:
        for fn in self._fate_observers:
            fn(fate)

    def _tell_closed(self, c: ClosedTrack, fate: str) -> None:
        if self._fate_observers:
            self._tell(track_fate(c.hits, c.t_start, c.t_end, fate))

    def feed(self, block: np.ndarray, start_sample: int | None = None) -> list[HornEvent]:
        """Analyse one block (frames, channels); return the horn events that closed in it.

        `start_sample` (stream clock) lets a live source report dropped blocks: the gap is filled
        with silence so stream time stays true; going backwards is refused.
        """
        block = np.asarray(block)
        if block.ndim != 2 or block.shape[1] != len(self.positions):
            raise UserFacingError(
                f"audio block must have shape (frames, {len(self.positions)}), got {tuple(block.shape)}"
            )
        start = self._expected if start_sample is None else start_sample
        if start < self._expected:
            raise UserFacingError(
                f"audio block starts at sample {start}, before the end of the previous one ({self._expected})"
            )
        events = self._gap(start - self._expected)
        self._expected = start + len(block)
        return events + self._process(self.stft.push(block))

    def _gap(self, n: int) -> list[HornEvent]:
        """`n` samples that never arrived (a device outage, an analysis that fell behind): silence.
        The first `_GAP_FILL_S` of it go through the whole analysis in pieces, so a horn cut off by
        the gap closes as its event (returned, not lost) and the detector restarts on the silence;
        the rest only advances the clock, so an outage of minutes costs neither minutes of
        transforms nor memory in proportion to it."""
        events: list[HornEvent] = []
        fill = min(n, round(_GAP_FILL_S * self.sample_rate))
        piece = max(1, round(_GAP_PIECE_S * self.sample_rate))
        for done in range(0, fill, piece):
            zeros = np.zeros((min(piece, fill - done), len(self.positions)), np.float32)
            events.extend(self._process(self.stft.push(zeros)))
        if n > fill:
            self.stft.skip_silence(n - fill)
        return events

    def flush(self) -> list[HornEvent]:
        """End of stream: close every open track and return the remaining events."""
        return [e for e in (self._event(c) for c in self.tracker.flush()) if e is not None]

    # ------------------------------------------------------------------

    def _process(self, hops: list[Hop]) -> list[HornEvent]:
        events: list[HornEvent] = []
        for hop in hops:
            events.extend(e for e in (self._event(c) for c in self._analyse(hop)) if e is not None)
        return events

    def _analyse(self, hop: Hop) -> list[ClosedTrack]:
        self._window.append(hop)
        sv = hop.spectra.view(np.float32)  # (F, M, 2K): |X|² without complex temporaries
        power_fm = np.einsum("fmk,fmk->fm", sv, sv)  # (F, M) summed over snapshots
        health = self.health.update(hop.spectra, power_fm, self.stft.power_scale)
        self.hops += 1
        self.wind_hops += int(health.wind)
        healthy = health.healthy
        power = power_fm[:, healthy].sum(1) / (int(healthy.sum()) * hop.spectra.shape[2])
        if health.silent:  # no signal: nothing to detect, and no background to learn from it
            self.detector.restart()
            evidence, background = HarmonicEvidence(()), power
        else:
            beamed = self.beams.power(hop.spectra, healthy) if self.beams is not None else None
            evidence, background = self.detector.update(power, beamed)
        detections: list[Detection] = []
        self._place(evidence.families, evidence.families, power, background, healthy, detections)
        families = evidence.families
        if not health.silent and self.cfg.detector.look_again:
            families = (*families, *self._look_again(hop, healthy, power, background, detections))
        adv = self.stft.advance
        obs = HopObservation(
            t_start=(hop.start_sample + adv / 2) / self.sample_rate,
            t_end=(hop.start_sample + hop.hop + adv / 2) / self.sample_rate,
            t_decided=hop.t_decided,
            detections=tuple(detections),
            wind=health.wind,
            pitches=tuple(f.f0_hz for f in families),
            square_pitches=tuple(f.f0_hz for f in families if f.square),
        )
        if self._observers:
            band = (power * self._a_weight).sum() * self.stft.power_scale
            info = HopInfo(
                t=hop.t_center,
                p_horn=evidence.score,
                level_db=spl_db(float(band), self.full_scale_pa),
                peaks=tuple((d.azimuth_deg, d.elevation_deg, d.power) for d in detections),
                wind=health.wind,
                healthy_channels=int(healthy.sum()),
                f0_hz=tuple(f.f0_hz for f in families),
            )
            for fn in self._observers:
                fn(info)
        closed = self.tracker.update(obs)
        if self.verdict is not None:
            self._recent.append(hop)
            for t in self.tracker.active:
                d = t.last
                # A new track also gets the recent past (pre-roll), so the classifier hears the onset
                # in context; every open track, hangover included, keeps listening.
                hops = list(self._recent) if not t.beam else [hop]
                for h in hops:
                    t.beam.extend(beam_frames(h, self._beam(h, healthy, d)))
        return closed

    def _beam(self, hop: Hop, healthy: np.ndarray, d: Detection) -> np.ndarray:
        """(F, K) the hop's snapshots beamformed toward detection `d`."""
        return beam_spectra(
            hop, self.localizer.model, self.stft.freqs, healthy, d.azimuth_deg, d.elevation_deg, d.distance_m
        )

    def _look_again(
        self,
        hop: Hop,
        healthy: np.ndarray,
        power: np.ndarray,
        background: np.ndarray,
        detections: list[Detection],
    ) -> tuple[HarmonicFamily, ...]:
        """Search a comb in a beam toward each open track that no detection of this hop continues,
        and add its source to `detections` where it is placed on that track; the combs found.

        Why: the comb search hears the mean spectrum above `beam_max_hz`, where the quieter of
        two horns sounding at once, or a small horn a few dB under the traffic, shows too few of
        its partials in most hops. Once a hop has placed it, a beam toward that place passes its
        partials whole and weakens the rest of the street: on the independent scenes such horns
        were placed in one hop of three to ten and lost as too short (a car tapping 2 dB under
        the one honking 11° beside it, credited to that car; a bus 39 m away beside a scooter).
        One beam per open track costs little; the tracker's rules still judge the longer track.
        Only a comb at a pitch the track itself was heard at (or an octave of it): the beam's
        lobe is wide at low pitch, and a neighbour's comb heard through it was placed 6° from
        that neighbour on a stray track. Such hops are `Detection.looked`: they continue a
        track and never decide it, since an engine's comb through the beam can score high too.
        """
        gate = self.cfg.tracker.gate_deg
        found: list[HarmonicFamily] = []
        for t in self.tracker.active:
            d = t.last
            if any(detection_angle(d, o) <= gate for o in detections):
                continue
            y = self._beam(hop, healthy, d)
            beam = (y.real**2 + y.imag**2).mean(1)
            heard = {f for _, h in t.hits if not h.looked for f in h.f0_hz}
            for fam in self.detector.look(beam):
                if not any(same_voice(fam.f0_hz, f) for f in heard):
                    continue  # another sound through the beam (the lobe is wide at low pitch)
                placed: list[Detection] = []
                self._place((fam,), (fam,), power, background, healthy, placed)
                # Its strongest source, not a weaker one that CLEAN-SC found beside it.
                if (
                    placed
                    and detection_angle(placed[0], d) <= gate
                    and all(detection_angle(placed[0], o) > gate for o in detections)
                ):
                    detections.append(replace(placed[0], looked=True))
                    found.append(fam)
                    break
        return tuple(found)

    def _place(
        self,
        fams: tuple[HarmonicFamily, ...],
        every: tuple[HarmonicFamily, ...],
        power: np.ndarray,
        background: np.ndarray,
        healthy: np.ndarray,
        detections: list[Detection],
    ) -> None:
        """Localize each comb of `fams` (scored at least `release`; its bins apart from those of
        the other combs of `every`) and add its sources to `detections`, or its voice to the
        source already placed there."""
        for fam in fams:
            if fam.score < self.cfg.detector.release:
                continue
            bins, weights = _own_bins(fam, [f for f in every if f is not fam], self._df)
            if len(bins) < 3:
                continue
            x = np.concatenate([h.spectra[bins] for h in self._window], axis=2)
            t0 = time.perf_counter()
            known = [(d.azimuth_deg, d.elevation_deg) for d in detections]
            loc = self.localizer.localize(x, bins, weights, healthy, known)
            self.beamforming_seconds += time.perf_counter() - t0
            self.beamforming_flops += loc.flops
            self.maps += 1
            excess = np.maximum(power[fam.bins] - background[fam.bins], 0.0) * self._a_weight[fam.bins]
            level = spl_db(float(excess.sum()) * self.stft.power_scale, self.full_scale_pa)
            if loc.same_as is not None:  # another voice of a source already placed in this hop
                o = detections[loc.same_as]
                detections[loc.same_as] = replace(
                    o,
                    score=max(o.score, fam.score),
                    f0_hz=(*o.f0_hz, fam.f0_hz),
                    level_db=sum_db(o.level_db, level),
                    even_deficit_db=min(o.even_deficit_db, fam.even_deficit_db),
                    odd_only=o.odd_only and fam.odd_only,
                )
                continue
            keep = self.reflection is not None or self.road is not None
            road = RoadSnapshot(x, bins, weights, healthy.copy()) if keep else None
            for k, pk in enumerate(loc.peaks):
                detections.append(
                    Detection(
                        azimuth_deg=pk.azimuth_deg,
                        elevation_deg=pk.elevation_deg,
                        power=pk.power,
                        contrast_db=pk.contrast_db,
                        score=fam.score,
                        f0_hz=(fam.f0_hz,),
                        level_db=level if k == 0 else None,
                        distance_m=pk.distance_m,
                        sound_map=loc.coarse_map,
                        even_deficit_db=fam.even_deficit_db,
                        odd_only=fam.odd_only,
                        road=road,
                    )
                )

    def _road_fit(self, c: ClosedTrack, t_ref: float, az: float, el: float) -> tuple[float, float, bool]:
        """(az, el, front_back_ambiguous): the event's direction refitted for the road's reflection
        on the hops nearest `t_ref` (blind, `edge.analysis.reflection`, where the array can
        resolve the image; else with the road's geometry when the mount is known) and, with the
        mount known, the front/back test (`edge.analysis.road`)."""
        held = sorted(((t, d.road) for t, d in c.hits if d.road is not None), key=lambda h: abs(h[0] - t_ref))
        snaps = [road for _, road in held[:_ROAD_HOPS]]
        if not snaps:
            return az, el, False
        t0 = time.perf_counter()
        # With the blind fit the road fit gives only the front/back flag: skipped where it must be False.
        need_road = self.road is not None and (self.reflection is None or self.road.could_be_behind(az, el))
        road = self.road.fit(snaps, az, el) if need_road else None
        ambiguous = road is not None and road.ambiguous
        if self.reflection is not None:
            fit = self.reflection.fit(snaps, az, el)
            az, el = fit.azimuth_deg, fit.elevation_deg
        elif road is not None:
            az, el = road.azimuth_deg, road.elevation_deg
        self.beamforming_seconds += time.perf_counter() - t0
        return az, el, ambiguous

    def _event(self, c: ClosedTrack) -> HornEvent | None:
        t_ref, az, el = track_direction(c.hits)
        hops = [(d.azimuth_deg, d.elevation_deg) for _, d in c.hits]
        if self.grid.on_border(az, el) or self.grid.mostly_on_border(hops):  # beyond the grid: no direction
            self._tell_closed(c, "beyond_grid")
            return None
        horn_p = None
        if self.verdict is not None:
            _, clip = overlap_add(c.beam)
            v = self.verdict.judge(clip, self.sample_rate)
            if v is not None:
                if not v.report:
                    self._tell_closed(c, "classifier_rejected")
                    return None
                horn_p = v.horn
        self._tell_closed(c, "event")
        az, el, ambiguous = self._road_fit(c, t_ref, az, el)
        dets = [d for _, d in c.hits]
        best = max(dets, key=lambda d: d.power)
        scores = np.array([d.score for d in dets])
        contrast = float(np.median([d.contrast_db for d in dets]))
        p_horn = float(np.mean(scores)) if horn_p is None else horn_p
        confidence = float(p_horn * (1 - np.exp(-len(dets) / 3)) * np.clip(contrast / 6.0, 0.0, 1.0))
        levels = [d.level_db for d in dets if d.level_db is not None]
        dist = self.focus.distance(np.array([az]), np.array([el])) if self.focus.mount is not None else None
        distance = float(dist[0]) if dist is not None else None
        pixel, inside = None, True
        if self.camera is not None:
            uv = self.camera.direction_to_pixel(az, el, distance if distance is not None else 30.0)
            uv = np.asarray(uv, dtype=float).reshape(2)
            pixel = (float(uv[0]), float(uv[1]))
            inside = bool(self.camera.in_frame(uv[None, :])[0])
        smap = None
        if best.sound_map is not None:
            values = best.sound_map.values
            p = np.maximum(values, values.max() * 1e-4)
            smap = SoundMap(
                azimuth_deg=best.sound_map.azimuth_deg,
                elevation_deg=best.sound_map.elevation_deg,
                power_db=(10 * np.log10(p / p.max())).astype(np.float32),
                band_hz=(float(self.cfg.detector.f0_min_hz), float(self.cfg.localizer.coarse_max_hz)),
                method=self.cfg.localizer.method,
            )
        f0s = [f for d in dets for f in d.f0_hz]
        return HornEvent(
            t_start=c.t_start,
            t_end=c.t_end,
            azimuth_deg=az,
            elevation_deg=el,
            confidence=confidence,
            detected_after_s=max(0.0, c.decided_at - c.t_start),
            spl_db=float(max(levels)) if levels else None,
            pixel=pixel,
            distance_m=distance,
            horn_probability=p_horn,
            fundamental_hz=float(np.median(f0s)) if f0s else None,
            inside_frame=inside,
            conditions=_conditions(c.wind, ambiguous, self.focus.on_road(az, el)),
            t_ref=t_ref,
            sound_map=smap,
        )


def _own_bins(
    fam: HarmonicFamily, others: list[HarmonicFamily], df_hz: float
) -> tuple[np.ndarray, np.ndarray]:
    """The family's bins minus those within two bins (the Hann main lobe) of any partial of another
    comb: such a bin mixes two sources and would pull each peak toward the other. Of a horn read
    an octave low (`HarmonicFamily.octave_low`), only its even partials: the horn's own.

    Why the odd places go: what fills them is noise or a neighbour's partials. Own validation
    scene 18 (32 ch): a scooter's 0.15 s tap at 988 Hz was read as 494 Hz beside a hi-lo siren
    sounding 478 Hz, one bin from the comb's first place; with that bin the tap was placed 4°
    toward the siren (a wrong fine), without it on the scooter. Not where the octave up is above
    the horns' range: no horn sounds there, and the even places of such a comb held a square
    siren's odd partials (877 Hz beside a 585 Hz tone: own unseen busy scene 42, 32 ch)."""
    f = fam.bins * df_hz
    keep = np.ones(len(f), bool)
    if fam.octave_low:
        keep &= np.round(f / fam.f0_hz) % 2 == 0
    for o in others:
        nearest = np.maximum(np.round(f / o.f0_hz), 1.0) * o.f0_hz
        keep &= np.abs(f - nearest) > 2.0 * df_hz
    return (fam.bins, fam.weights) if keep.all() else (fam.bins[keep], fam.weights[keep])


def _conditions(wind: bool, ambiguous: bool, on_road: bool) -> tuple[str, ...]:
    """Why an event must not become evidence: wind (the array hears gusts, not sources);
    `front_back_ambiguous` (see `edge.analysis.road`); `off_road` — the direction meets no road
    within focus range (above the horizon, or farther than any readable plate): a bird, a
    reflection off a façade or a horn too far to fine, never the vehicle in the picture."""
    out = ["wind"] if wind else []
    if ambiguous:
        out.append("front_back_ambiguous")
    if not on_road:
        out.append("off_road")
    return tuple(out)
