"""The training material's own guarantees: the extra horns and sirens are what they claim to be,
labelled windows follow the labelling rules, and the shipped head's constraints hold."""

import numpy as np
import pytest

from models.training import dataset, sources

FS = 16_000


def _pitch(x: np.ndarray) -> float:
    """Frequency of the strongest spectral peak (Hz)."""
    spec = np.abs(np.fft.rfft(x * np.hanning(x.size)))
    return float(np.fft.rfftfreq(x.size, 1 / FS)[np.argmax(spec)])


def test_pitch_shift_scales_frequency_and_duration() -> None:
    t = np.arange(FS) / FS
    y = sources.pitch_shift(np.sin(2 * np.pi * 500 * t), 2.0)
    assert y.size == pytest.approx(FS / 2, abs=2)
    assert _pitch(y) == pytest.approx(1000, rel=0.01)


def test_pass_by_glides_down_in_pitch() -> None:
    t = np.arange(4 * FS) / FS
    y = sources.pass_by(np.sin(2 * np.pi * 1000 * t), FS, np.random.default_rng(3))
    early, late = _pitch(y[FS // 4 : FS]), _pitch(y[3 * FS : int(3.75 * FS)])
    assert early > 1000 > late


def test_two_tone_siren_alternates_between_two_pitches_a_fourth_or_so_apart() -> None:
    x = sources.two_tone_siren(4.0, FS, np.random.default_rng(1))
    assert x.size == 4 * FS and np.sqrt(np.mean(x**2)) == pytest.approx(1.0, rel=1e-6)
    pitches = [_pitch(x[i : i + 2048]) for i in range(0, x.size - 2048, 1024)]
    lo, hi = min(pitches), max(pitches)
    assert 1.2 < hi / lo < 1.5
    assert sum(abs(p - lo) < 15 for p in pitches) > 5 and sum(abs(p - hi) < 15 for p in pitches) > 5


def test_windows_are_deterministic_and_labelled_by_the_rules() -> None:
    a = dataset.make_split(60, 5)
    b = dataset.make_split(60, 5)
    np.testing.assert_array_equal(a.waves, b.waves)
    assert a.waves.shape == (60, 15_600) and np.all(np.isfinite(a.waves))
    for label, tag in zip(a.labels, a.tags, strict=True):
        if tag.startswith("siren"):
            assert label == 2  # with or without a horn: exempt
        elif tag.startswith("horn"):
            assert label == 1
        else:
            assert label == 0 and tag not in dataset.HELD_OUT_CONFUSERS


def test_score_head_can_only_raise_horn_through_yamnets_horn_classes() -> None:
    torch = pytest.importorskip("torch")
    from models.training import nets

    torch.manual_seed(0)
    head = nets.YamnetScoreHead().eval()
    with torch.no_grad():
        head.neg.normal_(0, 1)
        scores = torch.full((1, 521), 0.01)
        emb = torch.zeros(1, 1024)
        base = head.logits(emb, scores)[0, 1] - head.logits(emb, scores)[0, 0]
        horn = scores.clone()
        horn[0, 302] = 0.9
        sheep = scores.clone()
        sheep[0, 92] = 0.9
        siren = scores.clone()
        siren[0, 390] = 0.9
        # horn logit relative to "other", with the embedding (and so the correction) held fixed
        assert head.logits(emb, horn)[0, 1] > base
        assert head.logits(emb, sheep)[0, 1] <= base + 1e-6
        assert head.logits(emb, siren)[0, 2] > head.logits(emb, scores)[0, 2]
