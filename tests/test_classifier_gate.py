"""The YAMNet gate: the trained head may not call a horn what YAMNet itself does not hear as one."""

import numpy as np
import pytest

from edge.classifier.classifier import HornClassifier, normalise_level
from edge.classifier.yamnet import baseline_horn_score
from edge.sim import signals


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
    gated = clf._patch_probs(patch)
    yam = float(baseline_horn_score(clf._yamnet.run(patch)[0][:1])[0])
    assert yam < gate  # a squeal: YAMNet hears no horn in it …
    assert gated[1] == pytest.approx(raw[1] * yam / gate, rel=1e-5, abs=1e-7)  # … so the head's 0.3 goes
    assert raw[1] > 10 * gated[1]
    assert gated.sum() == pytest.approx(1.0, abs=1e-5) and gated[2] == pytest.approx(raw[2])


def test_a_horn_yamnet_hears_keeps_its_score(clf):
    horn = signals.horn("car", 1.0, 16000, np.random.default_rng(5))
    patch = _patch(horn)
    raw, gated = clf.model_probs(patch), clf._patch_probs(patch)
    assert float(baseline_horn_score(clf._yamnet.run(patch)[0][:1])[0]) >= clf.variant.yamnet_gate
    assert gated[1] == pytest.approx(raw[1], rel=1e-6)
