"""The source-signal library: deterministic, normalised, and shaped like the real sounds."""

import numpy as np
import pytest

from edge.sim import signals

FS = 16_000


def _rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(x**2)))


@pytest.mark.parametrize("kind", signals.HORN_KINDS)
def test_horn_is_deterministic_unit_rms_and_the_requested_length(kind: str) -> None:
    a = signals.horn(kind, 0.7, FS, np.random.default_rng(5))
    b = signals.horn(kind, 0.7, FS, np.random.default_rng(5))
    c = signals.horn(kind, 0.7, FS, np.random.default_rng(6))
    assert a.shape == (round(0.7 * FS),)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)
    assert _rms(a) == pytest.approx(1.0, rel=1e-6)


def test_car_horn_is_harmonic_with_energy_up_to_several_khz() -> None:
    x = signals.horn("car", 1.0, 48_000, np.random.default_rng(1))
    spec = np.abs(np.fft.rfft(x * np.hanning(x.size))) ** 2
    f = np.fft.rfftfreq(x.size, 1 / 48_000)
    in_band = spec[(f >= 250) & (f <= 700)].sum()
    high = spec[(f >= 3000) & (f <= 8000)].sum()
    assert high > 1e-3 * in_band  # rich harmonics, not a sine
    peak = f[np.argmax(spec[f < 2000])]
    assert 250 <= peak <= 1400


@pytest.mark.parametrize("pattern", signals.HORN_PATTERNS)
def test_horn_pattern_intervals_lie_inside_the_signal_and_carry_the_sound(pattern: str) -> None:
    x, intervals = signals.horn_pattern("scooter", FS, np.random.default_rng(3), pattern)
    assert len(intervals) == {"tap": 1, "short": 1, "double": 2, "triple": 3, "long": 1}[pattern]
    on = np.zeros(x.size, bool)
    for t0, t1 in intervals:
        assert 0 <= t0 < t1 <= x.size / FS + 1e-9
        on[round(t0 * FS) : round(t1 * FS)] = True
    assert _rms(x[on]) == pytest.approx(1.0, rel=1e-6)
    if not on.all():
        assert _rms(x[~on]) < 0.05


@pytest.mark.parametrize(
    "name", [*sorted(signals.CONFUSERS), *signals.UNSEEN_CONFUSERS, "traffic_background"]
)
@pytest.mark.parametrize("fs", [8000, 16000, 48000])
def test_every_source_gives_finite_samples_of_the_requested_length(name: str, fs: int) -> None:
    fn = {**signals.CONFUSERS, **signals.UNSEEN_CONFUSERS}.get(name) or signals.traffic_background
    x = fn(0.5, fs, np.random.default_rng(0))
    assert x.shape == (fs // 2,)
    assert np.all(np.isfinite(x))
    assert 0.3 < _rms(x) <= 1.0 + 1e-6  # unit RMS while sounding; gaps lower the total


def test_unknown_kinds_are_refused_with_the_allowed_names() -> None:
    with pytest.raises(ValueError, match="car"):
        signals.horn("tuba", 1.0, FS, np.random.default_rng(0))
    with pytest.raises(ValueError, match="wail"):
        signals.siren(1.0, FS, np.random.default_rng(0), kind="whoop")
    with pytest.raises(ValueError, match="positive"):
        signals.rain(0.0, FS, np.random.default_rng(0))
