"""The detector's classifier verdict on a closed event's clip: horns pass, sirens never do."""

import numpy as np
import pytest

from edge.analysis.verdict import ClassifierVerdict
from edge.sim import signals

FS = 16_000


def _clip(seed: int, *, horn: bool, siren: bool) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = 0.03 * signals.traffic_background(3.0, FS, rng)
    if siren:
        x += 0.2 * signals.siren(3.0, FS, rng, kind="hilo")
    if horn:
        h = signals.horn("car", 0.6, FS, rng)
        x[FS // 2 : FS // 2 + h.size] += 0.2 * h
    return x


@pytest.fixture(scope="module")
def verdict() -> ClassifierVerdict:
    v = ClassifierVerdict("yamnet_head")
    assert v.available
    return v


@pytest.mark.parametrize("seed", [1, 2])
def test_a_horn_is_reported_and_a_siren_is_not_even_with_a_horn(
    verdict: ClassifierVerdict, seed: int
) -> None:
    horn = verdict.judge(_clip(seed, horn=True, siren=False), FS)
    assert horn is not None and horn.report and horn.siren < 0.5
    for clip in (_clip(seed, horn=False, siren=True), _clip(seed, horn=True, siren=True)):
        v = verdict.judge(clip, FS)
        assert v is not None and not v.report


def test_an_empty_clip_or_a_missing_model_gives_no_verdict(tmp_path, monkeypatch) -> None:
    assert ClassifierVerdict("yamnet_head").judge(np.zeros(0, np.float32), FS) is None
    monkeypatch.setattr("edge.classifier.card.models_dir", lambda: tmp_path)
    broken = ClassifierVerdict("compact_cnn")
    assert not broken.available and broken.judge(np.ones(FS, np.float32), FS) is None


def test_short_clips_are_mirror_padded_to_one_patch_and_long_ones_kept() -> None:
    from edge.analysis.verdict import mirror_to_one_patch

    tap = np.arange(1, 9601, dtype=np.float32)  # 0.2 s at 48 kHz
    out = mirror_to_one_patch(tap, 48_000)
    assert out.size == int(np.ceil(0.975 * 48_000))
    start = (out.size - tap.size) // 2
    np.testing.assert_array_equal(out[start : start + tap.size], tap)
    assert np.all(out != 0)  # no digital silence inside the patch
    long = np.ones(60_000, np.float32)
    assert mirror_to_one_patch(long, 48_000) is long
