"""Feature parity: the edge's numpy log-mel is YAMNet's, and the runtime reproduces training."""

import numpy as np
import pytest

from edge.classifier import HornClassifier, features
from edge.classifier.sessions import open_session
from edge.classifier.yamnet import Yamnet
from edge.paths import models_dir

GOLDEN = models_dir() / "training" / "golden.npz"


def test_numpy_log_mel_matches_yamnets_own_graph() -> None:
    rng = np.random.default_rng(0)
    t = np.arange(features.WINDOW_SAMPLES) / features.SAMPLE_RATE
    sess = open_session(models_dir() / "yamnet.onnx")
    for wave in (
        0.1 * rng.standard_normal(t.size),
        0.4 * np.sign(np.sin(2 * np.pi * 415 * t)) + 0.01 * rng.standard_normal(t.size),
        1e-4 * rng.standard_normal(t.size),
    ):
        wave = wave.astype(np.float32)
        want = sess.run(["log_mel"], {"waveform": wave})[0]
        got = features.log_mel(wave)
        assert got.shape == want.shape == (features.PATCH_FRAMES, features.MEL_BANDS)
        np.testing.assert_allclose(got, want, atol=2e-4)


def test_patches_follow_yamnets_framing() -> None:
    yam = Yamnet()
    for n in (1000, 15_600, 16_000, 40_000):
        wave = np.zeros(n, np.float32)
        assert features.patches(wave).shape[0] == yam.run(wave)[0].shape[0]


def test_runtime_reproduces_the_training_outputs_on_the_golden_window() -> None:
    golden = np.load(GOLDEN)
    np.testing.assert_allclose(features.log_mel(golden["wave"]), golden["log_mel"], atol=1e-4)
    cnn = HornClassifier("compact_cnn").model_probs(golden["wave"])
    np.testing.assert_allclose(cnn, golden["cnn_probs"][0], atol=1e-4)
    head = HornClassifier("yamnet_head").model_probs(golden["wave"])
    np.testing.assert_allclose(head, golden["head_probs"][0], atol=1e-4)


@pytest.mark.parametrize("variant", ["yamnet_head", "compact_cnn"])
def test_verdict_ignores_the_recording_gain_and_silence_is_never_a_horn(variant: str) -> None:
    clf = HornClassifier(variant)
    golden = np.load(GOLDEN)["wave"]
    loud = clf.score_window(golden)
    for gain_db in (-50.0, -20.0, 6.0):
        quiet = clf.score_window(golden * 10 ** (gain_db / 20))
        assert quiet.horn == pytest.approx(loud.horn, abs=1e-3)
    for silent in (np.zeros(40_000), np.full(20_000, 1e-7)):
        clip = clf.score_clip(silent, 16_000)
        assert clip.horn_probability == 0.0 and not clip.is_horn


def test_mono_mix_and_resampling() -> None:
    stereo = np.stack([np.ones(4800), -np.ones(4800) * 0.5], axis=1)
    np.testing.assert_allclose(features.to_mono(stereo), 0.25)
    x = np.sin(2 * np.pi * 440 * np.arange(48_000) / 48_000)
    y = features.resample_to_model_rate(x, 48_000)
    assert y.dtype == np.float32 and y.size == 16_000
    assert abs(np.fft.rfftfreq(y.size, 1 / 16_000)[np.argmax(np.abs(np.fft.rfft(y)))] - 440) < 2
    with pytest.raises(ValueError):
        features.to_mono(np.zeros((2, 2, 2)))
