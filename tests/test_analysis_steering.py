"""Steering delays: the near-field delay is the path difference to the focus point, exactly."""

import numpy as np

from edge.analysis.steering import steering_delays
from edge.geometry.camera import direction_to_unit


def test_near_field_delays_are_the_path_differences_and_infinite_distance_is_the_plane_wave():
    rng = np.random.default_rng(3)
    pos = rng.uniform(-0.4, 0.4, (64, 3))
    az = np.array([[-40.0, 0.0, 12.5, 30.0]])
    el = np.array([[-30.0, -5.0, 2.0, 10.0]])
    dist = np.array([[6.0, 25.0, np.inf, 80.0]])
    tau = steering_delays(pos, az, el, dist, speed_of_sound=340.0)
    assert tau.shape == (1, 4, 64)
    u = direction_to_unit(az, el)
    for j in (0, 1, 3):
        p = u[0, j] * dist[0, j]
        path = (np.linalg.norm(p - pos, axis=1) - dist[0, j]) / 340.0
        assert np.allclose(tau[0, j], path, rtol=0, atol=1e-15)
    assert np.allclose(tau[0, 2], -(pos @ u[0, 2]) / 340.0, rtol=0, atol=1e-15)
    # Far away the spherical wavefront flattens into the plane wave.
    far = steering_delays(pos, az, el, np.full_like(dist, 1e7), speed_of_sound=340.0)
    assert np.allclose(far, steering_delays(pos, az, el, None, speed_of_sound=340.0), rtol=0, atol=1e-9)
