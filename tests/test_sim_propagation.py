"""The simulator's physics: per-microphone delays, spreading, air absorption, reflections, Doppler.

Every accuracy figure of honkwatch is measured on simulated scenes, so these tests check the
propagation against closed-form geometry rather than against itself.
"""

import numpy as np
import pytest

from edge.geometry import direction_to_unit, load_array
from edge.sim.levels import P_REF_PA, a_weighting_db, dba, scale_to_dba
from edge.sim.propagation import (
    PropagationPath,
    Trajectory,
    air_absorption_db_per_m,
    apply_air_absorption,
    render_path,
    render_plane_wave,
    speed_of_sound,
)

FS = 48000
C = 343.2


def _static(point) -> PropagationPath:
    return PropagationPath(Trajectory(np.asarray(point, float), np.zeros(3)))


def _delay_samples(y: np.ndarray, x: np.ndarray, upsample: int = 16) -> float:
    """Lag of y behind x in samples, by cross-correlation with a band-limited (FFT) interpolation."""
    n = 1 << int(np.ceil(np.log2(len(x) + len(y))))
    cross = np.fft.rfft(y, n) * np.conj(np.fft.rfft(x, n))
    fine = np.fft.irfft(cross, n * upsample)
    lag = int(np.argmax(fine))
    if lag > n * upsample // 2:
        lag -= n * upsample
    return lag / upsample


def test_static_source_delays_match_geometry_within_a_sample():
    mics = load_array("spiral64-0.9m").positions_m
    rng = np.random.default_rng(0)
    x = rng.standard_normal(FS // 4)  # broadband burst, sample 0 emitted at t = 0.1 s
    source = direction_to_unit(17.3, -6.1) * 14.7  # off any grid, 14.7 m away: near field across 0.9 m
    out = np.zeros((len(mics), FS), np.float32)
    render_path(out, FS, x, 0.1, _static(source), mics, C)
    expected = (0.1 + np.linalg.norm(source - mics, axis=1) / C) * FS
    measured = np.array([_delay_samples(out[m], x) for m in range(len(mics))])
    # Absolute delays within one sample, inter-microphone delays much tighter than that.
    assert np.max(np.abs(measured - expected)) < 1.0
    rel_err = (measured - measured[0]) - (expected - expected[0])
    assert np.max(np.abs(rel_err)) < 0.1
    # And the delays are per microphone, not one shared delay: they spread over > 20 samples here.
    assert np.ptp(expected) > 20


def test_level_falls_6db_per_doubling_plus_air_absorption():
    mics = np.zeros((1, 3))
    t = np.arange(FS) / FS
    levels = {}
    for f in (500.0, 8000.0):
        x = np.sin(2 * np.pi * f * t) * np.sqrt(2)  # 0 dB re 1 Pa at 1 m
        for d in (10.0, 20.0, 40.0):
            xa = apply_air_absorption(x, FS, np.full(x.size, d), 20.0, 70.0)
            out = np.zeros((1, 2 * FS), np.float32)
            render_path(out, FS, xa, 0.0, _static([0.0, 0.0, d]), mics, C)
            seg = out[0, FS // 4 + int(d / C * FS) : FS - FS // 8]
            levels[f, d] = 20 * np.log10(np.sqrt(np.mean(seg.astype(float) ** 2)))
    for f in (500.0, 8000.0):
        alpha = float(air_absorption_db_per_m(f, 20.0, 70.0))
        for near, far in ((10.0, 20.0), (20.0, 40.0)):
            expected = -20 * np.log10(far / near) - alpha * (far - near)
            assert levels[f, far] - levels[f, near] == pytest.approx(expected, abs=0.15)
    assert levels[500.0, 10.0] == pytest.approx(-20.0, abs=0.1)  # 1/r from the 1 m reference
    # At 40 m an 8 kHz harmonic has lost ~3 dB more than a 500 Hz fundamental.
    assert (levels[500.0, 40.0] - levels[8000.0, 40.0]) > 2.5


def test_air_absorption_matches_iso_9613_table():
    # ISO 9613-1 Table 1 (20 °C, 70 % RH), dB/km.
    got = air_absorption_db_per_m(np.array([1000.0, 2000.0, 4000.0, 8000.0]), 20.0, 70.0) * 1000
    assert got == pytest.approx([4.98, 9.02, 22.9, 76.6], rel=0.03)
    assert speed_of_sound(20.0) == pytest.approx(343.2, abs=0.2)


def test_ground_image_arrives_later_and_weaker():
    mics = np.zeros((1, 3))
    rng = np.random.default_rng(1)
    x = rng.standard_normal(FS // 2)
    src = np.array([0.0, 5.4, 20.0])  # 0.6 m above a road 6 m below the array (array frame, untilted)
    image = np.array([0.0, 2 * 6.0 - 5.4, 20.0])
    out = np.zeros((1, FS), np.float32)
    render_path(out, FS, x, 0.0, _static(src), mics, C)
    render_path(out, FS, x, 0.0, PropagationPath(Trajectory(image, np.zeros(3)), gain=0.9), mics, C)
    n = 1 << 17
    xc = np.fft.irfft(np.fft.rfft(out[0], n) * np.conj(np.fft.rfft(x, n)), n)
    d1, d2 = np.linalg.norm(src) / C * FS, np.linalg.norm(image) / C * FS
    p1, p2 = xc[round(d1)], xc[round(d2)]
    assert round(d2) - round(d1) > 20
    assert p2 / p1 == pytest.approx(0.9 * np.linalg.norm(src) / np.linalg.norm(image), rel=0.1)


def test_moving_source_is_doppler_shifted():
    mics = np.zeros((1, 3))
    f0, v = 1000.0, 15.0
    t = np.arange(3 * FS) / FS
    x = np.sin(2 * np.pi * f0 * t)
    # Approaching head-on from 60 m: heard at f0 · c / (c − v).
    traj = Trajectory(np.array([0.0, 0.0, 60.0]), np.array([0.0, 0.0, -v]))
    out = np.zeros((1, 3 * FS), np.float32)
    render_path(out, FS, x, 0.0, PropagationPath(traj), mics, C)
    seg = out[0, FS : 2 * FS].astype(float) * np.hanning(FS)
    spec = np.abs(np.fft.rfft(seg, 16 * FS))
    f_peak = np.argmax(spec) / 16
    assert f_peak == pytest.approx(f0 * C / (C - v), abs=0.3)


def test_plane_wave_delays_follow_the_direction():
    mics = load_array("uma16").positions_m
    u = direction_to_unit(-30.0, 10.0)
    x = np.random.default_rng(2).standard_normal(FS)
    out = np.zeros((len(mics), FS // 2), np.float32)
    render_plane_wave(out, x, u, mics, FS, C)
    lead = mics @ u / C * FS  # a microphone further toward the source hears it earlier
    rel = np.array([_delay_samples(out[m], out[0]) for m in range(len(mics))])
    # The diffuse background interpolates at the base rate (cheap, fine for noise): ±0.25 sample.
    assert np.max(np.abs(rel - (-(lead - lead[0])))) < 0.25


def test_a_weighting_and_level_scaling():
    assert a_weighting_db(np.array([1000.0]))[0] == pytest.approx(0.0, abs=0.01)
    assert a_weighting_db(np.array([100.0]))[0] == pytest.approx(-19.1, abs=0.1)
    x = np.random.default_rng(3).standard_normal(FS)
    y = scale_to_dba(x, FS, 94.0)
    assert dba(y, FS) == pytest.approx(94.0, abs=0.01)
    assert P_REF_PA == 20e-6


def test_numpy_fallback_renders_what_the_compiled_kernel_renders():
    from edge.sim import propagation

    rng = np.random.default_rng(4)
    xu = rng.standard_normal(40_000)
    knots = 60
    pos = np.sort(rng.uniform(10, 30_000, (3, knots)), axis=1)
    gain = rng.uniform(0.1, 1.0, (3, knots))
    a = np.zeros((3, 8000), np.float32)
    b = np.zeros((3, 8000), np.float32)
    propagation._accumulate(a, 300, xu, pos, gain)
    propagation._accumulate_numpy(b, 300, xu, pos, gain)
    assert np.abs(a).max() > 0.1
    assert np.allclose(a, b, atol=1e-5)


def test_built_array_deviates_like_a_manufactured_one():
    from edge.sim.microphones import apply_capsules, build_array

    nominal = load_array("spiral64-0.9m").positions_m
    built = build_array(nominal, np.random.default_rng(5))
    error = np.linalg.norm(built.positions_m - nominal, axis=1)
    assert 0.1e-3 < np.median(error) < 1.0e-3  # sub-millimetre placement, not exact
    assert 0.3 < np.std(built.gain_db) < 0.8  # ±1 dB sensitivity class
    t = np.arange(FS) / FS
    out = np.stack([np.sin(2 * np.pi * 10 * t), np.sin(2 * np.pi * 1000 * t)]).astype(np.float32)
    two = type(built)(built.positions_m[:2], built.gain_db[:2])
    apply_capsules(out, FS, two)
    rms = np.sqrt(np.mean(out[:, FS // 2 :].astype(float) ** 2, axis=1)) * np.sqrt(2)
    assert rms[0] < 0.35 * 10 ** (two.gain_db[0] / 20)  # the vent rolls off wind-like rumble
    assert rms[1] == pytest.approx(10 ** (two.gain_db[1] / 20), rel=0.01)
