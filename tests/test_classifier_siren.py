"""Siren rule: an emergency vehicle is exempt, so a siren is never evidence — with a horn too."""

import numpy as np
import pytest

from edge.classifier import HornClassifier
from edge.sim import signals

FS = 16_000


def _scene(rng: np.random.Generator, seconds: float) -> np.ndarray:
    return 0.03 * signals.traffic_background(seconds, FS, rng)


@pytest.fixture(scope="module", params=["yamnet_head", "compact_cnn"])
def clf(request: pytest.FixtureRequest) -> HornClassifier:
    return HornClassifier(request.param)


@pytest.mark.parametrize("kind", signals.SIREN_KINDS)
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_sirens_are_not_horns(clf: HornClassifier, kind: str, seed: int) -> None:
    rng = np.random.default_rng(seed)
    x = _scene(rng, 4.0) + 0.2 * signals.siren(4.0, FS, rng, kind=kind)
    score = clf.score_clip(x, FS)
    assert not score.is_horn
    assert score.siren_probability > 0.5


@pytest.mark.parametrize("seed", [4, 5, 6])
def test_a_horn_under_a_siren_is_still_exempt(clf: HornClassifier, seed: int) -> None:
    rng = np.random.default_rng(seed)
    x = _scene(rng, 4.0) + 0.2 * signals.siren(4.0, FS, rng, kind="wail")
    horn = signals.horn("car", 0.8, FS, rng)
    x[FS : FS + horn.size] += 0.2 * horn
    assert not clf.score_clip(x, FS).is_horn


@pytest.mark.parametrize("seed", [7, 8, 9])
def test_the_same_horn_without_the_siren_is_a_horn(clf: HornClassifier, seed: int) -> None:
    rng = np.random.default_rng(seed)
    x = _scene(rng, 4.0)
    horn = signals.horn("car", 0.8, FS, rng)
    x[FS : FS + horn.size] += 0.2 * horn
    score = clf.score_clip(x, FS)
    assert score.is_horn
    assert score.siren_probability < 0.5


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_european_two_tone_siren_with_horn_timbre_is_not_a_horn(clf: HornClassifier, seed: int) -> None:
    from models.training.sources import two_tone_siren

    rng = np.random.default_rng(seed)
    x = _scene(rng, 4.0) + 0.2 * two_tone_siren(4.0, FS, rng)
    assert not clf.score_clip(x, FS).is_horn
    horn = signals.horn("scooter", 0.5, FS, rng)
    x[FS : FS + horn.size] += 0.2 * horn
    assert not clf.score_clip(x, FS).is_horn
