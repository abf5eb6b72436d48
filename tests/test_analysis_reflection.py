"""The road's reflection found blind: a horn's image below the road, fitted without the mount."""

import numpy as np
import pytest
from analysis_support import harmonic_tone, render_paths

from edge.analysis.analyzer import Analyzer
from edge.analysis.config import build_config
from edge.analysis.grid import FocusModel
from edge.analysis.reflection import resolves_image
from edge.geometry.camera import direction_to_unit
from edge.geometry.profiles import Mount, load_profile
from edge.scoring import angle_deg

FS = 48000
MOUNT = Mount(height_m=6.0, tilt_deg=10.0)  # only to place the sources; the analyzer never sees it


@pytest.fixture(scope="module")
def pole32():
    return load_profile("pole-spiral32")


def _horn_on_road(profile, az: float, el: float, horn_height: float, reflection: float, seed: int):
    """A horn `horn_height` above the road along (az, el), heard directly and (when `reflection`)
    from its mirror image below the road."""
    down = MOUNT.world_from_array()[1]
    u = direction_to_unit(az, el)
    point = u * (MOUNT.height_m - horn_height) / float(u @ down)
    ground = FocusModel(MOUNT, None, horn_height).ground_image(0.9)
    assert ground is not None
    paths = [(point, 1.0)] + ([(ground.mirror(point), reflection)] if reflection else [])
    rng = np.random.default_rng(seed)
    return render_paths(
        profile.array.positions_m, FS, 1.6, 4 * harmonic_tone(380, 0.8, FS, rng), 0.4, paths, 3e-3
    )


def _event(profile, audio, overrides=()):
    an = Analyzer(build_config(None, list(overrides)), profile.array.positions_m, FS, camera=profile.camera)
    (e,) = an.feed(audio) + an.flush()
    return e


@pytest.mark.parametrize(("az", "el", "height", "seed"), [(5.0, -6.0, 0.6, 21), (-8.0, -3.0, 1.0, 22)])
def test_without_the_mount_the_image_below_is_found_and_the_horn_put_back_up(pole32, az, el, height, seed):
    x = _horn_on_road(pole32, az, el, height, 0.9, seed)
    free = _event(pole32, x, ["localizer.ground_reflection=0"])  # the fit switched off
    fitted = _event(pole32, x)
    assert free.elevation_deg < el - 0.3  # the physics: the image pulls the single peak down
    assert angle_deg(fitted.azimuth_deg, fitted.elevation_deg, az, el) < 0.25
    assert not fitted.conditions  # blind, there is no front/back verdict to give


def test_a_horn_with_no_reflection_is_left_where_it_is(pole32):
    az, el = 3.0, -7.0
    x = _horn_on_road(pole32, az, el, 0.8, 0.0, 23)
    free = _event(pole32, x, ["localizer.ground_reflection=0"])
    fitted = _event(pole32, x)
    assert (fitted.azimuth_deg, fitted.elevation_deg) == (free.azimuth_deg, free.elevation_deg)
    assert angle_deg(fitted.azimuth_deg, fitted.elevation_deg, az, el) < 0.2


def test_only_an_array_that_can_resolve_the_image_fits_it():
    assert resolves_image(load_profile("pole-spiral32").array.positions_m, 6500.0, 343.0)
    assert not resolves_image(load_profile("dev-uma16").array.positions_m, 6500.0, 343.0)  # 17° lobe


def test_a_horn_at_the_bottom_of_the_fit_range_is_fitted_without_a_crash(pole32):
    # Regression: the horn's best elevation on the lowest row the fit allows (1° below the peak
    # it was given) made the sub-step parabola index past the fit's rows (an IndexError that
    # stopped a replay of a simulated street with every confuser).
    from edge.analysis.reflection import BlindReflection
    from edge.analysis.road import RoadSnapshot
    from edge.analysis.steering import SteeringModel

    model = SteeringModel(pole32.array.positions_m, 343.0)
    freqs = np.arange(0.0, 6800.0, 20.0)
    bins = np.array([19, 38, 57, 76, 95, 114, 133, 152, 171, 190, 209, 228, 247, 266, 285, 304, 323])
    az, el = 4.0, -5.0
    direct = model.vectors(np.array([az]), np.array([el]), None, freqs[bins])[:, 0, :]
    image = model.vectors(np.array([az]), np.array([el - 4.0]), None, freqs[bins])[:, 0, :]
    rng = np.random.default_rng(3)
    s = rng.standard_normal((len(bins), 1, 8)) + 1j * rng.standard_normal((len(bins), 1, 8))
    x = ((direct + 0.8 * image)[:, :, None] * s).astype(np.complex64)
    snap = RoadSnapshot(x, bins, np.ones(len(bins), np.float32), np.ones(len(pole32.array.positions_m), bool))
    fit = BlindReflection(model, freqs, None).fit([snap], az, el + 2.0)  # the peak given 2° too high
    assert fit.reflected
    assert el + 2.0 - 1.0 - 1e-9 <= fit.elevation_deg <= el + 2.0 + 1.5
