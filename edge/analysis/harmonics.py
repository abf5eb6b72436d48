"""Harmonicity horn detector: which hops carry a horn, and which STFT bins belong to it.

Why a comb: a car, truck or scooter horn is a driven diaphragm or trumpet — a steady fundamental
(180–1150 Hz) with a dense series of partials up to 5 kHz and beyond. The confusers differ in
physics: electronic sirens and buzzers are square-wave driven (odd partials only) and glide in
pitch, reversing beepers are near-sine (one or two partials), birds and brake squeal sit above
2 kHz with few partials, engines have a low fundamental (their comb also fills the half-way
positions of any candidate above 180 Hz). A disc horn's tone disc resonates at 2-3.5 kHz, so
its partials there can stand far above its 2nd to 4th (`_upper_comb_score`). Each rule below
encodes one of those facts.

Per hop the detector sees the incoherent power spectrum (mean over healthy channels and
snapshots; below `beam_max_hz`, the strongest of the detection beams instead, which hears a
distant horn above the microphones' uncorrelated noise: `edge.analysis.detection_beams`),
compares every bin with the local spectrum (prominence: tonal) and with its own slow
background (novelty: something started), and searches the fundamental that explains the most
partials (halved where the odd partials of half the pitch stand out, doubled where those of the
pitch found are missing). It returns up to `max_families` combs (two horns at once, or the two
voices of a dual-tone horn), each with its bins and per-bin weights for the localizer, and a
score in [0, 1].
When the ONNX classifier is present it decides horn/siren; this module still selects the bins.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass

import numpy as np
from scipy.ndimage import median_filter

from edge.analysis.config import DetectorConfig

_FIRST = 8  # partials that count for the decision
# A comb is also scored on 8 consecutive partials beginning at the 2nd to the 5th, when its
# strongest partial lies at a disc horn's resonance (2-3.5 kHz): see `_upper_comb_score`.
_UPPER_FROM = 5
_RESONANCE_MIN_HZ = 1500.0
_BACKGROUND_RISE_DB_PER_S = 3.0
_CATCH_UP_DB = 12.0  # see `_flat_rise`
_CATCH_UP = 10 ** (_CATCH_UP_DB / 10)
_SETTLE_HOPS = 2  # after digital silence: hops whose frames may still hold some of it
_ANCHOR_RUN = 5  # consecutive partials that fix a comb's pitch without its 1st and 2nd (see `_anchored`)
_OCTAVE_UP_DB = 10.0  # even partials this far above the odd ones' places: the comb is an octave up


@dataclass(frozen=True)
class HarmonicFamily:
    """One harmonic comb found in a hop."""

    f0_hz: float
    score: float
    present: int
    available: int
    bins: np.ndarray
    weights: np.ndarray
    odd_only: bool
    power: float
    even_deficit_db: float
    square: bool = False  # a square wave's comb (see `_best_comb`): never localized
    # Its even partials stand `_OCTAVE_UP_DB` above its odd places and its octave up is a horn's
    # pitch: a horn read at half its pitch because an odd place is filled (by a neighbour's
    # partial or noise, not by the horn), so `_octave_low` did not re-read it.
    octave_low: bool = False


@dataclass(frozen=True)
class HarmonicEvidence:
    families: tuple[HarmonicFamily, ...]

    @property
    def score(self) -> float:
        return max((f.score for f in self.families), default=0.0)


class HarmonicDetector:
    """Stateful (slow background per bin) comb detector over the incoherent power spectrum."""

    def __init__(
        self, config: DetectorConfig, freqs_hz: np.ndarray, hop_s: float, small_horn_min_f0_hz: float
    ) -> None:
        """`small_horn_min_f0_hz`: the tracker's lowest small-horn pitch; from it up, a comb that
        looks square-wave driven keeps its score (see `_best_comb`)."""
        self.cfg = config
        self._small_horn_min_f0 = small_horn_min_f0_hz
        self.freqs = np.asarray(freqs_hz, dtype=float)
        self.df = float(self.freqs[1] - self.freqs[0])
        self.band = (self.freqs >= 0.8 * config.f0_min_hz) & (self.freqs <= config.band_max_hz)
        self._rise = 10 ** (_BACKGROUND_RISE_DB_PER_S * hop_s / 10)
        self._background: np.ndarray | None = None
        self._detect_background: np.ndarray | None = None
        self._settle = 0  # hops left, after a restart, whose spectrum is the background as it stands
        self._median_width = max(5, round(300.0 / self.df) | 1)
        step = 2.0  # the comb only has to land within a bin at the 8th partial; the pitch is refined after
        self.f0_grid = np.arange(config.f0_min_hz, config.f0_max_hz + step, step)
        # The candidate combs are fixed: their partials' bins (and which exist) are computed once.
        fh = self.f0_grid[:, None] * np.arange(1, _FIRST + 1)[None, :]
        self._avail = (fh <= config.band_max_hz) & (fh < self.freqs[-1])
        self._lo, self._hi = self._neighbours(fh, len(self.freqs))

    def restart(self) -> None:
        """Forget the slow backgrounds, as at the start of a stream. Why: they follow the spectrum
        down at once and up by only `_BACKGROUND_RISE_DB_PER_S`, so after a stretch of digital
        silence (a capture gap filled with zeros, a file that starts silent) they would take
        minutes to climb back to the street's level, and every tonal sound in between would be
        "new": 2 s of zeros before an independent scene gave a false event and stretched a real
        one by 0.8 s. The first `_SETTLE_HOPS` hops with signal again are taken whole as the
        background (nothing is detected in them): their frames still straddle the silence."""
        self._background = None
        self._detect_background = None
        self._settle = _SETTLE_HOPS

    def update(
        self, power: np.ndarray, beamed: np.ndarray | None = None
    ) -> tuple[HarmonicEvidence, np.ndarray]:
        """Evidence for one hop, and the per-bin background of `power` (for levels). `power` is (F,)
        mean |X|²; `beamed` (the lowest bins, from `DetectionBeams`) replaces it there for the comb
        search."""
        p = np.maximum(np.asarray(power, dtype=float), 1e-30)
        if self._background is not None and _flat_rise(p, self._background * self._rise, self.band):
            self.restart()
        if self._settle:
            self._settle -= 1
            self._background = None
            self._detect_background = None
        self._background = _slow_floor(p, self._background, self._rise)
        if beamed is not None and len(beamed):
            cut = len(beamed)  # two noise floors: each part is compared with its own neighbours
            p = p.copy()
            p[:cut] = np.maximum(beamed, 1e-30)
            self._detect_background = _slow_floor(p, self._detect_background, self._rise)
            local = np.concatenate(
                [
                    median_filter(p[:cut], size=self._median_width, mode="mirror"),
                    median_filter(p[cut:], size=self._median_width, mode="mirror"),
                ]
            )
            floor = self._detect_background
        else:
            local = median_filter(p, size=self._median_width, mode="mirror")
            floor = self._background
        return HarmonicEvidence(self._combs(p, local, floor, self.cfg.max_families)), self._background

    def look(self, power: np.ndarray) -> tuple[HarmonicFamily, ...]:
        """Combs in the spectrum of one beam (`power`, (F,), on the scale of one microphone's
        power), compared with the mean spectrum's background as `update` just learnt it (nothing
        is learnt from the beam). Why that background: a beam passes a source in its direction
        whole and the rest of the street weakened, so against it a new source's partials stand
        out as far as in the mean spectrum or further, and an old one's (an idling engine's, a
        steady whine's) not at all. See `Analyzer._look_again`."""
        if self._background is None or self._settle:
            return ()
        p = np.maximum(np.asarray(power, dtype=float), 1e-30)
        local = median_filter(p, size=self._median_width, mode="mirror")
        return self._combs(p, local, self._background, self.cfg.max_families)

    def _combs(
        self, p: np.ndarray, local: np.ndarray, floor: np.ndarray, n: int
    ) -> tuple[HarmonicFamily, ...]:
        """Up to `n` harmonically unrelated combs of the detection spectrum `p`, tonal against
        `local` and new against `floor`."""
        prom = 10 * np.log10(p / np.maximum(local, 1e-30))
        novelty = 10 * np.log10(p / np.maximum(floor, 1e-30))
        d = np.where(self.band, np.minimum(prom, novelty), -30.0)
        families: list[HarmonicFamily] = []
        for _ in range(n):
            fam = self._best_comb(d, p, floor, prom)
            if fam is None:
                break
            if not any(_harmonically_related(fam.f0_hz, f.f0_hz) for f in families):
                families.append(fam)
            # Hide this comb's partials so the next search finds another source, not a subharmonic.
            d[np.clip((fam.bins[:, None] + np.arange(-1, 2)).ravel(), 0, len(d) - 1)] = -30.0
        return tuple(families)

    def _best_comb(
        self, d: np.ndarray, p: np.ndarray, floor: np.ndarray, prom: np.ndarray
    ) -> HarmonicFamily | None:
        cfg = self.cfg
        thr = cfg.prominence_db
        if int((d >= thr).sum()) < 2:  # nothing tonal and new in this hop: no comb to search
            return None
        f0 = self.f0_grid
        avail = self._avail
        dh = np.where(avail, np.maximum(d[self._lo], d[self._hi]), -30.0)
        present = (dh >= thr) & avail
        n_p = present.sum(1)
        strength = np.where(avail, np.clip(dh, 0, 20), 0).sum(1)
        if n_p.max() < 2:
            return None
        rank = n_p * 100 + strength  # most partials first, then the strongest
        best = int(np.argmax(rank))
        # Octave guard: the lowest candidate explaining as many partials almost as strongly wins.
        ok = (n_p >= n_p[best]) & (strength >= 0.9 * strength[best])
        k = int(np.flatnonzero(ok)[0])
        # Then the best-fitting pitch near that octave: bins are ~20 Hz wide, the comb pins it finer.
        near = np.flatnonzero(np.abs(f0 / f0[k] - 1) <= 0.03)
        k = int(near[np.argmax(rank[near])])
        k = self._sub_octave(k, present, rank)
        for _ in range(2):
            f0_k = float(f0[k])
            # Pitch from the first partials (search ±2 bins), then every partial tightly around the
            # refined comb, so another source's partial a few bins away is not taken for this one's.
            _, f0_fit = self._comb_bins(d, f0_k, thr, radius=2, n_max=_FIRST)
            bins, f0_fit = self._comb_bins(d, f0_fit, thr, radius=1)
            if bins.size == 0:
                return None
            deficit = self._even_deficit_db(p, f0_fit)
            if not self._octave_low(deficit, f0_fit, present[k]):
                break
            k = int(np.argmin(np.abs(f0 - 2 * f0_fit)))
        n_avail = int(avail[k].sum())
        pres = present[k]
        even_present = int(pres[1::2].sum())
        odd_present = int(pres[0::2].sum())
        engine_like = self._denser_comb_below(d, f0_k, thr)
        n_pk = int(n_p[k])
        no_even = even_present < 1 or (odd_present >= 3 and even_present <= 1)
        odd_only = no_even or deficit >= cfg.max_odd_even_db
        weights = 1.0 - 10 ** (-np.clip(d[bins], 0, 40) / 10)
        score = _comb_score(pres, dh[k], n_avail, thr)
        score = max(score, self._upper_comb_score(d, f0_fit, thr))
        # Square-ish drive (`odd_only`). Below the small horns' range: an electronic siren or
        # buzzer, never a horn. From there up a scooter's or e-bike's buzzing horn looks the same
        # (even partials 10-20 dB down, or too weak to be read in a hop): the comb keeps its
        # score, flagged, and the tracker decides on the whole track (held at one pitch for a
        # second: a small horn). Even partials `square_odd_even_db` or more down are a square
        # wave into a speaker at any pitch (a siren's tone), capped so that it is not localized:
        # placed on a car honking beside the siren, it would exempt the car with it.
        square = odd_only and (f0_fit < self._small_horn_min_f0 or deficit >= cfg.square_odd_even_db)
        if n_pk < cfg.min_harmonics or square or engine_like or not self._anchored(pres, prom, f0_fit):
            score = min(score, 0.2)
        excess = np.maximum(p[bins] - floor[bins], 0.0)
        return HarmonicFamily(
            f0_hz=f0_fit,
            score=float(score),
            present=n_pk,
            available=n_avail,
            bins=bins,
            weights=weights.astype(np.float32),
            odd_only=odd_only,
            power=float(excess.sum()),
            even_deficit_db=deficit,
            square=square,
            octave_low=self._horn_octave_up(deficit, f0_fit),
        )

    def _anchored(self, present: np.ndarray, prom: np.ndarray, f0: float) -> bool:
        """Does the comb's pitch rest on its partials (`present`: which of its first eight stand
        out, tonal and new): its 1st or 2nd, or `_ANCHOR_RUN` consecutive ones while its 1st and
        2nd are no tones at all in `prom` (buried, not merely old)?

        Why: without its lowest partials a comb's pitch is a guess between it and its multiples or
        divisors, and a sound's upper partials read at a sub-multiple are what such a comb usually
        is. But a run of five consecutive partials fixes the spacing, which is the pitch: a comb at
        twice it would miss every second one of them, a comb at half it would find nothing in
        between. A truck's or bus's horn 35-45 m away (240 and 300 Hz voices) has its 1st to 3rd
        partials under the traffic's engine noise and its 4th to 8th clear of it: on the
        independent scenes three such horns were lost or attributed to a neighbour (fresh seeds 15
        and 17). Where its 1st or 2nd partial is a tone that is not new, the sound is an old one
        whose upper partials wander a bin or two with its pitch and flicker new: a machine's
        steady 410 Hz whine did so.
        """
        if present[0] or present[1]:
            return True
        run = 0
        for v in present:
            run = run + 1 if v else 0
            if run >= _ANCHOR_RUN:
                # Only now the lowest partials' prominence: most combs are decided above.
                lowest = self._at(prom, np.array([f0, 2 * f0]))
                return not bool((lowest >= self.cfg.prominence_db).any())
        return False

    def _upper_comb_score(self, d: np.ndarray, f0: float, thr: float) -> float:
        """The comb's score counted on its best `_FIRST` consecutive partials from the 2nd to the
        `_UPPER_FROM`th on, instead of the first ones; only for a comb whose strongest partial
        lies at `_RESONANCE_MIN_HZ` or above (and not among its first three), 0 otherwise.

        Why: a disc horn's resonance (2-3 kHz) lifts its partials around there 20-30 dB above
        its 2nd to 4th, which on a street are too weak to be read; counted on its first eight the
        comb of a recorded 414 Hz car horn (partials 1 and 5-8 read) scored 0.6, under the
        threshold in most hops. Its upper partials are as regular a comb as any horn's. Only
        where they peak at a disc's resonance: a car stereo's 190 Hz note, strongest at its 4th
        to 8th partials (0.8-1.5 kHz), made a false event when any comb whose strongest partial
        was its 4th or higher could be counted so (independent scene 4, from a car behind the pole).
        """
        h = np.arange(1, _UPPER_FROM + _FIRST)
        f = f0 * h
        avail = (f <= self.cfg.band_max_hz) & (f < self.freqs[-1])
        dh = np.where(avail, self._at(d, f), -30.0)
        top = int(np.argmax(dh))
        if h[top] < 4 or f[top] < _RESONANCE_MIN_HZ:
            return 0.0
        best = 0.0
        for w in range(1, _UPPER_FROM):
            sl = slice(w, w + _FIRST)
            present = (dh[sl] >= thr) & avail[sl]
            n_avail = int(avail[sl].sum())
            if n_avail < _FIRST or not present.any():
                break
            best = max(best, _comb_score(present, dh[sl], n_avail, thr))
        return best

    def _octave_low(self, deficit_db: float, f0: float, present: np.ndarray) -> bool:
        """Is the comb at `f0` a sound an octave up, read low? Then its odd partials (`present`:
        which of its first eight stand out) are missing, at most one read, and its even ones, the
        sound's own, stand `_OCTAVE_UP_DB` above their places.

        Why: the search prefers the lowest pitch that explains as many of its first eight partials,
        and a comb whose upper partials are weak explains no more of them at its own pitch than
        at half of it: a 732 Hz wail with four partials in view was read as 366 Hz, its bins
        then the wail's plus noise, and placed as a horn. At its own pitch it is judged for what it
        is (a square wave, or not). Not where the odd partials are read, only weak: that is a horn
        whose odd partials the road's reflection notched (`_sub_octave`'s case).
        """
        return self._horn_octave_up(deficit_db, f0) and int(present[0::2].sum()) <= 1

    def _horn_octave_up(self, deficit_db: float, f0: float) -> bool:
        """Do the comb's even partials stand `_OCTAVE_UP_DB` above its odd places, with its
        octave up a horn's pitch? The sound may then be a horn read at half its pitch: re-read
        (`_octave_low`) or localized on its even partials (`HarmonicFamily.octave_low`)."""
        return deficit_db <= -_OCTAVE_UP_DB and 2 * f0 <= self.cfg.f0_max_hz

    def _sub_octave(self, k: int, present: np.ndarray, rank: np.ndarray) -> int:
        """The candidate an octave below `k` when its own odd partials stand out too, else `k`.

        Why: the candidates are compared on their first eight partials, so a comb an octave up
        spans twice the band and can count more of them, most of all when the road's reflection
        notches one of the horn's odd partials. Its partials are the horn's even ones: its pitch is
        then doubled and its "even partials" (the horn's 4th, 8th …) judged against the wrong
        neighbours. A square-wave buzzer has nothing at the odd multiples of half its pitch, so
        this never halves one.
        """
        half = self.f0_grid[k] / 2
        if half < self.cfg.f0_min_hz:
            return k
        near = np.flatnonzero(np.abs(self.f0_grid / half - 1) <= 0.01)
        if near.size == 0:
            return k
        j = int(near[np.argmax(rank[near])])
        odd_avail = int(self._avail[j, 0::2].sum())
        odd_present = int(present[j, 0::2].sum())
        return j if odd_avail >= 3 and odd_present >= 0.75 * odd_avail else k

    def _even_deficit_db(self, p: np.ndarray, f0: float) -> float:
        """How far (dB, median) the even partials (2, 4, … 16, within the band) sit below the mean
        of their odd neighbours. A square-wave drive (electronic siren, buzzer) leaves them 15–35 dB
        down even when they still clear the noise; a horn's diaphragm or trumpet keeps them within a
        few dB. Up to eight even partials, not four: the road's reflection notches partials of a
        horn 20 dB deep (a comb of its own), and with only four, two notched ones made the median."""
        n = int(min(17, self.cfg.band_max_hz // f0))
        if n < 3:
            return 0.0
        # A handful of values: plain Python is several times faster than numpy calls here.
        level = [
            10 * math.log10(max(v, 1e-30))
            for v in self._at_few(p.tolist(), [h * f0 for h in range(1, n + 1)])
        ]
        diffs = [0.5 * (level[h - 2] + level[h]) - level[h - 1] for h in range(2, n, 2)]
        return float(statistics.median(diffs))

    def _denser_comb_below(self, d: np.ndarray, f0: float, thr: float) -> bool:
        """True when a comb at f0/q (q = 2, 3, 4) below the horn range fills the gaps between this
        comb's partials too: the sound is an engine (or other low drone) seen every q-th partial."""
        dl: list[float] | None = None
        for q in (2, 3, 4):
            if f0 / q >= self.cfg.f0_min_hz:
                continue
            pos = [(h - j / q) * f0 for h in range(1, _FIRST + 1) for j in range(1, q)]
            pos = [f for f in pos if f <= self.cfg.band_max_hz]
            if dl is None:
                dl = d.tolist()
            if pos and 2 * sum(v >= thr for v in self._at_few(dl, pos)) >= len(pos):
                return True
        return False

    def _at_few(self, d: list[float], f: list[float]) -> list[float]:
        """`_at` for a short list of frequencies, in plain Python (`d` as a list)."""
        n = len(d)
        out = []
        for fi in f:
            lo = min(max(math.floor(fi / self.df), 0), n - 1)
            out.append(max(d[lo], d[min(lo + 1, n - 1)]))
        return out

    def _at(self, d: np.ndarray, f: np.ndarray) -> np.ndarray:
        """Value at frequency f: the larger of the two nearest bins (a partial between bins lands in both)."""
        lo, hi = self._neighbours(f, len(d))
        return np.maximum(d[lo], d[hi])

    def _neighbours(self, f: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
        """The two bins around frequency f (clipped to the spectrum)."""
        pos = np.asarray(f) / self.df
        lo = np.clip(np.floor(pos).astype(int), 0, n - 1)
        return lo, np.clip(lo + 1, 0, n - 1)

    def _comb_bins(
        self, d: np.ndarray, f0: float, thr: float, radius: int, n_max: int | None = None
    ) -> tuple[np.ndarray, float]:
        """Bins of every partial up to the band edge, and the pitch refined from their positions.

        Partial h is the local maximum within ±radius bins of h·f0, kept with its two neighbours
        where they stand out by thr/2; the pitch is the least-squares fit of the partials found.
        """
        n = int(self.cfg.band_max_hz // f0)
        if n_max is not None:
            n = min(n, n_max)
        # At most a few dozen partials: plain Python over a list beats a chain of small numpy calls.
        dl = d.tolist()
        last = len(dl) - 2
        hs, ks = [], []
        for h in range(1, n + 1):
            c = round(h * f0 / self.df)
            if c - radius < 1 or c + radius > last:
                continue
            k = max(range(c - radius, c + radius + 1), key=dl.__getitem__)  # the partial's peak bin
            if dl[k] >= thr:
                hs.append(h)
                ks.append(k)
        if not ks:
            return np.zeros(0, np.int64), f0
        fk = []
        for k in ks:
            y0, y1, y2 = dl[k - 1], dl[k], dl[k + 1]
            den = y0 - 2 * y1 + y2
            frac = 0.5 * (y0 - y2) / den if den < 0 else 0.0
            fk.append((k + min(0.5, max(-0.5, frac))) * self.df)
        h_arr = np.array(hs)
        f0_fit = float((h_arr * np.array(fk)).sum() / (h_arr * h_arr).sum())
        half = thr / 2
        bins = sorted({b for k in ks for b in (k - 1, k, k + 1) if dl[b] >= half})
        return np.array(bins, dtype=np.int64), f0_fit


def _comb_score(present: np.ndarray, levels_db: np.ndarray, n_avail: int, thr: float) -> float:
    """A comb's score in [0, 1] from the partials counted: the share of them that stand out
    (`present`; 80 % is enough for full marks) times how far they stand out (`levels_db`, their
    mean from 0 to 40 dB; twice the prominence threshold is enough)."""
    mean_d = float(np.clip(levels_db[present], 0, 40).mean()) if present.any() else 0.0
    return min(1.0, 1.25 * int(present.sum()) / max(n_avail, 1)) * min(1.0, mean_d / (2 * thr))


def _slow_floor(p: np.ndarray, floor: np.ndarray | None, rise: float) -> np.ndarray:
    """Per-bin background: follows the spectrum down at once and up only slowly (`rise` per hop),
    so a horn that starts stands out against it for seconds."""
    return p.copy() if floor is None else np.minimum(p, floor * rise)


def _flat_rise(p: np.ndarray, floor: np.ndarray, band: np.ndarray) -> bool:
    """Does even the quietest tenth of the band's bins stand `_CATCH_UP_DB` above the background?

    Why: a recorder's gain step or automatic gain control, or a fade-in, lifts every bin alike,
    and the background, rising a few dB per second, would leave every tonal sound "new" for
    seconds (a +15 dB gain step in independent spiral32-2 made a false event). No sound lifts the
    quietest tenth that far: a siren a few metres away lifted it by 9 dB at most on the
    independent scenes. The detector then starts afresh, as after silence.
    """
    ratio = p[band] / np.maximum(floor[band], 1e-30)
    k = len(ratio) // 10
    return float(np.partition(ratio, k)[k]) > _CATCH_UP


def _harmonically_related(a: float, b: float, tol: float = 0.03) -> bool:
    """True when one pitch is (nearly) an integer multiple of the other: left-overs of one comb."""
    r = max(a, b) / min(a, b)
    return abs(r - round(r)) <= tol * r
