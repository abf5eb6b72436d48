"""Labelled 0.975 s windows of street audio built from `edge.sim.signals`.

Three classes, because the enforcement question is not just "is there a horn":
- `horn`  (1): a horn sounds in the window for at least 80 ms, and no siren;
- `siren` (2): a siren sounds, with or without a horn (emergency vehicles are exempt, so a
  horn under a siren is never evidence);
- `other` (0): anything else — every confuser of `signals.CONFUSERS` and plain background.

Every window has a traffic background (sometimes wind or rain too); the event goes through a
random street impulse response and is mixed at an SNR against the background; the mix then
goes through the recording chain (`augment.record`). `tag` names what the event was (`horn:car`,
`siren:hilo`, `brake_squeal`, `background`, …) so that the evaluation can report per class.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edge.classifier.features import SAMPLE_RATE, WINDOW_SAMPLES
from edge.sim import signals

try:
    from . import augment, sources
except ImportError:  # run as a script from models/training/
    import augment  # type: ignore[no-redef]
    import sources  # type: ignore[no-redef]

CLASSES = ("other", "horn", "siren")
# "high": a scooter or e-bike horn pitched up to a 1-3 kHz fundamental (`sources.pitch_shift`).
HORN_KIND_WEIGHTS = {"car": 0.38, "truck": 0.1, "bus": 0.07, "scooter": 0.15, "ebike": 0.15, "high": 0.15}
# Taps (0.08-0.2 s) weigh more than in `signals.horn_pattern`'s default draw: the detector hears many.
HORN_PATTERN_WEIGHTS = {"tap": 0.3, "short": 0.28, "double": 0.2, "triple": 0.08, "long": 0.14}
SIREN_KIND_WEIGHTS = {"wail": 0.2, "yelp": 0.2, "hilo": 0.3, "twotone": 0.3}
TRAIN_CONFUSERS = {**{k: v for k, v in signals.CONFUSERS.items() if k != "siren"}, **signals.UNSEEN_CONFUSERS}
HELD_OUT_CONFUSERS = {"phone_ring": sources.phone_ring}
MIN_HORN_ON_S = 0.08
# A siren sounds for seconds; a window or clip holds at least this much of one (or all of a shorter
# one), so that "siren" is never the label of a lone steady tone indistinguishable from a horn.
MIN_SIREN_ON_S = 0.7
PASS_BY_PROBABILITY = 0.3


@dataclass(frozen=True)
class Split:
    """A generated data set: `waves` [n, 15600] float32 at 16 kHz, `labels` [n], `tags` [n],
    `snr_db` [n] (event over background; NaN for background-only windows)."""

    waves: np.ndarray
    labels: np.ndarray
    tags: np.ndarray
    snr_db: np.ndarray


def _place(
    event: np.ndarray,
    rng: np.random.Generator,
    on: np.ndarray | None,
    w: int = WINDOW_SAMPLES,
    min_on_s: float | None = None,
) -> tuple[np.ndarray, float]:
    """Put `event` at a random offset in a window of `w` samples; return it and the on-time (s).

    A horn is placed so that at least `MIN_HORN_ON_S` of its on-time falls inside the window
    (all of it, if the pattern is shorter); other events so that they overlap by `min_on_s`
    (default 0.2 s), or wholly if shorter.
    """
    n = event.size
    active = on if on is not None else np.ones(n, bool)
    if on is not None:
        need = min(int(MIN_HORN_ON_S * SAMPLE_RATE), int(active.sum()))
    else:
        need = min(n, w, round((0.2 if min_on_s is None else min_on_s) * SAMPLE_RATE))
    for _ in range(50):
        start = int(rng.integers(-n + 1, w))  # event sample 0 lands at window sample `start`
        a, b = max(0, start), min(w, start + n)
        if b > a and active[a - start : b - start].sum() >= need:
            break
    out = np.zeros(w)
    out[a:b] = event[a - start : b - start]
    return out, float(active[a - start : b - start].sum()) / SAMPLE_RATE


def _horn_event(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, str]:
    kind = str(rng.choice(list(HORN_KIND_WEIGHTS), p=list(HORN_KIND_WEIGHTS.values())))
    pattern = str(rng.choice(list(HORN_PATTERN_WEIGHTS), p=list(HORN_PATTERN_WEIGHTS.values())))
    base = str(rng.choice(["scooter", "ebike"])) if kind == "high" else kind
    x, intervals = signals.horn_pattern(base, SAMPLE_RATE, rng, pattern)
    on = np.zeros(x.size, bool)
    for t0, t1 in intervals:
        on[round(t0 * SAMPLE_RATE) : round(t1 * SAMPLE_RATE)] = True
    if kind == "high":  # 600-1100 Hz → 1-3 kHz fundamentals
        x = sources.pitch_shift(x, rng.uniform(1.5, 2.7))
        on = sources.shift_mask(on, x.size)
    if rng.random() < PASS_BY_PROBABILITY:
        x = sources.pass_by(x, SAMPLE_RATE, rng)
    return x, on, f"horn:{kind}"


BED_SECONDS = 12.0
BEDS_PER_CHUNK = 10


def traffic_beds(rng: np.random.Generator, count: int = BEDS_PER_CHUNK) -> list[np.ndarray]:
    """A few long traffic beds that the windows of one chunk crop from at random offsets: the
    traffic generator dominates the cost of a window, and a crop of a 12 s bed is as good a
    background as a fresh draw (each window then gets its own event, gains and recording chain)."""
    return [signals.traffic_background(BED_SECONDS, SAMPLE_RATE, rng) for _ in range(count)]


def _background(rng: np.random.Generator, n: int, beds: list[np.ndarray] | None = None) -> np.ndarray:
    dur = n / SAMPLE_RATE
    if beds:
        bed = beds[int(rng.integers(len(beds)))]
        start = int(rng.integers(0, max(1, bed.size - n)))
        bg = np.resize(bed[start : start + n], n)
    else:
        bg = signals.traffic_background(dur, SAMPLE_RATE, rng)
    if rng.random() < 0.15:
        bg = bg + 10 ** (rng.uniform(-10, 5) / 20) * signals.wind(dur, SAMPLE_RATE, rng)
    if rng.random() < 0.1:
        bg = bg + 10 ** (rng.uniform(-10, 3) / 20) * signals.rain(dur, SAMPLE_RATE, rng)
    return bg / np.sqrt(np.mean(bg**2))


def _confuser(name: str, rng: np.random.Generator) -> np.ndarray:
    dur = rng.uniform(0.5, 3.0)
    return {**TRAIN_CONFUSERS, **HELD_OUT_CONFUSERS}[name](dur, SAMPLE_RATE, rng)


def _siren(rng: np.random.Generator) -> tuple[np.ndarray, str]:
    kind = str(rng.choice(list(SIREN_KIND_WEIGHTS), p=list(SIREN_KIND_WEIGHTS.values())))
    dur = rng.uniform(1.0, 4.0)
    if kind == "twotone":
        x = sources.two_tone_siren(dur, SAMPLE_RATE, rng)
    else:
        x = signals.siren(dur, SAMPLE_RATE, rng, kind=kind)
    if rng.random() < PASS_BY_PROBABILITY:
        x = sources.pass_by(x, SAMPLE_RATE, rng)
    return x, f"siren:{kind}"


def make_window(
    rng: np.random.Generator,
    snr_range: tuple[float, float],
    n: int = WINDOW_SAMPLES,
    unseen: bool = False,
    beds: list[np.ndarray] | None = None,
) -> tuple[np.ndarray, int, str, float]:
    """One labelled window of `n` samples (default one 0.975 s patch; longer for the clip-level
    evaluation): (wave float32 [n], label, tag, snr_db). `unseen` adds the confusers that
    training leaves out (`signals.UNSEEN_CONFUSERS`) to the draw: for held-out data only."""
    bg = _background(rng, n)
    event = np.zeros(n)
    roll = rng.random()
    snr = float(rng.uniform(*snr_range))
    others = list(TRAIN_CONFUSERS)
    if unseen:
        others += list(HELD_OUT_CONFUSERS)
    if roll < 0.4:
        x, on, tag = _horn_event(rng)
        placed, _ = _place(x, rng, on, n)
        event += placed * 10 ** (snr / 20)
        label = 1
        if rng.random() < 0.35:  # a second sound at the same time: the horn must still win
            extra = str(rng.choice(others))
            placed, _ = _place(_confuser(extra, rng), rng, None, n)
            event += placed * 10 ** (rng.uniform(-5, snr) / 20)
    elif roll < 0.55:
        x, tag = _siren(rng)
        placed, _ = _place(x, rng, None, n, MIN_SIREN_ON_S)
        event += placed * 10 ** (snr / 20)
        label = 2
        if rng.random() < 0.4:  # an emergency vehicle that also honks: still exempt
            h, on, htag = _horn_event(rng)
            placed, _ = _place(h, rng, on, n)
            event += placed * 10 ** (rng.uniform(snr - 10, snr + 5) / 20)
            tag = f"{tag}+{htag}"
    elif roll < 0.6:
        tag, label, snr = "background", 0, float("nan")
    else:
        tag = str(rng.choice(others))
        placed, _ = _place(_confuser(tag, rng), rng, None, n)
        event += placed * 10 ** (snr / 20)
        label = 0
        if rng.random() < 0.2:
            extra = str(rng.choice(others))
            placed, _ = _place(_confuser(extra, rng), rng, None, n)
            event += placed * 10 ** (rng.uniform(-5, snr) / 20)
    if rng.random() < 0.8 and np.any(event):
        event = augment.reverberate(event, SAMPLE_RATE, rng)
    wave = augment.record(bg + event, SAMPLE_RATE, rng)
    return wave.astype(np.float32), label, tag, snr


CHUNK = 200


def _objects(parts: list[np.ndarray]) -> np.ndarray:
    out = np.empty(sum(len(p) for p in parts), object)
    out[:] = [w for p in parts for w in p]
    return out


def make_split(
    n: int,
    seed: int,
    snr_range: tuple[float, float] = (-5.0, 25.0),
    workers: int = 1,
    clip_s: tuple[float, float] | None = None,
    unseen: bool = False,
) -> Split:
    """`n` windows from one seed: the same seed gives the same data, whatever `workers` is
    (the data is made in chunks of `CHUNK` windows, each with its own child seed).

    With `clip_s=(lo, hi)` the items are clips of random length in that range instead of
    single windows; `waves` is then an object array of 1-D clips."""
    seeds = np.random.SeedSequence(seed).spawn(-(-n // CHUNK))
    jobs = [(min(CHUNK, n - i * CHUNK), s, snr_range, clip_s, unseen) for i, s in enumerate(seeds)]
    if workers > 1:
        from multiprocessing import get_context

        with get_context("fork").Pool(workers) as pool:
            parts = pool.starmap(_make_chunk, jobs)
    else:
        parts = [_make_chunk(*job) for job in jobs]
    return Split(
        np.concatenate([p.waves for p in parts]) if clip_s is None else _objects([p.waves for p in parts]),
        np.concatenate([p.labels for p in parts]),
        np.concatenate([p.tags for p in parts]),
        np.concatenate([p.snr_db for p in parts]),
    )


def _make_chunk(
    n: int,
    seed: np.random.SeedSequence,
    snr_range: tuple[float, float],
    clip_s: tuple[float, float] | None,
    unseen: bool,
) -> Split:
    rng = np.random.default_rng(seed)
    waves = np.empty((n, WINDOW_SAMPLES), np.float32) if clip_s is None else np.empty(n, object)
    labels = np.empty(n, np.int64)
    tags, snrs = [], []
    beds = traffic_beds(rng)
    for i in range(n):
        length = WINDOW_SAMPLES if clip_s is None else round(rng.uniform(*clip_s) * SAMPLE_RATE)
        waves[i], labels[i], tag, snr = make_window(rng, snr_range, length, unseen, beds)
        tags.append(tag)
        snrs.append(snr)
    return Split(waves, labels, np.array(tags), np.array(snrs))
