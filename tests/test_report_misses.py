"""Which truth horns count as missed, and the one-word reason pooled by the scoring script."""

from edge.analysis.detections import TrackFate
from edge.report.misses import missed_horns, why_missed
from edge.scene import Truth, TruthEvent


def _fate(t0: float, az: float, fate: str) -> TrackFate:
    return TrackFate(t0, t0 + 0.2, 4, az, -3.0, 440.0, 0.9, fate)


def test_a_horn_is_missed_unless_an_event_points_at_it_and_is_explained_by_the_tracks_near_it():
    truth = Truth(events=[TruthEvent(1.0, 1.5, 10.0, -3.0), TruthEvent(1.0, 1.5, -10.0, -3.0)])
    # One event at the first horn's time but toward the other car: the second horn is found by
    # time alone, yet no event points at it.
    events = [{"t_start": 1.0, "t_end": 1.5, "azimuth_deg": 10.2, "elevation_deg": -3.1}]
    fates = [
        _fate(1.0, 10.0, "event"),
        _fate(1.05, -9.0, "undecided"),
        _fate(1.2, -11.0, "near_siren"),
        _fate(1.1, 30.0, "square_wave"),  # 40° away: no explanation of the second horn
        _fate(3.0, -10.0, "siren"),  # seconds later: neither
    ]
    missed = missed_horns(events, fates, truth)
    assert [(h.azimuth_deg, [f.fate for f in near]) for h, near in missed] == [
        (-10.0, ["undecided", "near_siren"])
    ]
    assert why_missed(missed[0][1]) == "near_siren"  # a rule beats a track that never decided
    assert why_missed([_fate(1.0, 0.0, "undecided")]) == "undecided"
    assert why_missed([]) == "no_track"
