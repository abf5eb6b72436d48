"""Robustness: bad channels found from the audio itself, wind reported, confusers never evidence."""

import numpy as np
import pytest
from analysis_support import harmonic_tone, render

from edge.analysis.analyzer import Analyzer
from edge.analysis.config import build_config
from edge.geometry.profiles import load_profile
from edge.scoring import angle_deg

FS = 48000


@pytest.fixture(scope="module")
def prof():
    return load_profile("pole-spiral32")


def _run(prof, x, overrides=()):
    an = Analyzer(build_config(None, list(overrides)), prof.array.positions_m, FS, camera=prof.camera)
    infos = []
    an.add_observer(infos.append)
    return an.feed(x) + an.flush(), infos


def _horn(prof, rng, fs=FS, noise_rms=3e-3):
    """1.5 s of the array hearing a 430 Hz horn at (7°, −6°), 20 m away, from 0.4 s to 1.2 s."""
    tone = 2 * harmonic_tone(430, 0.8, fs, rng)
    return render(prof.array.positions_m, fs, 1.5, [(tone, 0.4, 7.0, -6.0, 20.0)], noise_rms=noise_rms)


def _assert_same_horn(clean, events):
    """One event, as without the damage: the same horn, starting and ending within a hop."""
    assert len(clean) == len(events) == 1
    assert abs(events[0].t_start - clean[0].t_start) < 0.06 and abs(events[0].t_end - clean[0].t_end) < 0.06


def test_dead_and_noisy_channels_are_excluded_and_the_horn_still_lands(prof):
    rng = np.random.default_rng(21)
    x = _horn(prof, rng)
    x[:, 4] = 0.0  # dead
    x[:, 9] += 0.3 * rng.standard_normal(len(x)).astype(np.float32)  # hissing
    events, infos = _run(prof, x)
    assert infos[-1].healthy_channels == 30
    assert len(events) == 1
    assert angle_deg(events[0].azimuth_deg, events[0].elevation_deg, 7.0, -6.0) < 0.3


@pytest.mark.parametrize("fs", [16000, 44100])
def test_a_horn_recorded_at_another_rate_lands_as_at_48k(prof, fs):
    """Field recorders also write 44.1 kHz (hops of 2204 samples, bins 20.009 Hz apart, the hop
    no longer a whole number of 20 Hz periods) and 16 kHz (the band reaches only 8 kHz)."""
    rng = np.random.default_rng(23)
    x = _horn(prof, rng, fs=fs, noise_rms=1e-3)
    an = Analyzer(build_config(None, []), prof.array.positions_m, fs, camera=prof.camera)
    events = an.feed(x) + an.flush()
    assert len(events) == 1
    assert angle_deg(events[0].azimuth_deg, events[0].elevation_deg, 7.0, -6.0) < 0.3
    assert events[0].t_start == pytest.approx(0.4, abs=0.1) and events[0].t_end == pytest.approx(1.2, abs=0.1)


def test_wind_marks_events_and_suspends_enforcement(prof):
    rng = np.random.default_rng(22)
    x = _horn(prof, rng)
    # Turbulence at each port: strong, below ~100 Hz, independent per microphone.
    from scipy.signal import butter, sosfilt

    sos = butter(2, 80, fs=FS, output="sos")
    gust = sosfilt(sos, rng.standard_normal(x.shape), axis=0) * 0.3
    events, infos = _run(prof, x + gust.astype(np.float32))
    assert infos[-1].wind
    assert len(events) == 1 and "wind" in events[0].conditions and not events[0].enforceable
    calm, infos = _run(prof, x)
    assert not infos[-1].wind and calm[0].conditions == ()


def test_converter_dc_offsets_and_infrasound_drift_are_not_wind(prof):
    """Each channel with its own DC offset (up to 1 % of full scale, as I²S MEMS microphones
    deliver) and its own drift below 20 Hz, all uncorrelated between microphones and far louder
    than the street at those frequencies: no wind, no channel called noisy, the horn is evidence."""
    from scipy.signal import butter, sosfilt

    rng = np.random.default_rng(24)
    x = _horn(prof, rng)
    offsets = rng.uniform(-0.01, 0.01, x.shape[1])
    drift = sosfilt(butter(2, 8, fs=FS, output="sos"), rng.standard_normal(x.shape), axis=0) * 0.05
    events, infos = _run(prof, (x + offsets + drift).astype(np.float32))
    assert not any(i.wind for i in infos)
    assert infos[-1].healthy_channels == x.shape[1]
    assert len(events) == 1 and events[0].conditions == () and events[0].enforceable


def test_a_clicking_channel_sits_out_the_hops_it_clicks_in(prof):
    """A converter glitch: a 3-sample spike on one microphone every 0.2 s, through the horn. Too
    short to move the channel's smoothed level, it lifts its hop's spectrum in every bin; the
    channel is left out of those hops only, and the horn is found and placed as without it."""
    rng = np.random.default_rng(25)
    x = _horn(prof, rng)
    clean, _ = _run(prof, x)
    for start in range(FS // 10, len(x), FS // 5):
        x[start : start + 3, 7] += 0.5
    events, infos = _run(prof, x)
    assert min(i.healthy_channels for i in infos) == 31 and max(i.healthy_channels for i in infos) == 32
    _assert_same_horn(clean, events)
    assert angle_deg(events[0].azimuth_deg, events[0].elevation_deg, 7.0, -6.0) < 0.3


def test_a_faint_click_is_caught_where_the_street_is_quiet(prof):
    """Street noise is loud at low frequency and quiet above; a click is flat. A click that lifts
    its channel's whole level by only a few dB stands far out in the hop's quietest bins: the
    channel sits that hop out (otherwise the click lifts every quiet bin of the array's mean
    spectrum, as a gain change does, and the detector starts afresh in the middle of a horn)."""
    from scipy.signal import butter, sosfilt

    rng = np.random.default_rng(27)
    x = _horn(prof, rng, noise_rms=3e-4)
    rumble = sosfilt(butter(4, 300, fs=FS, output="sos"), rng.standard_normal(x.shape), axis=0)
    x += (0.05 * rumble).astype(np.float32)
    clean, _ = _run(prof, x)
    for start in range(FS // 10, len(x), FS // 5):
        x[start : start + 3, 7] += 0.05
    events, infos = _run(prof, x)
    assert min(i.healthy_channels for i in infos) == 31
    _assert_same_horn(clean, events)


def test_a_dropped_converter_line_sits_out_while_it_reads_zeros(prof):
    """Half the array (one converter's lines) reads zeros for 0.3 s in the middle of the horn,
    before the smoothed levels have noticed: those channels sit those hops out, the others carry
    on, and the horn is placed as with the whole array."""
    rng = np.random.default_rng(26)
    x = _horn(prof, rng)
    clean, _ = _run(prof, x)
    x[int(0.6 * FS) : int(0.9 * FS), :16] = 0.0
    events, infos = _run(prof, x)
    assert min(i.healthy_channels for i in infos) == 16
    _assert_same_horn(clean, events)
    assert angle_deg(events[0].azimuth_deg, events[0].elevation_deg, 7.0, -6.0) < 0.3


@pytest.mark.parametrize(
    "name,signal",
    [
        (
            "square-wave siren (odd partials only)",
            lambda rng: harmonic_tone(700, 1.0, FS, rng, odd_only=True),
        ),
        ("reversing beeper (near sine)", lambda rng: harmonic_tone(1100, 1.0, FS, rng, n_harm=2)),
        ("wailing siren (pitch sweeps)", lambda rng: harmonic_tone(600, 1.0, FS, rng, glide=0.5)),
        ("engine (120 Hz comb)", lambda rng: harmonic_tone(120, 1.0, FS, rng, n_harm=30)),
        (
            "two-tone siren with every partial (hi-lo, 450/600 Hz, 0.4 s each)",
            lambda rng: np.concatenate([harmonic_tone(f, 0.4, FS, rng) for f in (450, 600, 450, 600)]),
        ),
    ],
)
def test_confusers_make_no_event(prof, name, signal):
    rng = np.random.default_rng(23)
    sig = signal(rng)
    x = render(
        prof.array.positions_m, FS, len(sig) / FS + 0.6, [(2 * sig, 0.3, 5.0, -6.0, 20.0)], noise_rms=3e-3
    )
    events, _ = _run(prof, x)
    assert events == [], name


def test_an_e_bike_buzzer_alone_is_an_event_once_nothing_like_it_followed_and_a_hi_lo_turn_is_not(prof):
    rng = np.random.default_rng(24)

    def buzz(f0: float, seconds: float) -> np.ndarray:
        return harmonic_tone(f0, seconds, FS, rng, even_gain=0.25)  # even partials 12 dB down

    alone = render(
        prof.array.positions_m, FS, 2.5, [(2 * buzz(800, 0.4), 0.3, 5.0, -6.0, 20.0)], noise_rms=3e-3
    )
    (event,), _ = _run(prof, alone)
    assert angle_deg(event.azimuth_deg, event.elevation_deg, 5.0, -6.0) < 0.5
    assert event.detected_after_s >= 1.0 + (event.t_end - event.t_start)  # it waited to be known alone
    hilo = np.concatenate([buzz(f, 0.4) for f in (800, 640, 800, 640)])
    turns = render(prof.array.positions_m, FS, 2.5, [(2 * hilo, 0.3, 5.0, -6.0, 20.0)], noise_rms=3e-3)
    assert _run(prof, turns)[0] == []


def test_observer_sees_every_hop(prof):
    x = np.zeros((FS, 32), np.float32)
    _, infos = _run(prof, x)
    assert len(infos) == 19  # 1 s of 50 ms hops, the last needs 25 ms beyond
    assert [round(i.t, 4) for i in infos] == sorted(round(i.t, 4) for i in infos)
    assert all(i.level_db is None for i in infos)  # uncalibrated: no level rather than a made-up one
