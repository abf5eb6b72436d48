"""The focus grid's edge: a source the search ran out of grid for has no direction to report."""

import numpy as np

from edge.analysis.grid import FocusGrid

# The independent 64-channel scenes' grid: 36 × 32 points, 2.65° apart, view plus margin.
GRID = FocusGrid(
    azimuth_deg=np.linspace(-46.44, 46.44, 36),
    elevation_deg=np.linspace(-50.0, 33.09, 32),
    distance_m=None,
)


def test_a_direction_a_grid_step_beyond_the_edge_is_on_the_border_and_one_just_inside_is_not():
    step = 92.88 / 35
    assert GRID.on_border(-46.44 - step, 0.0)
    assert GRID.on_border(0.0, 33.09 + step)
    assert not GRID.on_border(-46.44 - 0.5 * step, 0.0)  # placed by refinement beyond the last point
    assert not GRID.on_border(-20.0, -10.0)


def test_a_track_whose_hops_mostly_sat_on_the_border_is_beyond_the_grid():
    pinned = [(-49.093, -33.7)] * 17 + [(-47.7, -31.9)]  # its line ends at -49.0°, just inside
    assert not GRID.on_border(-49.0, -33.7)
    assert GRID.mostly_on_border(pinned)
    # A car driving out of the view: the first half of its hops placed, the rest pinned.
    leaving = [(-40.0 - 0.5 * i, -20.0) for i in range(9)] + [(-49.093, -20.0)] * 9
    assert not GRID.mostly_on_border(leaving)
