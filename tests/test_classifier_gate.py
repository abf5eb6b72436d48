"""The YAMNet gate: the trained head may not call a horn what YAMNet itself does not hear as one."""

import copy
from dataclasses import replace

import numpy as np
import pytest

from edge.classifier.classifier import HornClassifier, normalise_level
from edge.classifier.yamnet import baseline_horn_score
from edge.sim import signals
from models.training.sources import phone_ring


@pytest.fixture(scope="module")
def clf() -> HornClassifier:
    return HornClassifier("yamnet_head")


def _patch(x: np.ndarray) -> np.ndarray:
    p = normalise_level(np.asarray(x, np.float32)[:15600])
    assert p is not None
    return p


def test_the_gate_scales_the_heads_horn_by_yamnets_own_horn_score(clf):
    gate = clf.variant.yamnet_gate
    assert gate is not None and 0 < gate < 1  # the shipped card sets it
    patch = _patch(signals.brake_squeal(1.0, 16000, np.random.default_rng(3)))
    raw = clf.model_probs(patch)
    yam = float(baseline_horn_score(clf._yamnet.run(patch)[0][:1])[0])
    assert yam < gate  # a squeal: YAMNet hears no horn in it …
    gate_only = copy.copy(clf)  # the same sessions, without the rivals
    gate_only.variant = replace(gate_only.variant, yamnet_rivals=())
    gated = gate_only._patch_probs(patch)
    assert gated[1] == pytest.approx(raw[1] * yam / gate, rel=1e-5, abs=1e-7)  # … so the head's 0.3 goes
    assert raw[1] > 10 * gated[1]
    assert gated.sum() == pytest.approx(1.0, abs=1e-5) and gated[2] == pytest.approx(raw[2])
    assert clf._patch_probs(patch)[1] < gated[1]  # and it hears more alarm or buzzer than horn in it


def test_a_horn_yamnet_hears_keeps_its_score(clf):
    horn = signals.horn("car", 1.0, 16000, np.random.default_rng(5))
    patch = _patch(horn)
    raw, gated = clf.model_probs(patch), clf._patch_probs(patch)
    assert float(baseline_horn_score(clf._yamnet.run(patch)[0][:1])[0]) >= clf.variant.yamnet_gate
    assert gated[1] == pytest.approx(raw[1], rel=1e-6)


def test_a_sound_yamnet_hears_more_as_an_alarm_than_as_a_horn_is_no_horn(clf):
    # A telephone ring (the held-out confuser the training never saw): YAMNet hears some horn in
    # it (0.17, past the gate) but more alarm (0.36); the head, which never met a ring, says 0.91.
    rivals = list(clf.variant.yamnet_rivals)
    assert 382 in rivals  # the shipped card names Alarm among them
    patch = _patch(phone_ring(1.0, 16000, np.random.default_rng(23)))
    scores = clf._yamnet.run(patch)[0][:1]
    horn = float(baseline_horn_score(scores)[0])
    assert clf.variant.yamnet_gate <= horn < float(scores[0, rivals].max())
    rival = float(scores[0, rivals].max())
    raw, gated = clf.model_probs(patch), clf._patch_probs(patch)
    assert gated[1] == pytest.approx(raw[1] * (horn / rival) ** 2, rel=1e-5)
    assert raw[1] > clf.threshold > 2 * gated[1]
    assert gated.sum() == pytest.approx(1.0, abs=1e-5) and gated[2] == pytest.approx(raw[2])
