"""Scoring: matching by time, recall/precision apart, angular error, attribution against vehicles."""

import pytest

from edge.scene.model import Truth, TruthEvent
from edge.scoring import angle_deg, pool_scores, score_events, summary_table


def _ev(t0, t1, az, el, lat=0.2):
    return {"t_start": t0, "t_end": t1, "azimuth_deg": az, "elevation_deg": el, "detected_after_s": lat}


def test_recall_precision_and_errors():
    truth = Truth(
        events=[
            TruthEvent(1.0, 1.5, 10.0, -5.0),
            TruthEvent(3.0, 3.4, -8.0, -4.0),
            TruthEvent(6.0, 6.3, 0.0, -6.0),
        ]
    )
    events = [_ev(1.05, 1.5, 10.5, -5.0), _ev(3.0, 3.4, -8.0, -6.0), _ev(8.0, 8.5, 3.0, -3.0)]
    s = score_events(events, truth)
    assert s.recall == pytest.approx(2 / 3) and s.precision == pytest.approx(2 / 3)
    assert s.errors_deg[0] == pytest.approx(angle_deg(10.5, -5.0, 10.0, -5.0))
    assert s.errors_deg[1] == pytest.approx(2.0, abs=1e-6)
    assert s.median_error_deg == pytest.approx(sum(s.errors_deg) / 2)
    assert s.median_latency_s == pytest.approx(0.225)
    assert s.attribution is None  # no other vehicle to confuse it with


def test_moving_source_is_compared_at_the_reference_time():
    truth = Truth(events=[TruthEvent(0.0, 2.0, 0.0, -5.0, track_deg=[(0.0, -5.0, -5.0), (2.0, 5.0, -5.0)])])
    e = _ev(0.0, 2.0, 2.5, -5.0)
    e["t_ref"] = 1.5
    assert score_events([e], truth).errors_deg[0] == pytest.approx(0.0, abs=1e-6)


def _two_vehicles() -> Truth:
    """Vehicle a honks at (4°, −5°); vehicle b stands 3° beside it."""
    return Truth(
        events=[TruthEvent(1.0, 1.5, 4.0, -5.0, extra={"vehicle_id": "a"})],
        extra={
            "vehicles": [
                {"id": "a", "track": [[0.0, 4.0, -5.0, 20.0], [3.0, 4.0, -5.0, 20.0]]},
                {"id": "b", "track": [[0.0, 7.0, -5.0, 20.0], [3.0, 7.0, -5.0, 20.0]]},
            ]
        },
    )


def test_attribution_against_other_vehicles():
    truth = _two_vehicles()
    assert score_events([_ev(1.0, 1.5, 5.0, -5.0)], truth).attribution == 1.0
    assert score_events([_ev(1.0, 1.5, 6.0, -5.0)], truth).attribution == 0.0


def test_a_report_toward_the_wrong_vehicle_is_not_a_hit():
    """Right time, wrong vehicle: found for recall, but not correct for precision."""
    truth = _two_vehicles()
    near_b = score_events([_ev(1.0, 1.5, 6.5, -5.0)], truth)
    assert near_b.recall == 1.0 and near_b.precision == 0.0
    far_off = score_events([_ev(1.0, 1.5, 40.0, -5.0)], Truth(events=truth.events))
    assert far_off.recall == 1.0 and far_off.precision == 0.0
    on_a = score_events([_ev(1.0, 1.5, 4.5, -5.0)], truth)
    assert on_a.precision == 1.0


def test_evidence_precision_counts_only_what_would_become_evidence():
    """An event outside the picture or under a suspending condition is reported, never evidence."""
    truth = Truth(events=[TruthEvent(1.0, 1.5, 10.0, -5.0)])
    hit = _ev(1.0, 1.5, 10.2, -5.0)
    outside = {**_ev(4.0, 4.3, 40.0, -30.0), "inside_frame": False}
    windy = {**_ev(6.0, 6.3, 2.0, -4.0), "conditions": ["wind"]}
    stray = _ev(8.0, 8.3, 3.0, -3.0)
    s = score_events([hit, outside, windy, stray], truth)
    assert s.precision == pytest.approx(1 / 4)
    assert (s.evidence_true_positives, s.evidence_events) == (1, 2)
    assert s.evidence_precision == pytest.approx(1 / 2)
    assert any(line.startswith("precision of evidence 0.500  (1/2") for line in s.lines())
    pooled = pool_scores([s, score_events([hit], truth)])
    assert (pooled.evidence_true_positives, pooled.evidence_events) == (2, 3)


def test_double_tap_counts_once_either_way():
    truth = Truth(events=[TruthEvent(1.0, 1.2, 0.0, -5.0), TruthEvent(1.35, 1.55, 0.0, -5.0)])
    merged = score_events([_ev(1.0, 1.55, 0.1, -5.0)], truth)
    assert merged.recall == 1.0 and merged.precision == 1.0
    table = summary_table([("double tap", merged)])
    assert "double tap" in table and "1.000" in table


def test_empty_cases_give_no_figures_rather_than_fake_ones():
    s = score_events([], Truth())
    assert s.recall is None and s.precision is None and s.median_error_deg is None
    assert s.evidence_precision is None
    # Printed as "n/a", without the unit a figure would have.
    assert "angular error median n/a  p90 n/a" in s.lines()
    assert "detection latency median n/a" in s.lines()
