"""The road in the localization: its reflection's bias removed, a horn behind the array not put in front."""

import numpy as np
import pytest
from analysis_support import harmonic_tone, render_paths

from edge.analysis.analyzer import Analyzer
from edge.analysis.config import build_config
from edge.analysis.grid import FocusModel
from edge.analysis.steering import GroundImage
from edge.geometry.camera import direction_to_unit
from edge.geometry.profiles import Mount, load_profile
from edge.scoring import angle_deg

FS = 48000
MOUNT = Mount(height_m=6.0, tilt_deg=10.0)
HORN_HEIGHT = 0.6


@pytest.fixture(scope="module")
def pole64():
    return load_profile("pole-spiral64")


def _road_point(az: float, el: float, behind: bool = False) -> np.ndarray:
    """The point at horn height on the road along (az, el), or along its mirror behind the array."""
    u = direction_to_unit(az, el) * (np.array([1.0, 1.0, -1.0]) if behind else 1.0)
    down = MOUNT.world_from_array()[1]
    return u * (MOUNT.height_m - HORN_HEIGHT) / float(u @ down)


def _ground() -> GroundImage:
    g = FocusModel(MOUNT, None, HORN_HEIGHT).ground_image(0.9)
    assert g is not None
    return g


def _events(profile, audio, overrides=()):
    an = Analyzer(
        build_config(None, [f"localizer.horn_height_m={HORN_HEIGHT}", *overrides]),
        profile.array.positions_m,
        FS,
        camera=profile.camera,
        mount=MOUNT,
        full_scale_pa=63.2,
    )
    return an.feed(audio) + an.flush()


def _horn(point: np.ndarray, reflection: float, seed: int, pole64) -> np.ndarray:
    rng = np.random.default_rng(seed)
    paths = [(point, 1.0)] + ([(_ground().mirror(point), reflection)] if reflection else [])
    return render_paths(
        pole64.array.positions_m, FS, 1.6, 4 * harmonic_tone(420, 0.8, FS, rng), 0.4, paths, 3e-3
    )


def test_the_road_reflection_pulls_the_free_field_peak_down_and_the_refit_removes_it(pole64):
    az, el = 6.0, -4.0
    x = _horn(_road_point(az, el), 0.9, 11, pole64)
    (free,) = _events(pole64, x, ["localizer.ground_reflection=0"])
    (road,) = _events(pole64, x)
    assert free.elevation_deg < el - 0.2  # the physics: the image below pulls the peak down
    assert angle_deg(road.azimuth_deg, road.elevation_deg, az, el) < 0.15
    assert road.enforceable


def test_without_a_reflection_the_free_field_answer_stands(pole64):
    az, el = -7.0, -3.0
    (e,) = _events(pole64, _horn(_road_point(az, el), 0.0, 12, pole64))
    assert angle_deg(e.azimuth_deg, e.elevation_deg, az, el) < 0.15
    assert e.enforceable


def test_a_horn_on_the_road_behind_the_pole_is_not_put_on_the_vehicle_in_front(pole64):
    az, el = 4.0, -16.0  # in the picture; its mirror meets the road about 40 m behind the pole
    rear = _road_point(az, el, behind=True)
    assert rear[2] < 0 and 20 < np.linalg.norm(rear) < 60
    (e,) = _events(pole64, _horn(rear, 0.9, 13, pole64))
    assert "front_back_ambiguous" in e.conditions and not e.enforceable
    assert angle_deg(e.azimuth_deg, e.elevation_deg, az, el) < 1.0  # reported where the camera looks


def test_the_same_direction_on_the_road_in_front_is_not_flagged(pole64):
    az, el = 4.0, -16.0
    (e,) = _events(pole64, _horn(_road_point(az, el), 0.9, 14, pole64))
    assert "front_back_ambiguous" not in e.conditions  # (below the picture here: not enforceable anyway)
    assert angle_deg(e.azimuth_deg, e.elevation_deg, az, el) < 0.3


def test_a_horn_right_under_the_pole_is_placed_there_not_in_the_picture(pole64):
    az, el = 2.0, -42.0  # a car about 5 m out: far below the picture and its 12° margin
    (e,) = _events(pole64, _horn(_road_point(az, el), 0.9, 15, pole64))
    assert angle_deg(e.azimuth_deg, e.elevation_deg, az, el) < 0.5
    assert not e.inside_frame and not e.enforceable
    # With the grid cut off above it, the search stops on the floor, which is not the horn's
    # direction: no event rather than a wrong one (what the floor, and the border rule, are for).
    assert _events(pole64, _horn(_road_point(az, el), 0.9, 15, pole64), ["localizer.floor_deg=-20"]) == []


def test_a_sound_from_above_the_road_is_off_road(pole64):
    point = direction_to_unit(-5.0, 12.0) * 30.0  # above the horizon: a bird in a tree, a façade echo
    (e,) = _events(pole64, _horn(point, 0.0, 16, pole64))
    assert "off_road" in e.conditions and not e.enforceable


def test_only_directions_whose_mirror_meets_the_road_behind_can_be_ambiguous(pole64):
    from edge.analysis.road import RoadModel

    road = RoadModel(pole64.array.positions_m, np.array([500.0]), 343.0, FocusModel(MOUNT, None), 0.9, 0.9)
    assert road.could_be_behind(4.0, -16.0)  # the case above: the road 40 m behind the pole
    # Above the tilt (10°) the mirror looks up, into the sky behind: the analyzer skips the fit.
    assert not road.could_be_behind(4.0, -3.0)
    assert not road.could_be_behind(-20.0, 5.0)
