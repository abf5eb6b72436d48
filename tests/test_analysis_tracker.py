"""Tracker rules on hand-made detections: tracks per source, and combs that are no horn of their own."""

from edge.analysis.config import TrackerConfig
from edge.analysis.tracker import Detection, HopObservation, Tracker

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


def _run(per_hop: list[list[Detection]]) -> list:
    tracker = Tracker(TrackerConfig(), threshold=0.5, release=0.3)
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


def test_a_second_horn_during_a_long_one_is_kept():
    hops = _dual_tone_car(12)
    for i in range(3, 7):  # another vehicle's horn at an unrelated pitch
        hops[i] = [*hops[i], _det(-6.0, 60.0, (472.0,))]
    closed = _run(hops)
    assert sorted(c.hits[0][1].azimuth_deg for c in closed) == [-6.0, 5.0]


def _pitched(az: float, f0s: list[float]) -> list[list[Detection]]:
    return [[_det(az, 100.0, (f,))] for f in f0s]


def test_a_short_piece_of_a_wail_is_not_a_horn_but_a_steady_horn_is():
    rising = _pitched(-12.0, [774.0, 794.0, 804.0, 812.0, 822.0])  # 25 %/s: a wail siren's sweep
    assert _run(rising) == []
    wobbling = _pitched(4.0, [471.0, 461.0, 470.0, 476.0, 477.0, 476.0])  # a diaphragm horn's wobble
    assert len(_run(wobbling)) == 1
