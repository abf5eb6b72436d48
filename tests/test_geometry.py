"""Array, camera and profile definitions in hardware/ load, are checked, and agree with each other."""

import json

import numpy as np
import pytest

from edge.errors import GeometryError
from edge.geometry import Camera, direction_to_unit, list_arrays, list_profiles, load_array, load_profile
from edge.geometry.arrays import ArrayGeometry


def test_every_shipped_array_and_profile_loads():
    assert {"uma16", "spiral32-0.6m", "spiral64-0.9m", "respeaker4", "respeaker6"} <= set(list_arrays())
    for name in list_profiles():
        p = load_profile(name)
        assert len(p.channel_map) == p.array.channels


def test_uma16_is_the_real_board():
    a = load_array("uma16")
    assert a.channels == 16
    assert a.min_spacing_m == pytest.approx(0.042, abs=1e-6)
    # miniDSP channel order: channel 1 at (+21, -63) mm, channel 9 at (-63, +63) mm.
    assert np.allclose(a.positions_m[0], [0.021, -0.063, 0.0])
    assert np.allclose(a.positions_m[8], [-0.063, 0.063, 0.0])


@pytest.mark.parametrize(("name", "n", "aperture"), [("spiral32-0.6m", 32, 0.6), ("spiral64-0.9m", 64, 0.9)])
def test_spirals_have_the_promised_size(name, n, aperture):
    a = load_array(name)
    assert a.channels == n
    assert a.aperture_m == pytest.approx(aperture, rel=0.02)
    assert a.min_spacing_m > 0.015  # MEMS packages must fit


def test_camera_round_trip_direction_pixel_direction():
    cam = load_profile("pole-spiral64").camera_model()
    az, el = np.array([-20.0, 0.0, 12.5]), np.array([-10.0, 0.0, -3.0])
    # Far away the camera's small offset from the array no longer matters.
    uv = cam.direction_to_pixel(az, el, distance_m=1e6)
    back_az, back_el = cam.pixel_to_direction(uv[:, 0], uv[:, 1])
    assert np.allclose(back_az, az, atol=1e-3) and np.allclose(back_el, el, atol=1e-3)


def test_optical_axis_lands_on_the_principal_point():
    cam = load_profile("pole-spiral64").camera_model()
    uv = cam.direction_to_pixel(0.0, 0.0, distance_m=1e6)
    assert uv == pytest.approx([cam.spec.cx, cam.spec.cy], abs=0.01)
    u = direction_to_unit(0.0, 90.0)
    assert u == pytest.approx([0.0, -1.0, 0.0], abs=1e-12)  # elevation up = -y


def test_mount_finds_the_road():
    m = load_profile("pole-spiral64").mount
    # Looking straight down (array +y is down when untilted): distance = height above horn plane.
    straight_down = m.world_from_array().T @ np.array([0.0, 1.0, 0.0])
    assert m.distance_to_plane(straight_down[None, :], 0.8)[0] == pytest.approx(6.0 - 0.8)
    assert np.isinf(m.distance_to_plane(direction_to_unit(0.0, 30.0)[None, :])[0])


def test_broken_definitions_are_refused(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"name": "bad", "positions_m": [[0, 0, 0], [0, 0, float("nan")]]}))
    with pytest.raises(GeometryError, match="NaN"):
        load_array(bad)
    bad.write_text(json.dumps({"name": "bad", "positions_m": [[0, 0, 0], [0, 0, 0]]}))
    with pytest.raises(GeometryError, match="closer than 1 mm"):
        load_array(bad)
    with pytest.raises(GeometryError, match="no array named 'nope'"):
        load_array("nope")
    prof = tmp_path / "p.toml"
    prof.write_text('name = "p"\narray = "uma16"\n[audio]\nchannel_map = [0, 1]\n')
    with pytest.raises(GeometryError, match="channel_map has 2 entries but array 'uma16' has 16"):
        load_profile(prof)


def test_array_geometry_properties():
    a = ArrayGeometry("t", np.array([[0, 0, 0], [0.3, 0, 0], [0, 0.4, 0]], dtype=float))
    assert a.aperture_m == pytest.approx(0.5)
    assert a.min_spacing_m == pytest.approx(0.3)


def test_in_frame():
    cam = Camera(load_profile("dev-uma16").camera)
    assert cam.in_frame(np.array([[10, 10], [-5, 10], [1279, 719]])).tolist() == [True, False, True]
