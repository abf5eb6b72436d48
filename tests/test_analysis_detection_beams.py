"""Detection beams: a source keeps its level through its beam, noise uncorrelated between the
microphones loses it, and a horn under such noise is found with the beams and not without them."""

import numpy as np
import pytest
from analysis_support import render

from edge.analysis.analyzer import Analyzer
from edge.analysis.config import build_config
from edge.analysis.detection_beams import DetectionBeams, beams_separate
from edge.analysis.grid import FocusModel
from edge.analysis.steering import SteeringModel
from edge.errors import UserFacingError
from edge.geometry.profiles import load_profile

FS = 48000


@pytest.fixture(scope="module")
def prof():
    return load_profile("pole-spiral64")


def _spectra(x: np.ndarray, n: int = 2400) -> tuple[np.ndarray, np.ndarray]:
    """(F, M, K) spectra of K consecutive Hann frames, and their frequencies."""
    w = np.hanning(n).astype(np.float32)
    frames = [x[i * n : (i + 1) * n] * w[:, None] for i in range(len(x) // n)]
    spec = np.stack([np.fft.rfft(f, axis=0) for f in frames], axis=2).astype(np.complex64)
    return spec, np.fft.rfftfreq(n, 1 / FS)


def test_a_plane_wave_keeps_its_level_and_uncorrelated_noise_loses_it(prof):
    pos = prof.array.positions_m
    m = len(pos)
    rng = np.random.default_rng(5)
    # A 700 Hz tone from 8° right, 3° down, far away (a plane wave) ...
    wave = render(
        pos, FS, 0.2, [(np.sin(2 * np.pi * 700 * np.arange(FS) / FS), 0.0, 8.0, -3.0, 1e4)], noise_rms=0
    )
    # ... and noise drawn independently at every microphone.
    noise = rng.standard_normal((len(wave), m)).astype(np.float32)
    beams = DetectionBeams(
        SteeringModel(pos, 343.0), _spectra(wave)[1], (-40, 40, -30, 20), FocusModel(None, None), 1000.0
    )
    healthy = np.ones(m, bool)
    for x, expect in ((wave, "kept"), (noise, "lost")):
        spec, freqs = _spectra(x)
        mean = (np.abs(spec[: beams.n_bins]) ** 2).mean(axis=(1, 2))
        beamed = beams.power(spec, healthy)
        if expect == "kept":
            k = int(np.argmin(np.abs(freqs - 700)))
            assert abs(10 * np.log10(beamed[k] / mean[k])) < 1.5
        else:  # 16 microphones: 12 dB less, minus what the best of a few hundred beams picks up
            assert np.median(10 * np.log10(beamed[5:] / mean[5:])) < -6


def test_a_horn_under_uncorrelated_noise_is_found_only_through_the_beams(prof):
    rng = np.random.default_rng(9)
    t = np.arange(FS) / FS
    horn = sum(np.sin(2 * np.pi * 200 * k * t + rng.uniform(0, 6.3)) for k in range(1, 9))  # 200-1600 Hz
    x = render(prof.array.positions_m, FS, 2.0, [(0.02 * horn, 0.6, 5.0, -2.0, 30.0)], noise_rms=0)
    partial = 0.02 / 30 / np.sqrt(2)  # each partial's RMS at the array
    # Noise drawn at every microphone with about the partials' power in each 20 Hz bin: 0 dB there.
    x = x + rng.standard_normal(x.shape).astype(np.float32) * np.float32(20 * partial)
    found = {}
    for beam_max in (2000.0, 0.0):  # all eight partials beamed, or none
        cfg = build_config(None, [f"detector.beam_max_hz={beam_max}"])
        an = Analyzer(cfg, prof.array.positions_m, FS, camera=prof.camera)
        found[beam_max] = an.feed(x) + an.flush()
    assert len(found[2000.0]) == 1 and not found[0.0]
    e = found[2000.0][0]
    assert abs(e.azimuth_deg - 5.0) < 1.5 and abs(e.elevation_deg + 2.0) < 1.5


def test_beams_are_used_only_where_the_array_tells_directions_apart() -> None:
    # The pole spirals (0.9 m and 0.6 m) have 22° and 33° lobes at 1 kHz; the 0.18 m UMA-16 board 110°.
    assert beams_separate(load_profile("pole-spiral64").array.positions_m, 1000.0, 343.0)
    assert beams_separate(load_profile("pole-spiral32").array.positions_m, 1000.0, 343.0)
    uma = load_profile("dev-uma16")
    assert not beams_separate(uma.array.positions_m, 1000.0, 343.0)
    an = Analyzer(build_config(), uma.array.positions_m, FS, camera=uma.camera)
    assert an.beams is None


def test_beams_above_the_detector_band_are_refused() -> None:
    with pytest.raises(UserFacingError, match="beam_max_hz .* must not exceed band_max_hz"):
        build_config(None, ["detector.beam_max_hz=30000"])
    assert build_config(None, ["detector.beam_max_hz=6500"]).detector.beam_max_hz == 6500
