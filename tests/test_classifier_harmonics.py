"""The horn-bin mask finds a horn's fundamentals and leaves broadband noise alone."""

import numpy as np
import pytest

from edge.classifier import horn_bin_mask

FS = 16_000
N = 2048


def _spectrum(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return np.fft.rfftfreq(N, 1 / FS), np.abs(np.fft.rfft(x[:N] * np.hanning(N)))


def _tone(f0: float, rng: np.random.Generator) -> np.ndarray:
    t = np.arange(N) / FS
    return sum(
        np.sin(2 * np.pi * k * f0 * t + rng.uniform(0, 6.3)) / k for k in range(1, 20) if k * f0 < 7000
    )


def test_dual_tone_horn_gives_both_fundamentals_and_their_harmonic_bins() -> None:
    rng = np.random.default_rng(0)
    x = _tone(410.0, rng) + _tone(515.0, rng) + 0.3 * rng.standard_normal(N)
    freqs, mag = _spectrum(x)
    bins = horn_bin_mask(freqs, mag)
    assert sorted(round(f / 5) * 5 for f in bins.fundamentals_hz) == [410, 515]
    w = bins.weights
    assert w.shape == freqs.shape and w.min() >= 0.0 and w.max() <= 1.0
    for h in (410, 820, 1230, 515, 1030, 2060):
        assert w[np.argmin(np.abs(freqs - h))] > 0.5
    assert w[np.argmin(np.abs(freqs - 300))] == 0.0
    assert (w > 0).mean() < 0.4


def test_broadband_noise_has_no_horn_bins() -> None:
    rng = np.random.default_rng(1)
    freqs, mag = _spectrum(rng.standard_normal(N))
    bins = horn_bin_mask(freqs, mag)
    assert bins.fundamentals_hz == ()
    assert not bins.weights.any()


def test_mismatched_inputs_are_refused() -> None:
    with pytest.raises(ValueError):
        horn_bin_mask(np.arange(10.0), np.ones(9))
