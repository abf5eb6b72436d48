"""Tracker rules on hand-made detections: tracks per source, and combs that are no horn of their own."""

from dataclasses import replace

import numpy as np

from edge.analysis.config import TrackerConfig
from edge.analysis.detections import Detection, HopObservation, TrackFate, track_direction
from edge.analysis.tracker import Tracker

HOP = 0.05


def _det(az: float, power: float, f0: tuple[float, ...]) -> Detection:
    return Detection(
        azimuth_deg=az,
        elevation_deg=-3.0,
        power=power,
        contrast_db=10.0,
        score=1.0,
        f0_hz=f0,
        level_db=80.0,
        distance_m=25.0,
    )


def _run(per_hop: list[list[Detection]], fates: list[TrackFate] | None = None) -> list:
    tracker = Tracker(TrackerConfig(), threshold=0.5, release=0.3, f0_max_hz=1150.0)
    if fates is not None:
        tracker.on_fate = fates.append
    out = []
    for i, dets in enumerate([*per_hop, *[[]] * 20]):
        obs = HopObservation(
            t_start=i * HOP,
            t_end=(i + 1) * HOP,
            t_decided=(i + 1.5) * HOP,
            detections=tuple(dets),
            wind=False,
        )
        out.extend(tracker.update(obs))
    return out + tracker.flush()


def _dual_tone_car(n: int) -> list[list[Detection]]:
    return [[_det(5.0, 200.0, (330.0, 429.0))] for _ in range(n)]


def test_a_comb_read_off_a_louder_horns_overtones_is_not_an_event():
    hops = _dual_tone_car(12)
    for i in range(3, 7):  # 645 Hz = 3/2 × 430 Hz, weaker, 4.5° off, inside the car's horn
        hops[i] = [*hops[i], _det(1.0, 60.0, (645.0,))]
    closed = _run(hops)
    assert len(closed) == 1 and closed[0].hits[0][1].azimuth_deg == 5.0


def test_a_horn_at_a_simple_ratio_of_a_louder_one_far_from_it_is_kept():
    # 645 Hz = 3/2 × 430 Hz again, but 20° away: another car's own horn, not the louder one's
    # overtones (a comb read off them localizes near that source).
    hops = _dual_tone_car(12)
    for i in range(3, 7):
        hops[i] = [*hops[i], _det(-15.0, 60.0, (645.0,))]
    assert sorted(c.hits[0][1].azimuth_deg for c in _run(hops)) == [-15.0, 5.0]


def test_a_second_horn_during_a_long_one_is_kept():
    hops = _dual_tone_car(12)
    for i in range(3, 7):  # another vehicle's horn at an unrelated pitch
        hops[i] = [*hops[i], _det(-6.0, 60.0, (472.0,))]
    closed = _run(hops)
    assert sorted(c.hits[0][1].azimuth_deg for c in closed) == [-6.0, 5.0]


def test_a_horn_beginning_while_a_neighbours_sounds_a_few_degrees_away_is_its_own_event():
    # A car 4.5° from a honking one starts 0.3 s into that honk and goes on after it: two
    # vehicles, two events (not one honk placed between them); the two voices of one horn,
    # localized as two tracks that begin together, stay one event.
    first = [[_det(5.0, 100.0, (430.0,))] for _ in range(10)]
    second = [[_det(9.5, 100.0, (600.0,))] for _ in range(10)]
    hops = [*first[:6], *[[*a, *b] for a, b in zip(first[6:], second[:4], strict=True)], *second[4:]]
    assert sorted(c.hits[0][1].azimuth_deg for c in _run(hops)) == [5.0, 9.5]
    voices = [[_det(5.0, 100.0, (430.0,)), _det(9.5, 100.0, (537.0,))] for _ in range(6)]
    voices[-1] = voices[-1][1:]  # one voice heard a hop longer: the tracks close apart
    assert len(_run(voices)) == 1


def _pitched(az: float, f0s: list[float]) -> list[list[Detection]]:
    return [[_det(az, 100.0, (f,))] for f in f0s]


def test_the_tracker_names_why_each_track_that_is_no_event_was_dropped():
    # An engineer asking why a honk was missed (`honk-edge replay --tracks-out`) needs the rule.
    hops = _dual_tone_car(12)
    for i in range(3, 7):  # the overtone comb of the first test
        hops[i] = [*hops[i], _det(1.0, 60.0, (645.0,))]
    hops += [[]] * 30 + _pitched(-12.0, [774.0, 794.0, 804.0, 812.0, 822.0])  # a wail's piece
    hops += [[]] * 30 + [[_det(20.0, 80.0, (500.0,))]]  # one hop: never confirmed
    fates: list[TrackFate] = []
    closed = _run(hops, fates)
    assert len(closed) == 1  # the car; it is released by the tracker, so its fate is the analyzer's
    by_az = {round(f.azimuth_deg): f.fate for f in fates}
    assert by_az == {1: "overtone_ghost", -12: "siren", 20: "undecided"}, fates
    ghost = next(f for f in fates if f.fate == "overtone_ghost")
    assert ghost.hops == 4 and ghost.f0_hz == 645.0 and ghost.best_score == 1.0
    assert abs(ghost.t_start - 3 * HOP) < 1e-9 and abs(ghost.t_end - 7 * HOP) < 1e-9


def test_a_short_piece_of_a_wail_is_not_a_horn_but_a_steady_horn_is():
    rising = _pitched(-12.0, [774.0, 794.0, 804.0, 812.0, 822.0])  # 25 %/s: a wail siren's sweep
    assert _run(rising) == []
    wobbling = _pitched(4.0, [471.0, 461.0, 470.0, 476.0, 477.0, 476.0])  # a diaphragm horn's wobble
    assert len(_run(wobbling)) == 1


def _at(az: float, el: float, power: float = 100.0) -> Detection:
    return Detection(
        azimuth_deg=az,
        elevation_deg=el,
        power=power,
        contrast_db=10.0,
        score=1.0,
        f0_hz=(400.0,),
        level_db=80.0,
        distance_m=15.0,
    )


def test_a_honk_broken_by_a_dropout_while_the_car_moves_is_one_event_placed_in_its_middle():
    # A car approaching the pole: its elevation falls ever faster (-3° → about -22° in 1.5 s) and
    # the horn loses two hops to a passing truck in the middle. The two pieces' loudest hops are
    # far apart, but the second piece starts where the first ended: one honk, one event.
    path = [(-4.0 - 0.1 * i, -3.0 - 0.02 * i * i) for i in range(30)]
    hops = [[_at(az, el)] for az, el in path]
    hops[14] = hops[15] = []
    hops[20] = [_at(*path[20], power=400.0)]
    closed = _run(hops)
    assert len(closed) == 1
    t_ref, az, el = track_direction(closed[0].hits)
    middle = 0.5 * (closed[0].hits[0][0] + closed[0].hits[-1][0])
    assert abs(t_ref - middle) < 1e-9
    i_mid = middle / HOP - 0.5
    want_el = -3.0 - 0.02 * i_mid * i_mid
    assert abs(el - want_el) < 0.5, (el, want_el)  # a line through the whole track is ~1.5° off
    assert abs(az - (-4.0 - 0.1 * i_mid)) < 0.2


def _scored(az: float, scores: list[float]) -> list[list[Detection]]:
    return [[replace(_det(az, 100.0, (430.0,)), score=s)] for s in scores]


def test_a_tap_clearing_the_threshold_in_one_hop_is_an_event_from_its_onset():
    # A 0.12 s tap: its onset hop only reaches the release level, its body clears the threshold.
    closed = _run(_scored(4.0, [0.4, 1.0]))
    assert len(closed) == 1
    assert closed[0].t_start == 0.0 and len(closed[0].hits) == 2


def test_one_strong_hop_alone_or_weak_hops_alone_make_no_event():
    assert _run(_scored(4.0, [1.0])) == []
    assert _run(_scored(4.0, [0.4, 0.4, 0.4, 0.4])) == []


def test_a_steady_comb_held_just_under_the_threshold_is_decided_and_a_short_sliding_or_low_one_is_not():
    # A distant e-bike horn (893 Hz, four partials in the band) read at 0.58-0.69 hop after hop,
    # with the analyzer's own threshold (0.7): never one strong hop, but the same comb at one
    # place for `sustain_hops` hops.
    def run(scores: list[float], f0s: list[float]) -> tuple[list, list[TrackFate]]:
        tracker = Tracker(TrackerConfig(), threshold=0.7, release=0.3, f0_max_hz=1150.0)
        fates: list[TrackFate] = []
        tracker.on_fate = fates.append
        out = []
        hops = [[replace(_det(4.0, 100.0, (f,)), score=s)] for s, f in zip(scores, f0s, strict=True)]
        for i, dets in enumerate([*hops, *[[]] * 20]):
            obs = HopObservation(i * HOP, (i + 1) * HOP, (i + 1.5) * HOP, tuple(dets), False)
            out.extend(tracker.update(obs))
        return out + tracker.flush(), fates

    held, _ = run([0.62, 0.64, 0.58, 0.69, 0.65], [892.9, 892.2, 894.5, 894.0, 892.6])
    assert len(held) == 1
    assert abs(held[0].decided_at - 4.5 * HOP) < 1e-9  # decided at its fourth hop
    short, fates = run([0.65, 0.65, 0.65], [893.0] * 3)
    assert short == [] and [f.fate for f in fates] == ["undecided"]
    sliding, fates = run([0.65] * 5, [893.0, 920.0, 948.0, 976.0, 1005.0])
    assert sliding == [] and [f.fate for f in fates] == ["undecided"]
    weak, _ = run([0.4] * 8, [893.0] * 8)
    assert weak == []
    # A motorcycle's 740 Hz horn 8 dB under the traffic, read at 0.52-0.56: decided.
    under, _ = run([0.52, 0.53, 0.56, 0.56, 0.53], [739.0, 741.0, 739.0, 741.0, 742.0])
    assert len(under) == 1
    # Below the small horns' range, where a horn's eight partials are dense, the same comb is a
    # muffled one (a car stereo's chord through the car's body): not decided.
    low, fates = run([0.62, 0.64, 0.58, 0.69, 0.65], [187.0] * 5)
    assert low == [] and [f.fate for f in fates] == ["undecided"]


def test_pieces_of_a_wail_that_a_horn_could_not_sing_are_dropped():
    # The slow top of a wail: up 9 % and down 6 % in 1 s; one slope through it is flat.
    top = [728.0, 753.0, 761.0, 765.0, 775.0, 780.0, 785.0, 791.0, 792.0, 794.0, 792.0, 784.0, 756.0, 743.0]
    assert _run(_pitched(1.5, top)) == []
    # Two hops of a wail's bottom: 9 % in 0.1 s.
    assert _run(_pitched(-11.0, [531.0, 484.0])) == []
    # A sweep whose first hop lies 9 % below the pitch at confirmation (the first pitch is no
    # reference for the rest): 630 → 792 Hz is a wail.
    sweep = _pitched(-7.0, [630.0, 699.0, 716.0, 727.0, 746.0, 756.0, 763.0, 779.0, 784.0, 792.0])
    assert _run(sweep) == []


def test_one_misread_hop_in_a_held_pitch_is_no_wails_top():
    # A car horn read at 632-636 Hz, one hop in between at 656 Hz (another voice's misread
    # octave, 3.5 % up and straight back): no siren moves so (independent fresh scene 20).
    blip = [632.0, 633.0, 633.0, 636.0, 656.0, 634.0, 633.0, 634.0]
    assert len(_run(_pitched(-8.0, blip))) == 1
    # The same excursion held for two hops, up and then down, is a wail's top.
    top = [632.0, 633.0, 633.0, 636.0, 652.0, 657.0, 634.0, 633.0]
    assert _run(_pitched(-8.0, top)) == []


def test_a_track_that_reads_a_new_pitch_every_hop_is_no_horn_and_a_horn_read_at_its_partials_is():
    # A car stereo passing under the pole: four notes in four hops, none held (independent
    # scene spiral64-25, where the tune rule had no earlier notes to go on).
    fates: list[TrackFate] = []
    assert _run(_pitched(-25.0, [203.0, 194.0, 205.0, 264.0]), fates) == []
    assert [f.fate for f in fates] == ["no_held_pitch"]
    # A bus's 233/282 Hz horn read off its partials (699/464, 562, then 282 and 423 Hz): the
    # last two hops are one voice and its comb at 3/2, so its pitch holds.
    bus = [
        [_det(1.5, 100.0, (699.0, 464.0))],
        [_det(1.5, 100.0, (562.0,))],
        [_det(1.5, 100.0, (282.0,))],
        [_det(1.5, 100.0, (423.0,))],
    ]
    assert len(_run(bus)) == 1
    # Its first tap alone, two hops that hold nothing, is not asked to: a tap may not settle.
    assert len(_run(bus[:2])) == 1


def test_a_horn_whose_pitch_settles_at_the_onset_and_then_drifts_by_doppler_is_kept():
    settling = _pitched(5.0, [305.0, 316.0, 323.0, 325.0, 325.0, 324.0, 326.0, 326.0])
    assert len(_run(settling)) == 1
    # A short honk: two hops of settling make 16 %/s over the whole track, the rest is held.
    short = _pitched(-1.5, [385.0, 393.0, 399.0, 397.0, 403.0, 401.0])
    assert len(_run(short)) == 1
    passing = _pitched(5.0, [410.0 * (1 - 0.004 * i) for i in range(20)])  # 8 %/s, one way
    assert len(_run(passing)) == 1


def test_an_air_horn_whose_pitch_settles_over_four_hops_is_kept_and_a_wails_slowing_rise_is_not():
    # A truck's air horn 12 m away: its reed settles slowly, 310 -> 328 Hz over four hops (one
    # misread a hop), then holds (independent scene spiral64-35).
    assert len(_run(_pitched(-16.0, [310.0, 318.0, 317.0, 328.0, 330.0, 331.0, 332.0, 332.0]))) == 1
    # A wail slowing toward its top rises by more before it rests there: a siren.
    assert _run(_pitched(-16.0, [620.0, 640.0, 660.0, 676.0, 684.0, 686.0, 688.0, 688.0])) == []
    # A rise that rests for two hops only is no settled horn either.
    assert _run(_pitched(-16.0, [620.0, 630.0, 640.0, 650.0, 660.0, 668.0, 670.0])) == []


def test_a_three_hop_tap_whose_onset_rises_into_a_held_pitch_is_kept_and_a_wail_piece_is_not():
    # A dual-tone car tap: its lower voice reads 319 → 342 → 347 Hz (the onset settling), the
    # upper one appears with the held pitch.
    tap = [
        [_det(-9.0, 100.0, (319.0,))],
        [_det(-9.0, 100.0, (342.0, 432.0))],
        [_det(-9.0, 100.0, (347.0, 437.0))],
    ]
    assert len(_run(tap)) == 1
    # Three hops of a wail that keep moving, rising or falling, still go.
    assert _run(_pitched(-9.0, [700.0, 740.0, 780.0])) == []
    assert _run(_pitched(-9.0, [531.0, 508.0, 484.0])) == []
    # A rise too large for an onset (a yelp's piece) is no settling either.
    assert _run(_pitched(-9.0, [600.0, 660.0, 662.0])) == []


def test_a_two_tone_siren_is_dropped_and_a_dual_tone_horn_is_not():
    lo, hi = 450.0, 600.0
    hilo = [[_det(2.0, 100.0, (lo if (i // 8) % 2 == 0 else hi,))] for i in range(40)]
    assert _run(hilo) == []
    horn = [[_det(2.0, 100.0, (lo, hi) if i % 5 else (lo,))] for i in range(40)]
    assert len(_run(horn)) == 1


def test_a_dual_tone_horn_read_one_voice_at_a_time_beside_a_siren_is_not_a_two_tone_siren():
    # A car's 317/389 Hz horn, while a siren elsewhere fills the detector's other comb slot
    # (586 Hz, never localized): one voice per hop, runs that look like turns taken.
    voices = [317.0] * 4 + [389.0] * 5 + [317.0] * 4 + [389.0] * 5
    car = [([_det(-2.5, 100.0, (f,))], (f, 586.0)) for f in voices]
    assert len(_run_with_combs(car)) == 1
    # A hi-lo siren's turns, with the detector's other slot free, still take turns.
    siren = [([_det(-2.5, 100.0, (f,))], (f,)) for f in voices]
    assert _run_with_combs(siren) == []
    # And with a van honking elsewhere in the other slot, when each tone is held 0.5 s: turns.
    held = [664.0] * 10 + [930.0] * 10 + [664.0] * 10 + [930.0] * 10
    siren = [([_det(1.0, 100.0, (f,))], (f, 352.0)) for f in held]
    assert _run_with_combs(siren) == []


def test_a_square_wave_horn_held_on_unlocalized_around_its_track_is_not_a_beepers_next_beep():
    # A motorcycle's weak 740 Hz horn held 1.8 s, localized only in its middle 0.4 s: its tone is
    # read (too weak to localize) in most hops before and after, with a short drop-out: one tone.
    quiet = [([], ())] * 10
    held = [([], (740.0,))] * 4 + [([], ())] * 3 + [([], (740.0,))] * 8
    (horn,) = _run_with_combs([*quiet, *held, *_buzzer(740.0, 8), *held[::-1], *quiet])
    assert horn.hits[0][1].azimuth_deg == 6.0
    # A beeper's tone read unlocalized half the time around it (0.4 s on, 0.4 s off): its beeps.
    beeps = ([([], (740.0,))] * 8 + [([], ())] * 8) * 2
    assert _run_with_combs([*quiet, *beeps, *_buzzer(740.0, 8), *beeps[::-1], *quiet]) == []


def test_a_sirens_reflection_heard_first_goes_with_the_siren_and_a_horn_elsewhere_stays():
    # A wail's slow rise into its top (704 -> 723 Hz) placed at a facade 30 deg away, then the
    # siren itself from its top as it turns and falls; a car honks at 20 deg meanwhile.
    rise = [704.0, 708.0, 711.0, 714.0, 718.0, 720.0, 721.0, 723.0]
    top = [717.0, 719.0, 720.0, 721.0, 720.0, 715.0, 708.0, 698.0, 686.0, 672.0, 656.0, 640.0, 624.0]
    hops = [([_det(-27.0, 80.0, (f,))], (f,)) for f in rise[:4]]
    for i, f in enumerate(top):
        dets = [_det(3.0, 100.0, (f,))]
        if i < len(rise) - 4:  # the reflection still read beside it
            dets.append(_det(-27.0, 80.0, (rise[4 + i],)))
        hops.append((dets, tuple(d.f0_hz[0] for d in dets)))
    car = [_det(20.0, 100.0, (430.0,))]
    hops = [(dets + car, (*pitches, 430.0)) for dets, pitches in hops]
    fates: list[TrackFate] = []
    closed = _run_with_combs(hops, fates)
    assert [c.hits[0][1].azimuth_deg for c in closed] == [20.0]
    assert {f.fate for f in fates if f.azimuth_deg < 0} == {"siren_elsewhere"}


def test_a_two_tone_siren_with_one_tone_read_an_octave_low_still_takes_turns():
    # The 938 Hz tone of a 688/938 Hz siren read as 469 Hz, now and then at 938 Hz, with weak
    # traffic combs in the other slot: each turn 0.3-0.45 s, three of them in one track.
    hi_turn = [469.0, 469.0, 940.0, 469.0, 469.0, 469.0]
    turns = [688.0] * 9 + hi_turn + [688.0] * 8
    traffic = [245.0, 343.0, 253.0, 220.0, 338.0]
    siren = [([_det(-8.0, 100.0, (f,))], (f, traffic[i % 5])) for i, f in enumerate(turns)]
    assert _run_with_combs(siren) == []
    # A horn holding 688 Hz, its comb read an octave low or high now and then, is no siren.
    horn = [688.0 if i % 4 else (344.0 if i % 8 else 1376.0) for i in range(24)]
    assert len(_run_with_combs([([_det(-8.0, 100.0, (f,))], (f,)) for f in horn])) == 1


def test_a_two_hop_piece_of_a_sweep_read_an_octave_off_hop_by_hop_is_no_horn_tap():
    # A square-wave wail rising 3-4 % a hop, its comb read at its pitch or an octave up in turn;
    # two hops of it (435, 883 Hz) localized: a "tap" on the emergency vehicle.
    before = [345.0, 736.0, 760.0, 393.0, 818.0]
    after = [457.0, 958.0, 987.0, 1010.0, 1048.0, 538.0]
    wail = [
        *[([], (f,)) for f in before],
        *[([_det(0.1, 100.0, (f,))], (f,)) for f in (435.0, 883.0)],
        *[([], (f,)) for f in after],
    ]
    fates: list[TrackFate] = []
    assert _run_with_combs(wail, fates) == []
    assert [f.fate for f in fates] == ["siren_sweep_around"]  # seen in the hangover's hops
    # A car's two-hop tap settling (435, 441 Hz) between an engine's and a bird's combs stays.
    others = [([], (180.0, 2600.0 + 90.0 * i)) for i in range(5)]
    tap = [([_det(0.1, 100.0, (f,))], (f,)) for f in (435.0, 441.0)]
    assert len(_run_with_combs([*others, *tap, *others])) == 1


def test_a_steady_stretch_of_a_siren_heard_sweeping_goes_with_it_and_a_horn_elsewhere_stays():
    # A wail sweeping up from -5°, then (after a gap) two steady hops at its top from the same
    # direction, too short to show a sweep; meanwhile a car honks 20° away.
    wail = [[_det(-5.0, 100.0, (f,))] for f in np.linspace(600.0, 780.0, 16)]
    top = [[_det(-4.5, 100.0, (790.0,))], [_det(-4.5, 100.0, (791.0,))]]
    hops = [*wail, [], [], [], *top]
    for i in range(len(hops)):
        hops[i] = [*hops[i], _det(15.0, 100.0, (420.0,))]
    closed = _run(hops)
    assert [c.hits[0][1].azimuth_deg for c in closed] == [15.0]
    assert len(_run([[], [], [], *top])) == 1  # the same two hops with no siren heard: a tap


def test_a_comb_whose_odd_partials_are_missing_is_a_sound_an_octave_up_and_not_a_horn():
    # A wail's top at 1.35 kHz read as a 676 Hz comb: its "odd partials" sit ~25 dB below its even
    # ones. A horn's comb, even notched by the road's reflection, stays within ~10 dB.
    def steady(deficit_db: float) -> list[list[Detection]]:
        return [[replace(_det(-3.0, 100.0, (676.0,)), even_deficit_db=deficit_db)] for _ in range(6)]

    assert _run(steady(-25.0)) == []
    assert len(_run(steady(-9.0))) == 1
    # Within the range, the same comb is a horn read an octave low (a 980 Hz scooter as 490 Hz).
    low = [[replace(_det(-3.0, 100.0, (490.0,)), even_deficit_db=-25.0)] for _ in range(6)]
    assert len(_run(low)) == 1


def test_a_small_horn_held_with_weak_even_partials_is_kept_and_a_short_one_is_not():
    # A scooter's 767 Hz horn whose even partials sit 9 dB below the odd ones, held 1.5 s.
    def tone(f0: float, hops: int, az: float = 7.0) -> list[list[Detection]]:
        return [[replace(_det(az, 100.0, (f0,)), even_deficit_db=9.0)] for _ in range(hops)]

    assert len(_run(tone(767.0, 30))) == 1
    # Below the small horns' range, a held square-ish tone is still not a horn.
    assert _run(tone(400.0, 30)) == []
    # A hi-lo siren with turns of 1.1 s is a siren, however long each turn is held.
    hilo = [*tone(700.0, 22), *tone(900.0, 22), *tone(700.0, 22), *tone(900.0, 22)]
    assert _run(hilo) == []
    # Held 1.2 s, localized only in its last 0.7 s: the detector read its comb before (hops
    # whose odd partials stood out too far for it to call them a horn's).
    # Without those hops it is a short square-wave tone, kept only alone: here a hi-lo siren's
    # other tone (960 Hz) follows it.
    heard = [([], (767.0,))] * 10
    held = [(d, (767.0,)) for d in tone(767.0, 14)]
    siren_after = [*[([], ())] * 4, *[([], (960.0,))] * 10]
    assert _run_with_combs([*held, *siren_after]) == []
    assert len(_run_with_combs([*heard, *held, *siren_after])) == 1


def test_a_comb_without_even_partials_needs_the_small_horn_hold_whatever_its_deficit():
    # A hi-lo siren's 817 Hz turn read with its even partials missing (flagged odd-only by the
    # detector) while noise at their places keeps the measured deficit small (4 dB): half a
    # second of it between its 586 Hz turns (read, not localized) is no horn; a small horn held
    # 1.5 s that way, alone, is one.
    def tone(hops: int) -> list[tuple[list[Detection], tuple[float, ...]]]:
        det = replace(_det(0.5, 100.0, (817.0,)), even_deficit_db=4.0, odd_only=True)
        return [([det], (817.0,))] * hops

    other = [([], (586.0,))] * 10
    assert _run_with_combs([*other, *tone(10), *other]) == []
    assert len(_run_with_combs(tone(30))) == 1


def _buzzer(f0: float, hops: int) -> list[tuple[list[Detection], tuple[float, ...]]]:
    """A square-wave tone localized at 6°, its even partials 12 dB down."""
    return [([replace(_det(6.0, 100.0, (f0,)), even_deficit_db=12.0)], (f0,))] * hops


def test_a_short_square_wave_tone_is_an_e_bike_horn_only_when_it_sounds_alone():
    fates: list[TrackFate] = []
    quiet = [([], ())] * 10
    # An e-bike's 0.4 s buzzer horn, nothing like it around: an event, decided only once a second
    # has passed with nothing like it (a siren's other turn, or the same beep again).
    (horn,) = _run_with_combs([*quiet, *_buzzer(767.0, 8), *quiet, *quiet])
    assert horn.decided_at - horn.t_end >= 1.0
    # Pressed twice in quick succession: one event.
    assert (
        len(_run_with_combs([*quiet, *_buzzer(767.0, 5), *[([], ())] * 4, *_buzzer(767.0, 5), *quiet])) == 1
    )
    # Its buzz followed by a clean tap from the same place: one honk, decided with the tap.
    tap = [([_det(6.0, 100.0, (767.0,))], (767.0,))] * 3
    (honk,) = _run_with_combs([*quiet, *_buzzer(767.0, 8), *[([], ())] * 4, *tap, *quiet])
    assert (honk.t_start, honk.decided_at) == (10 * HOP, (10 + 8 + 4 + 1 + 1.5) * HOP)
    # The same tone as a turn of a hi-lo siren whose other turns (900 Hz) were read, not localized,
    # and not at the handovers (where `_took_turns` would have found the turns taken).
    other = [*[([], (900.0,))] * 10, *[([], ())] * 4]
    assert _run_with_combs([*other, *_buzzer(767.0, 8), *other[::-1]], fates) == []
    assert [f.fate for f in fates] == ["square_wave_not_alone"]
    # Beside a car's long horn at a hi-lo ratio, sounding on through it: kept.
    car = [([], (900.0,))] * 10
    beside = [(dets, (*pitches, 900.0)) for dets, pitches in _buzzer(767.0, 8)]
    assert len(_run_with_combs([*car, *beside, *car])) == 1
    # Pressed three times: one event; a beeper's short beeps and pauses, on and on: none.
    press = [*_buzzer(767.0, 4), *[([], ())] * 4]
    assert len(_run_with_combs([*quiet, *press * 3, *quiet])) == 1
    assert _run_with_combs([*quiet, *press * 6, *quiet]) == []
    # A beeper: the same tone again after a pause, both beeps dropped.
    assert _run_with_combs([*quiet, *_buzzer(767.0, 8), *quiet, *_buzzer(767.0, 8), *quiet]) == []
    # A second in which a car's dual-tone horn, localized, held both of the detector's combs:
    # a siren's other turn could not have been read there, so the tone is not known to be alone.
    car_horn = [([_det(-30.0, 300.0, (408.0,)), _det(-30.0, 280.0, (318.0,))], (408.0, 318.0))] * 20
    honks = _run_with_combs([*quiet, *quiet, *_buzzer(767.0, 8), *car_horn])
    assert [c.hits[0][1].azimuth_deg for c in honks] == [-30.0]  # the car's, not the tone's
    # The same second with the car's horn read but too weak to be localized: alone, an event.
    unread = [([], (408.0, 318.0))] * 20
    honks = _run_with_combs([*quiet, *quiet, *_buzzer(767.0, 8), *unread])
    assert [c.hits[0][1].azimuth_deg for c in honks] == [6.0]
    # Stray combs at a hi-lo ratio, a hop each (traffic), do not make it a siren.
    strays = [([], (900.0,)), ([], ())] * 5
    assert len(_run_with_combs([*strays, *_buzzer(767.0, 8), *strays])) == 1
    # Below the small horns' range, or a single beep of 0.1 s, it is never a horn; two such
    # beeps pressed in quick succession are.
    assert _run_with_combs([*quiet, *_buzzer(450.0, 8), *quiet]) == []
    assert _run_with_combs([*quiet, *_buzzer(767.0, 2), *quiet]) == []
    double = [*_buzzer(767.0, 2), *[([], ())] * 4, *_buzzer(767.0, 2)]
    assert len(_run_with_combs([*quiet, *double, *quiet])) == 1


def test_a_yelps_top_read_an_octave_low_silences_its_direction_like_a_siren():
    # A yelp's top at 1.46 kHz read as "730 Hz", two hops every 0.35 s: the first hop shows the
    # octave (odd partials 30 dB down), the second less so; some taps pass the octave test alone.
    def top(deficits: tuple[float, float]) -> list[list[Detection]]:
        return [[replace(_det(1.6, 100.0, (730.0,)), even_deficit_db=e)] for e in deficits] + [[]] * 5

    yelp = top((-36.0, -8.0)) + top((-33.0, -2.0)) + top((-26.0, 4.0)) + top((-29.0, 2.0))
    assert _run(yelp) == []
    assert len(_run(top((-26.0, 4.0)) + top((-29.0, 2.0)))) == 1  # no octave heard before: taps
    # A car honking 47° away meanwhile is kept (`edge.analysis.track_relations.near` follows a
    # siren 5°/s from where it was heard).
    car = [[*hops, _det(-45.0, 100.0, (420.0,))] for hops in yelp]
    assert [c.hits[0][1].azimuth_deg for c in _run(car)] == [-45.0]


def _run_with_combs(
    per_hop: list[tuple[list[Detection], tuple[float, ...]]], fates: list[TrackFate] | None = None
) -> list:
    """As `_run`, with every comb the detector read in each hop (localized or too weak to be)."""
    tracker = Tracker(TrackerConfig(), threshold=0.5, release=0.3, f0_max_hz=1150.0)
    if fates is not None:
        tracker.on_fate = fates.append
    out = []
    for i, (dets, pitches) in enumerate([*per_hop, *[([], ())] * 20]):
        obs = HopObservation(i * HOP, (i + 1) * HOP, (i + 1.5) * HOP, tuple(dets), False, pitches)
        out.extend(tracker.update(obs))
    return out + tracker.flush()


def test_a_steady_stretch_that_a_weak_sweep_runs_into_is_a_wails_top_and_a_horn_is_not():
    rising = [669.0 * 1.02**i for i in range(9)]  # 669 → 784 Hz, read but too weak to localize
    top = [792.0, 792.0, 792.0, 791.0, 786.0, 781.0, 776.0]
    wail = [([], (f,)) for f in rising] + [([_det(-3.5, 100.0, (f,))], (f,)) for f in top]
    assert _run_with_combs(wail) == []
    # The same horn-steady stretch after unrelated combs (an engine's, another horn's 9 % away).
    others = [([], (250.0, 720.0)) for _ in rising]
    horn = others + [([_det(-3.5, 100.0, (f,))], (f,)) for f in top]
    assert len(_run_with_combs(horn)) == 1
    # A car horn starting as a wail an octave above it sweeps down (1150 → 770 Hz, never localized).
    wail_above = [([], (1150.0 * 0.96**i,)) for i in range(10)]
    car = [([_det(-3.6, 100.0, (f,))], (f,)) for f in [394.0, 399.0, 402.0, 403.0, 404.0, 400.0]]
    assert len(_run_with_combs(wail_above + car)) == 1
    # A horn whose last hop took another comb (632 Hz), which goes on for three more hops only.
    tail = [([_det(-7.7, 100.0, (f,))], (f,)) for f in [576.0, 582.0, 583.0, 587.0, 584.0, 579.0, 632.0]]
    assert len(_run_with_combs([*tail, ([], (634.0,)), ([], (634.0,)), ([], (669.0,))])) == 1
    # A scooter honking at 25° just as a siren, localized at 5°, sweeps through its pitch.
    siren = [([_det(5.0, 100.0, (f,))], (f,)) if i % 3 == 0 else ([], (f,)) for i, f in enumerate(rising)]
    scooter = [([_det(25.0, 100.0, (786.0,))], (786.0,)) for _ in range(8)]
    assert [c.hits[0][1].azimuth_deg for c in _run_with_combs(siren + scooter)] == [25.0]


def test_a_wails_piece_whose_sweep_goes_on_after_it_closed_is_not_released():
    # Two hops of a wail localized (624, 631 Hz) between stretches read too weak to localize. When
    # the track closes only two of the following hops are known (641, 651: 10 % with the three
    # before); the sweep goes on, and by release it spans 20 %.
    ahead = [([], (f,)) for f in (587.0, 598.0, 614.0)]
    piece = [([_det(-5.1, 100.0, (f,))], (f,)) for f in (624.0, 631.0)]
    after = [([], (f,)) for f in (641.0, 651.0, 660.0, 671.0, 680.0, 688.0, 696.0, 704.0, 712.0)]
    assert _run_with_combs([*ahead, *piece, *after]) == []
    # The same piece where the comb stops after those two hops (a tap settling at 631 Hz).
    quiet = [([], (250.0,)) for _ in range(7)]
    assert len(_run_with_combs([*ahead, *piece, *after[:2], *quiet])) == 1


def test_a_wails_piece_is_followed_through_an_octave_slip_of_the_comb_search():
    # A wail rising 2.7 % a hop: two hops localized (464, 477 Hz), two more read (490, 503 Hz),
    # then its comb read at its true pitch, an octave up (1032 → 1139 Hz).
    piece = [([_det(-3.6, 100.0, (f,))], (f,)) for f in (464.0, 477.0)]
    after = [([], (f,)) for f in (490.0, 503.0, 1032.0, 1059.0, 1082.0, 1106.0, 1139.0)]
    assert _run_with_combs([*piece, *after]) == []
    # Where the comb stops after 503 Hz the piece passes: too short a sweep to tell from a tap.
    quiet = [([], (250.0,)) for _ in range(7)]
    assert len(_run_with_combs([*piece, *after[:2], *quiet])) == 1
    # A steady horn whose comb a wail then reads an octave up: no sweep was under way, it stays.
    horn = [([_det(-3.6, 100.0, (f,))], (f,)) for f in (500.0, 503.0, 504.0, 503.0, 504.0, 503.0)]
    assert len(_run_with_combs([*horn, *after[2:]])) == 1


def _notes(
    pitches: list[tuple[float, ...]], az0: float, hops: int = 12, gap: int = 12
) -> list[list[Detection]]:
    """A source at az0 drifting 0.1° a hop, sounding each pitch set for `hops` hops, then silent."""
    out: list[list[Detection]] = []
    for f0 in pitches:
        out += [[_det(az0 + 0.1 * len(out), 100.0, f0)]] * hops + [[]] * gap
    return out


def test_a_car_stereo_is_not_a_horn_once_its_tune_returns_to_a_chord():
    # C, F, G, C: the fourth chord returns to the first after others; so does the fifth (F).
    chords = [(262.0, 330.0), (175.0, 220.0), (196.0, 247.0), (262.0, 330.0), (175.0, 220.0)]
    assert [c.hits[0][1].f0_hz for c in _run(_notes(chords, az0=-10.0))] == list(chords[:3])
    # The same chords from five places 20° apart are five horns.
    apart = [h for i, f0 in enumerate(chords) for h in _notes([f0], az0=-40.0 + 20 * i)]
    assert len(_run(apart)) == 5


def test_neighbours_honking_in_turn_near_one_another_are_all_kept():
    # A car's two taps, then two other cars nearby: four pitches, four tracks, none returns.
    assert len(_run(_notes([(415.0,), (316.0, 410.0), (434.0,), (482.0,)], az0=5.0, hops=4))) == 4
    # A dual-tone car and its neighbour at the same spot answering each other (one voice read in
    # one tap): pitches return, but only three; and a truck's three-note air horn tapped six times.
    car, car_upper, neighbour = (330.0, 429.0), (429.0,), (500.0,)
    assert len(_run(_notes([car, neighbour, car_upper, neighbour, car], az0=-10.0, hops=6))) == 5
    truck = _notes([(220.0, 277.0), (277.0, 330.0), (220.0, 330.0)] * 2, az0=4.0, hops=5)
    assert len(_run(truck)) == 6


def test_a_few_hops_of_a_horns_pitch_localized_astray_are_not_an_event_of_their_own():
    # A dual-tone car at 5°: its upper voice (415 Hz) is placed 6° off for the first two hops,
    # before the lower one (320 Hz) is heard; afterwards both voices localize on the car.
    car = [[_det(5.0, 200.0, (320.0, 415.0))] for _ in range(8)]
    astray = [[_det(-1.0, 80.0, (412.0,))], [_det(-1.0, 80.0, (415.0,)), _det(5.0, 200.0, (320.0,))]]
    closed = _run([*astray, *car])
    assert [c.hits[0][1].azimuth_deg for c in closed] == [5.0]
    # A façade's reflection: the car's pitch, weaker, 30° aside, from the third hop on: dropped.
    hops = _dual_tone_car(12)
    for i in range(3, 10):
        hops[i] = [*hops[i], _det(-25.0, 90.0, (330.0,))]
    assert [c.hits[0][1].azimuth_deg for c in _run(hops)] == [5.0]
    # A second car with the same horn that started first is its own event, however quiet.
    hops = [[_det(-6.0, 60.0, (330.0,))] for _ in range(3)] + _dual_tone_car(12)
    for i in range(3, 8):
        hops[i] = [*hops[i], _det(-6.0, 60.0, (330.0,))]
    assert sorted(c.hits[0][1].azimuth_deg for c in _run(hops)) == [-6.0, 5.0]
    # And a tap of another pitch inside a long honk stays, however short.
    hops = _dual_tone_car(12)
    for i in range(3, 5):
        hops[i] = [*hops[i], _det(-6.0, 60.0, (472.0,))]
    assert sorted(c.hits[0][1].azimuth_deg for c in _run(hops)) == [-6.0, 5.0]


def test_a_horns_comb_placed_astray_by_a_siren_at_its_pitch_is_dropped_even_a_shade_louder():
    # Own busy scene (seed 60, 64 ch): a scooter's 712 Hz horn at 11° and a hi-lo siren's 707 Hz
    # tone share the comb's bins; from 0.4 s in, the comb lands now on the scooter, now 12° beside
    # it, there a hop's power 0.4 dB above the scooter's own: a wrong fine at 23° until dropped.
    def at(az: float, power: float) -> list[Detection]:
        return [_det(az, power, (712.0,))]

    ghost = {8, 10, 11, 13, 14}
    hops = [at(23.0, 110.0) if i in ghost else at(11.0, 100.0) for i in range(18)]
    assert [c.hits[0][1].azimuth_deg for c in _run(hops)] == [11.0]
    # A second vehicle there with a horn of that pitch, sounding clearly louder (3 dB): its own event.
    hops = [at(23.0, 200.0) if i in ghost else at(11.0, 100.0) for i in range(18)]
    assert sorted(c.hits[0][1].azimuth_deg for c in _run(hops)) == [11.0, 23.0]


def test_a_dual_tone_horns_other_voice_placed_astray_as_it_starts_is_not_an_event():
    # Own validation scene (seed 20, 64 ch): a car's 527 Hz voice at 4°, and its 404 Hz voice,
    # begun with it, placed 6° toward a hi-lo siren for its first two hops, quieter.
    car = [[_det(4.0, 200.0, (527.0,))] for _ in range(8)]
    hops = [[*h] for h in car]
    for i in range(2):
        hops[i].append(_det(-2.0, 120.0, (404.0,)))
    assert [c.hits[0][1].azimuth_deg for c in _run(hops)] == [4.0]
    # The same two hops 0.3 s into the car's honk: another car's tap, begun on its own.
    hops = [[*h] for h in car]
    for i in range(6, 8):
        hops[i].append(_det(-2.0, 120.0, (404.0,)))
    assert sorted(c.hits[0][1].azimuth_deg for c in _run(hops)) == [-2.0, 4.0]


def test_two_hops_of_a_horns_pitch_placed_astray_just_after_it_ends_are_not_an_event():
    # Unseen busy scene (seed 42, 64 ch): a car's 320 Hz comb placed 40° off for two hops, the
    # last 0.15 s after the car's own track ended.
    car = [[_det(5.0, 200.0, (320.0,))] for _ in range(8)]
    astray = [[_det(-35.0, 80.0, (321.0,))], [_det(-35.0, 80.0, (320.0,))]]
    assert [c.hits[0][1].azimuth_deg for c in _run([*car, [], *astray])] == [5.0]
    # The same two hops 0.35 s after the car stopped: a tap of its own.
    assert sorted(c.hits[0][1].azimuth_deg for c in _run([*car, [], [], [], [], [], *astray])) == [-35.0, 5.0]


def test_a_tap_whose_hops_scatter_between_two_places_is_not_an_event():
    # Own busy scene (seed 78, 32 ch): a scooter's tap at 10° beside a wail at -4°; its first hop
    # placed at 1°, its second (louder) on the scooter, its third read an octave low at 1.5°.
    def run(middle_power: float, hits: int = 1) -> tuple[list, list[TrackFate]]:
        lead = [[_det(1.0, 80.0, (954.0,))] for _ in range(hits)]
        fates: list[TrackFate] = []
        hops = [*lead, [_det(9.5, middle_power, (967.0,))], [_det(1.5, 90.0, (484.0,))]]
        return _run(hops, fates), fates

    closed, fates = run(130.0)
    assert closed == []
    assert "placed_apart" in {f.fate for f in fates}
    # The tone placed elsewhere more quietly (a façade's echo), or as loud within the dB by which
    # one comb's hops scatter (a small array's wide lobe): the tap stays.
    for power in (50.0, 95.0):
        closed, _ = run(power)
        assert [round(track_direction(c.hits)[1]) for c in closed] == [1]
    # A held horn (four hops and more) is not moved by one louder hop astray.
    closed, _ = run(130.0, hits=4)
    assert [round(track_direction(c.hits)[1]) for c in closed] == [1]
    # Two places in one hop the track holds too: two vehicles with one horn pitch, both kept.
    hops = [[_det(1.0, 80.0, (954.0,))], [_det(1.0, 80.0, (960.0,)), _det(9.5, 130.0, (967.0,))]]
    hops += [[_det(1.0, 90.0, (958.0,))], [_det(9.5, 130.0, (967.0,))]]
    assert sorted(round(c.hits[0][1].azimuth_deg) for c in _run(hops)) == [1, 10]


def _after_square_tone(
    square_hz: float, square_hops: int, az: float, track: list[float]
) -> tuple[list, list[TrackFate]]:
    """A square tone read (never localized) for `square_hops` hops, then a track at `az` whose
    hops read the pitches `track`: the closed tracks and every track's fate."""
    tracker = Tracker(TrackerConfig(), threshold=0.5, release=0.3, f0_max_hz=1150.0)
    fates: list[TrackFate] = []
    tracker.on_fate = fates.append
    hops = [((), (square_hz,))] * square_hops + [((_det(az, 100.0, (f,)),), ()) for f in track]
    out = []
    for i, (dets, square) in enumerate([*hops, *[((), ())] * 20]):
        obs = HopObservation(
            t_start=i * HOP,
            t_end=(i + 1) * HOP,
            t_decided=(i + 1.5) * HOP,
            detections=dets,
            wind=False,
            pitches=square,
            square_pitches=square,
        )
        out.extend(tracker.update(obs))
    return out + tracker.flush(), fates


def test_a_square_tone_whose_even_places_another_source_fills_is_not_a_horn():
    # A siren's 480 Hz square tone (read, never localized) for 0.2 s; then a scooter taps at
    # 980 Hz and the two make one comb at 484 Hz, placed near the siren.
    tap = [484.0] * 4
    closed, fates = _after_square_tone(479.0, 4, -2.5, tap)
    assert closed == [] and "square_tone_filled" in {f.fate for f in fates}
    # A square tone at another pitch before it, or for only two hops: the horn stays.
    assert len(_after_square_tone(640.0, 4, -2.5, tap)[0]) == 1
    assert len(_after_square_tone(479.0, 2, -2.5, tap)[0]) == 1


def test_a_square_tone_read_an_octave_low_in_its_first_hop_is_still_that_tone():
    # A hi-lo siren's 940 Hz square tone, read and never localized, for 0.2 s; then, as the
    # siren turns, two hops at its place read 467 Hz (the tone an octave low, its odd places
    # filled) and 941 Hz: an event on the emergency vehicle (independent scene spiral64-29).
    closed, fates = _after_square_tone(940.0, 4, -7.0, [467.0, 941.0])
    assert closed == [] and [f.fate for f in fates] == ["square_tone_filled"]
    # A car honking at half the tone's pitch after it is a horn of its own.
    assert len(_after_square_tone(940.0, 4, -7.0, [470.0, 471.0, 470.0])[0]) == 1


def test_a_cars_tap_at_twice_a_pitch_a_passing_bus_glided_through_earlier_is_a_horn():
    # Independent scene (seed 4, 64 ch): a bus pulling away from the pole glides 256 -> 276 Hz
    # (Doppler) over 1.4 s; 1.2 s in, a car 23° away taps at 504 Hz, which is twice the bus's
    # pitch of a second earlier but not of that moment (550 Hz).
    def bus(pitch: float) -> list[Detection]:
        return [_det(22.0, 300.0, (pitch,))]

    glide = [bus(p) for p in np.linspace(256.0, 276.0, 28)]
    tap = [_det(-1.0, 100.0, (504.0,))]
    hops = [*glide[:24], *[[*b, *tap] for b in glide[24:26]], *glide[26:]]
    assert sorted(c.hits[0][1].azimuth_deg for c in _run(hops)) == [-1.0, 22.0]
    # The same two hops at twice the bus's pitch of that moment: its partials placed astray.
    astray = [_det(-1.0, 100.0, (2 * 274.6,))]
    hops = [*glide[:24], *[[*b, *astray] for b in glide[24:26]], *glide[26:]]
    assert [c.hits[0][1].azimuth_deg for c in _run(hops)] == [22.0]


def test_one_turn_of_a_hi_lo_siren_whose_other_turns_were_not_localized_is_dropped():
    lo, hi = 586.0, 816.0
    heard = [([], (lo,))] * 9  # a turn read by the detector but never localized

    def turn(pitch: float, n: int, also: tuple[float, ...] = ()) -> list:
        return [([_det(-1.5, 100.0, (pitch,))], (pitch, *also))] * n

    # The third turn localized (lo, hi, then lo again): dropped when it closes.
    assert _run_with_combs([*heard, *[([], (hi,))] * 9, *turn(lo, 8)]) == []
    # The second turn localized, between two unlocalized ones: dropped when it is released.
    assert _run_with_combs([*heard, *turn(hi, 13), *heard]) == []
    # A horn after another tone stopped, with nothing after: kept.
    assert len(_run_with_combs([*heard, *turn(hi, 13)])) == 1
    # A horn at one tone's pitch while a siren elsewhere goes on with its other tone: kept.
    siren = [*[([], (hi,))] * 9, *heard]
    assert len(_run_with_combs([*siren, *turn(hi, 8, (lo,))])) == 1
    # A scooter at 494 Hz just as a 573 Hz tone stopped, beside a hi-lo siren whose 479 Hz turn
    # sounded during that tone too: no turns were taken, kept.
    beside = [*[([], (479.0,))] * 9, *[([], (634.0, 573.0))] * 5, *[([], (479.0, 573.0))] * 2]
    assert len(_run_with_combs([*beside, *turn(494.0, 4)])) == 1
    # A dual-tone horn whose two combs filled the detector's slots while it honked, the other
    # tone unread then but heard before and after: kept.
    assert len(_run_with_combs([*heard, *turn(hi, 13, (650.0,)), *heard])) == 1


def test_a_few_hops_of_a_dropped_tracks_pitch_localized_elsewhere_are_no_horn_either():
    # A louder truck (258/322 Hz) and, inside its honk, a 389 Hz comb at -9° (3/2 of 258 Hz: a
    # comb read off the truck's overtones, dropped); its last two hops are placed 44° away, one
    # read at its pitch and one an octave up (so no ratio of the truck's voices between them).
    hops = [[_det(-4.0, 300.0, (258.0, 322.0))] for _ in range(12)]
    for i in range(3, 8):
        hops[i] = [*hops[i], _det(-9.0, 100.0, (389.0,))]
    hops[8] = [*hops[8], _det(35.0, 90.0, (390.0,))]
    hops[9] = [*hops[9], _det(35.0, 90.0, (774.0,))]
    assert [c.hits[0][1].azimuth_deg for c in _run(hops)] == [-4.0]


def test_a_car_honking_8_degrees_from_a_siren_heard_later_is_kept_and_the_sirens_own_horn_is_not():
    # A yelp's top read an octave low (a siren, by the octave rule) at 1.6°, heard only in the car's
    # last two hops: 0.4 s after the car's first. Seen on an independent scene: the car 8° away was
    # dropped while the siren's zone grew 15°/s from its nearest hop.
    siren = [replace(_det(1.6, 100.0, (730.0,)), even_deficit_db=e) for e in (-36.0, -8.0)]

    def car_at(az: float) -> list[list[Detection]]:
        hops = [[_det(az, 100.0, (420.0,))] for _ in range(10)]
        hops[8].append(siren[0])
        hops[9].append(siren[1])
        return hops

    assert [c.hits[0][1].azimuth_deg for c in _run(car_at(9.6))] == [9.6]
    assert _run(car_at(4.6)) == []  # 3° from the siren: the emergency vehicle's own horn is exempt


def test_one_whole_turn_of_a_hi_lo_siren_in_one_track_is_dropped():
    # 1141 Hz for 0.7 s, then 825 Hz for 0.75 s from the same place: one turn of a hi-lo siren
    # whose other turns were too weak (or too square) to be localized.
    turn = [[_det(6.0, 100.0, (1141.0,))]] * 14 + [[_det(6.0, 100.0, (825.0,))]] * 15
    assert _run(turn) == []
    # Short runs of two voices a dual-tone horn's ratio apart (one voice read at a time) are no turn.
    voices = [[_det(6.0, 100.0, (f,))] for f in [400.0] * 5 + [500.0] * 5 + [400.0] * 2]
    assert len(_run(voices)) == 1


def test_a_double_tap_heard_in_one_hop_each_beside_a_louder_horn_is_an_event_and_one_tap_is_not():
    # A loud dual-tone horn at 5° for 1 s; another car 15° away taps twice (0.4 s apart), each tap
    # heard in one strong hop only, at a pitch unrelated to the loud horn's.
    hops = _dual_tone_car(20)
    tap = replace(_det(-10.0, 60.0, (760.0,)), score=0.8)
    for i in (5, 13):
        hops[i] = [*hops[i], tap]
    fates: list[TrackFate] = []
    closed = _run(hops, fates)
    assert sorted(c.hits[0][1].azimuth_deg for c in closed) == [-10.0, 5.0]
    taps = next(c for c in closed if c.hits[0][1].azimuth_deg == -10.0)
    assert taps.taps == 2 and taps.decided_at > 13 * HOP  # decided with its second tap

    one = _dual_tone_car(20)
    one[5] = [*one[5], tap]
    fates = []
    assert [c.hits[0][1].azimuth_deg for c in _run(one, fates)] == [5.0]
    assert "single_tap_beside_horn" in {f.fate for f in fates}
    # Without the louder horn two one-hop taps are no event (a yelp's tops), nor are taps at an
    # octave of the louder horn's pitch (its own partials placed astray).
    alone = [[] for _ in range(20)]
    for i in (5, 13):
        alone[i] = [tap]
    assert _run(alone) == []
    octave = _dual_tone_car(20)
    for i in (5, 13):
        octave[i] = [*octave[i], replace(tap, f0_hz=(858.0,))]
    assert [c.hits[0][1].azimuth_deg for c in _run(octave)] == [5.0]


def test_a_weak_tap_at_a_decided_honks_place_and_pitch_extends_its_event_and_makes_none_alone():
    # A double tap (two strong hops) then, 0.25 s later, a third tap read under the threshold in
    # its one hop: one honk, ending with the third tap.
    hops = _scored(4.0, [0.4, 1.0, 0, 0, 0, 0, 0, 0, 0.4, 1.0, 0, 0, 0, 0, 0, 0, 0.45])
    hops = [h if h[0].score > 0 else [] for h in hops]
    fates: list[TrackFate] = []
    closed = _run(hops, fates)
    assert len(closed) == 1 and closed[0].t_end == 17 * HOP
    assert [f.fate for f in fates].count("joined_earlier_tap") == 2
    # The weak tap alone, at another pitch, or at another place does not join (nor make an event).
    assert _run(hops[16:]) == []
    other_pitch = [*hops[:16], [replace(hops[16][0], f0_hz=(520.0,))]]
    assert [c.t_end for c in _run(other_pitch)] == [10 * HOP]
    elsewhere = [*hops[:16], [replace(hops[16][0], azimuth_deg=14.0)]]
    assert [c.t_end for c in _run(elsewhere)] == [10 * HOP]


def test_a_sound_taken_over_by_its_echo_elsewhere_is_placed_where_it_began():
    def at(az: float, n: int, f0: float = 735.0) -> list[list[Detection]]:
        return [[_det(az, 100.0, (f0,))] for _ in range(n)]

    # Heard at 16° for 0.25 s, then at 30° (a façade's image) for the rest of the horn.
    fates: list[TrackFate] = []
    closed = _run(at(16.0, 5) + at(30.0, 8), fates)
    assert [c.hits[0][1].azimuth_deg for c in closed] == [16.0]
    assert "later_arrival" in {f.fate for f in fates}
    # Its onset hop at 16°, the image for eight hops, then 18° again: the image goes, 18° stays.
    closed = _run(at(16.0, 1) + at(29.0, 8) + at(18.0, 3))
    assert [c.hits[0][1].azimuth_deg for c in closed] == [18.0]
    # An onset hop placed astray with nothing there after the horn: the horn stays.
    closed = _run(at(-40.0, 1) + at(0.0, 8))
    assert [c.hits[0][1].azimuth_deg for c in closed] == [0.0]
    # Another vehicle taking over at another pitch: both are horns.
    closed = _run(at(16.0, 5) + at(30.0, 8, f0=520.0))
    assert sorted(c.hits[0][1].azimuth_deg for c in closed) == [16.0, 30.0]


def test_taps_held_in_one_track_settle_anew_at_each_onset_and_a_wails_bottom_does_not():
    # A truck's air horn: two taps 0.1 s apart (the hangover holds them in one track), the
    # second's onset 3 % under the first's held pitch, then rising as it settles.
    first, second = [279.0, 283.0, 285.0, 285.5], [277.0, 279.5, 283.5, 287.0, 287.5]
    taps = [*_pitched(3.5, first), [], [], *_pitched(3.5, second)]
    assert len(_run(taps)) == 1
    # The same pitches in one stretch fall and rise again like a wail's bottom: a siren.
    bottom = _pitched(3.5, first + second)
    assert _run(bottom) == []


def test_a_horn_whose_close_voices_are_localized_in_turn_while_both_sound_is_kept():
    # A recorded car horn (scorched3d's carhorn4): voices 401 and 431 Hz, 7 % apart, both read in
    # every hop, one or the other localized. Followed from voice to voice its pitch would rise
    # and fall by 7 % hop after hop, a wail's top.
    turns = [431.0, 401.0, 401.0, 431.0, 401.0, 431.0, 431.0, 401.0, 431.0, 401.0, 401.0, 431.0, 431.0, 401.0]
    horn = [([_det(-3.0, 100.0, (f,))], (431.0, 401.0)) for f in turns]
    assert len(_run_with_combs(horn)) == 1
    # The same pitches one at a time, as a siren sounds them, are no horn.
    siren = [([_det(-3.0, 100.0, (f,))], (f,)) for f in turns]
    assert _run_with_combs(siren) == []


def test_a_tone_that_steps_once_to_another_never_sounding_with_it_is_a_siren():
    # A wail 59 m away read as 220 Hz for two hops, then as 259 Hz for three (independent scene
    # spiral64-20): each piece holds its pitch, but one tone stops as the other starts.
    step = [220.0, 220.0, 259.0, 259.0, 259.0]
    siren = [([_det(-5.5, 100.0, (f,))], (f,)) for f in step]
    fates: list[TrackFate] = []
    assert _run_with_combs(siren, fates) == []
    assert [f.fate for f in fates] == ["siren"]
    # A dual-tone horn whose voices are localized the same way while the detector reads both.
    horn = [([_det(-5.5, 100.0, (f,))], (220.0, 259.0)) for f in step]
    assert len(_run_with_combs(horn)) == 1


def test_a_hop_found_by_the_second_look_does_not_make_a_stray_track_long_enough_to_keep():
    # Three hops of a car's pitch placed 6° off as it starts are a stray (at most three hits);
    # a fourth hop found there by the beam toward that track (`Detection.looked`) holds the track
    # together but is no evidence of what it is: it is still dropped as heard elsewhere.
    car = [[_det(5.0, 200.0, (320.0, 415.0))] for _ in range(10)]
    for i in range(3):
        car[i] = [*car[i], _det(-1.0, 80.0, (415.0,))]
    car[3] = [*car[3], replace(_det(-1.0, 80.0, (415.0,)), looked=True)]
    fates: list[TrackFate] = []
    closed = _run(car, fates)
    assert [c.hits[0][1].azimuth_deg for c in closed] == [5.0]
    assert [f.fate for f in fates if f.azimuth_deg < 0] == ["heard_elsewhere"]
