"""The harmonicity detector's pitch on spectra shaped the way the road shapes them."""

import numpy as np

from edge.analysis.config import build_config
from edge.analysis.harmonics import HarmonicDetector

FS = 48_000
FRAME = 2400  # the analyzer's frame: 20 Hz bins
FREQS = np.fft.rfftfreq(FRAME, 1 / FS)[:360]


CONFIG = build_config(None, [])


def _detector() -> HarmonicDetector:
    det = HarmonicDetector(CONFIG.detector, FREQS, 0.05, CONFIG.tracker.small_horn_min_f0_hz)
    rng = np.random.default_rng(0)
    for _ in range(10):  # the slow background settles on the noise floor first
        det.update(1.0 + 0.1 * rng.random(len(FREQS)))
    return det


def _comb(f0: float, level_db: dict[int, float]) -> np.ndarray:
    """Noise floor 1 plus partial h of f0 at level_db[h] above it (partials not given: absent)."""
    p = 1.0 + 0.1 * np.random.default_rng(1).random(len(FREQS))
    for h, db in level_db.items():
        p[round(h * f0 / (FS / FRAME))] += 10 ** (db / 10)
    return p


def test_a_horn_with_weak_and_notched_odd_partials_keeps_its_pitch() -> None:
    # Even partials 30 dB up, odd ones 14 dB and the 3rd notched by a road reflection: the comb an
    # octave up (the even partials alone) counts more of its first eight partials, but the odd
    # partials are there, so the pitch stays 362 Hz and the odd partials' bins go to the localizer.
    levels = {h: 30.0 if h % 2 == 0 else 14.0 for h in range(1, 18)}
    levels[3] = 2.0
    evidence, _ = _detector().update(_comb(362.0, levels))
    fam = evidence.families[0]
    assert abs(fam.f0_hz - 362.0) < 4.0
    assert not fam.odd_only
    assert round(5 * 362.0 / 20) in fam.bins.tolist()
    assert fam.score >= 0.5


def test_a_square_wave_buzzer_is_not_halved_into_a_horn() -> None:
    # Odd partials only (a square-wave drive): nothing at the odd multiples of half its pitch,
    # so it keeps its own pitch and stays odd-only, never a horn, in the small horns' range too.
    evidence, _ = _detector().update(_comb(724.0, {h: 30.0 - 2 * h for h in range(1, 9, 2)}))
    fam = evidence.families[0]
    assert abs(fam.f0_hz - 724.0) < 6.0
    assert fam.odd_only
    assert fam.score <= 0.2


def test_weak_even_partials_cap_a_comb_below_the_small_horns_range_or_when_square() -> None:
    # Every partial there, the even ones 14 dB below the odd ones: a square-ish drive. At 400 Hz
    # that is an electronic siren or buzzer and the comb is capped; at 900 Hz it is what a
    # scooter's buzzing horn sounds like, so the comb keeps its score (flagged) and the tracker
    # decides on the whole track (`Tracker._small_horn`). With the even partials 26 dB down it
    # is a square wave into a speaker (a siren's tone) at any pitch: capped.
    def square_ish(f0: float, down_db: float) -> np.ndarray:
        return _comb(f0, {h: 34.0 - (down_db if h % 2 == 0 else 0.0) for h in range(1, 8)})

    low = _detector().update(square_ish(400.0, 14.0))[0].families[0]
    high = _detector().update(square_ish(900.0, 14.0))[0].families[0]
    siren = _detector().update(square_ish(900.0, 26.0))[0].families[0]
    assert low.odd_only and high.odd_only and siren.odd_only
    assert low.score <= 0.2
    assert high.score >= CONFIG.detector.threshold
    assert abs(high.f0_hz - 900.0) < 6.0
    assert siren.even_deficit_db >= CONFIG.detector.square_odd_even_db
    assert siren.score <= 0.2


def test_a_comb_with_nothing_at_the_odd_places_of_half_its_pitch_keeps_its_own_pitch() -> None:
    # A 732 Hz tone with four partials in view (the slow bottom of a wail; a scooter's tap far
    # away): half its pitch explains as many of its first eight partials, the even ones, and was
    # read instead, 366 Hz. Nothing stands at 366 Hz's odd partials, so the comb is 732 Hz.
    evidence, _ = _detector().update(_comb(732.0, {1: 30.0, 2: 28.0, 3: 27.0, 4: 26.0}))
    fam = evidence.families[0]
    assert abs(fam.f0_hz - 732.0) < 6.0
    assert abs(fam.even_deficit_db) < 3.0


def test_a_horn_read_an_octave_low_is_flagged_only_where_its_octave_up_is_a_horns_pitch() -> None:
    # Even partials 20 dB up, odd places 8 dB (a neighbour's partial or noise fills them, so the
    # comb is not re-read an octave up): at 490 Hz it is a 980 Hz scooter read low, and is
    # localized on its even partials; at 870 Hz its octave up (1740 Hz) is no horn's pitch.
    for f0, flagged in ((490.0, True), (870.0, False)):
        level = {h: (20.0 if h % 2 == 0 else 8.0) for h in range(1, int(6500 // f0) + 1)}
        evidence, _ = _detector().update(_comb(f0, level))
        fam = evidence.families[0]
        assert abs(fam.f0_hz - f0) < 6.0 and fam.even_deficit_db <= -10.0
        assert fam.octave_low is flagged


def test_a_partial_at_the_edge_of_the_beamed_band_stands_out_like_any_other() -> None:
    # Below 1 kHz the detector reads the detection beams' spectrum, above it the mean one, each
    # against its own neighbours. A 490 Hz horn's 2nd partial falls in the beamed band's last bin
    # (980 Hz): a median window padded with that bin's own value made it its own background
    # (prominence 0), and the horn lost a partial every hop.
    cut = int(np.searchsorted(FREQS, CONFIG.detector.beam_max_hz))
    assert round(2 * 490.0 / 20) == cut - 1
    det = HarmonicDetector(CONFIG.detector, FREQS, 0.05, CONFIG.tracker.small_horn_min_f0_hz)
    rng = np.random.default_rng(0)
    for _ in range(10):
        noise = 1.0 + 0.1 * rng.random(len(FREQS))
        det.update(noise, noise[:cut].copy())
    p = _comb(490.0, {h: 15.0 for h in range(1, 12)})
    evidence, _ = det.update(p, p[:cut].copy())
    fam = evidence.families[0]
    assert abs(fam.f0_hz - 490.0) < 4.0
    assert cut - 1 in fam.bins.tolist()
    assert fam.present == 8 and fam.score == 1.0


def test_a_disc_horn_is_scored_on_the_partials_its_resonance_lifts_and_a_low_note_is_not() -> None:
    # A recorded 414 Hz disc horn (scorched3d's carhorn6): its tone disc lifts the 6th partial
    # (2.5 kHz) 30 dB, the 2nd to 4th are too weak to be read and the 7th is notched (a ground
    # reflection). Counted on its first eight partials (4 read) it stays under the threshold; on
    # its 5th to 12th (7 read) it is the horn it is.
    levels = {1: 10.0, 5: 15.0, 6: 30.0, 8: 15.0, 9: 12.0, 10: 10.0, 11: 9.0, 12: 8.0}
    disc = _detector().update(_comb(414.0, levels))[0].families[0]
    assert abs(disc.f0_hz - 414.0) < 4.0
    assert disc.score >= CONFIG.detector.threshold
    # The same comb strongest below 1.5 kHz (a car stereo's 190 Hz note, loudest at 950 Hz) is
    # counted on its first eight partials only.
    note = _detector().update(_comb(190.0, {**levels, 5: 30.0, 6: 15.0}))[0].families
    assert all(f.score < CONFIG.detector.threshold for f in note)


def test_a_comb_without_its_lowest_partials_counts_when_five_in_a_row_fix_its_pitch() -> None:
    # A bus's 294 Hz voice 40 m away: its 1st to 3rd partials under the engines' noise, its 4th
    # to 8th (1.2-2.4 kHz) clear of it. Five in a row fix the spacing: a horn's comb.
    evidence, _ = _detector().update(_comb(294.0, {h: 14.0 for h in range(4, 12)}))
    fam = evidence.families[0]
    assert abs(fam.f0_hz - 294.0) < 3.0 and fam.score >= CONFIG.detector.threshold
    # The same partials with the 6th missing (4, 5, 7, 8 …): no run of five, no 1st or 2nd: the
    # pitch is a guess, and the comb stays under the release threshold.
    gappy = {h: 14.0 for h in (4, 5, 7, 8, 10, 11)}
    evidence, _ = _detector().update(_comb(294.0, gappy))
    assert all(f.score < CONFIG.detector.release for f in evidence.families)
