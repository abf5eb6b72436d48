"""Two horns at once: the louder one's partials fill the spectrum; both must still be found.

Known geometry: a dual-tone car horn (494 + 403 Hz) sounding 1.4 s at 30 m, and a second car
13° away, 20 m off, tapping three times with its own dual-tone horn (338 + 422 Hz) while it sounds.
"""

import numpy as np
import pytest
from analysis_support import harmonic_tone, render

from edge.analysis.analyzer import Analyzer
from edge.analysis.config import build_config
from edge.geometry.profiles import load_profile
from edge.scoring import angle_deg

FS = 48000
LOUD = (10.0, 4.0)
TAPPING = (0.0, -4.0)


@pytest.fixture(scope="module")
def pole64():
    return load_profile("pole-spiral64")


def _scene(profile, seed: int, tap_gain: float) -> np.ndarray:
    rng = np.random.default_rng(seed)
    loud = 2 * (harmonic_tone(494, 1.4, FS, rng) + harmonic_tone(403, 1.4, FS, rng))
    tap = harmonic_tone(338, 0.15, FS, rng) + harmonic_tone(422, 0.15, FS, rng)
    srcs = [(loud, 0.3, *LOUD, 30.0)] + [(2 * tap_gain * tap, t, *TAPPING, 20.0) for t in (0.6, 0.95, 1.3)]
    return render(profile.array.positions_m, FS, 2.2, srcs, noise_rms=1e-2, seed=seed)


def _events(profile, audio, overrides=()):
    an = Analyzer(
        build_config(None, list(overrides)),
        profile.array.positions_m,
        FS,
        camera=profile.camera,
        full_scale_pa=63.2,
    )
    return an.feed(audio) + an.flush()


def _at(events, where):
    return [e for e in events if angle_deg(e.azimuth_deg, e.elevation_deg, *where) < 0.5]


def test_a_horn_sounding_while_its_neighbour_taps_is_no_tune(pole64):
    """The car stereo rule chains tracks that could be one source sounding on after a pause. The
    tapping car's tracks lie within reach of the long horn's start, but they sound while it
    sounds: one source is not in two places at once. Chained anyway, the two cars' four pitches
    made the long horn "music", and it was lost."""
    events = _events(pole64, _scene(pole64, seed=0, tap_gain=0.7))
    assert len(_at(events, LOUD)) == 1
    assert len(_at(events, TAPPING)) >= 1


def test_a_quieter_horn_glimpsed_once_is_followed_through_a_beam_toward_it(pole64):
    """At half the level the tapping car's combs win the comb search in single hops only (the
    louder horn's voices take both slots); a beam toward where such a hop placed it passes its
    partials and weakens the louder horn's, so its taps are found there."""
    audio = _scene(pole64, seed=2, tap_gain=0.5)
    with_look = _events(pole64, audio)
    without = _events(pole64, audio, ["detector.look_again=false"])
    assert len(_at(with_look, LOUD)) == 1 and len(_at(without, LOUD)) == 1
    assert _at(with_look, TAPPING) and not _at(without, TAPPING)
