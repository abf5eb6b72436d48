"""The focus grid: directions covering the camera's view plus a margin, each with a focus distance.

The margin is what lets a honk just outside the picture be recognised as outside (its peak lands
on a margin point) instead of being pulled onto the image edge by a sidelobe. Focus distances
come from the road plane when the mount is known (the distance along each direction to the plane
at horn height), and from a fixed distance otherwise.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from edge.analysis.steering import GroundImage
from edge.geometry.camera import Camera, direction_to_unit
from edge.geometry.profiles import Mount


@dataclass(frozen=True)
class FocusModel:
    """Where to focus along a direction: on the road plane (mount known) or at a fixed distance."""

    mount: Mount | None
    fixed_m: float | None
    horn_height_m: float = 0.8
    min_m: float = 6.0
    max_m: float = 80.0

    def distance(self, azimuth_deg: np.ndarray, elevation_deg: np.ndarray) -> np.ndarray | None:
        """Focus distances for the directions (None: far field everywhere)."""
        az = np.asarray(azimuth_deg, dtype=float)
        el = np.asarray(elevation_deg, dtype=float)
        if self.mount is None:
            return None if self.fixed_m is None else np.full(np.broadcast(az, el).shape, self.fixed_m)
        # Mount.distance_to_plane, with its rotation computed once (this runs on every refinement step).
        down_row = self._down_row()
        units = direction_to_unit(az, el)
        down = units @ down_row
        drop = self.mount.height_m - self.horn_height_m
        d = np.where(down > 1e-6, drop / np.maximum(down, 1e-12), self.max_m)
        return np.clip(d, self.min_m, self.max_m)

    def on_road(self, azimuth_deg: float, elevation_deg: float) -> bool:
        """Does the direction meet the road (at horn height) within `max_m`? Always True when the
        mount, hence the road, is unknown."""
        if self.mount is None:
            return True
        down = float(direction_to_unit(azimuth_deg, elevation_deg) @ self._down_row())
        return down > 1e-6 and (self.mount.height_m - self.horn_height_m) / down <= self.max_m

    def ground_image(self, reflection: float) -> GroundImage | None:
        """The road as a mirror for the steering model (None when the mount, hence the road, is unknown)."""
        if self.mount is None or reflection <= 0:
            return None
        return GroundImage(normal=self._down_row(), height_m=self.mount.height_m, reflection=reflection)

    def _down_row(self) -> np.ndarray:
        cached = self.__dict__.get("_down")
        if cached is None:
            assert self.mount is not None
            cached = self.mount.world_from_array()[1]
            object.__setattr__(self, "_down", cached)
        return cached


_PINNED_STEPS = 0.97  # beyond the edge, in grid steps: pinned ones were seen at 0.99-1.35, peaks at 0.94


@dataclass(frozen=True)
class FocusGrid:
    """A rectangle in (azimuth, elevation), row-major: point g is (el[g // n_az], az[g % n_az])."""

    azimuth_deg: np.ndarray
    elevation_deg: np.ndarray
    distance_m: np.ndarray | None

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.elevation_deg), len(self.azimuth_deg)

    @property
    def size(self) -> int:
        return len(self.elevation_deg) * len(self.azimuth_deg)

    def points(self) -> tuple[np.ndarray, np.ndarray]:
        """Flattened (azimuth, elevation) of every grid point."""
        az, el = np.meshgrid(self.azimuth_deg, self.elevation_deg)
        return az.ravel(), el.ravel()

    def on_border(self, azimuth_deg: float, elevation_deg: float) -> bool:
        """Is the direction where the search ran out of grid, rather than at a maximum?

        The refinement around an edge point reaches one grid step beyond the edge, so a source
        just outside is still placed where it is (a scooter 0.8 step beyond: 0.4° off, seen).
        A source farther out (a car under the pole, a motorcycle far to the side) is placed at
        that limit, or past it by the last interpolation: its direction is unknown. The margin
        puts the edge well outside the picture, so no horn that could be evidence is there.
        """
        az, el = self.azimuth_deg, self.elevation_deg
        reach_az = _PINNED_STEPS * float(az[1] - az[0])
        reach_el = _PINNED_STEPS * float(el[1] - el[0])
        return bool(
            azimuth_deg <= az[0] - reach_az
            or azimuth_deg >= az[-1] + reach_az
            or elevation_deg <= el[0] - reach_el
            or elevation_deg >= el[-1] + reach_el
        )

    def mostly_on_border(self, directions: Sequence[tuple[float, float]]) -> bool:
        """Are most of a track's hop directions (azimuth, elevation) `on_border`?

        Why: a track's direction is a line fitted through its hops, and it can end a shade
        inside the limit while the hops themselves sat on it: a 273 Hz tone from a car stereo
        passing beside the pole, pinned at -49.1° for a second, gave -49.0° against a limit of
        -49.01° (independent scene spiral64-47). Its direction is no better known for that.
        """
        return 2 * sum(self.on_border(az, el) for az, el in directions) > len(directions)


def view_bounds(
    camera: Camera | None, margin_deg: float, floor_deg: float = -89.0
) -> tuple[float, float, float, float]:
    """(az_min, az_max, el_min, el_max) of the camera's view plus margin, reaching down at least to
    `floor_deg`; without a camera ±60°/±40°.

    The floor: the road right under the pole is below the picture but holds the loudest horns (a
    car 7 m away is 35° down). Beyond the grid its peak would land on a sidelobe inside the
    picture, on some other vehicle; on the grid it is placed where it is.
    """
    if camera is None:
        return -60.0, 60.0, min(-40.0, floor_deg), 40.0
    a0, a1, e0, e1 = camera.field_of_view_deg()
    return (
        max(-89.0, a0 - margin_deg),
        min(89.0, a1 + margin_deg),
        max(-89.0, min(e0 - margin_deg, floor_deg)),
        min(89.0, e1 + margin_deg),
    )


def default_step_deg(positions_m: np.ndarray, max_freq_hz: float, speed_of_sound: float) -> float:
    """Coarse spacing: a third of the main-lobe width at the coarse band's top, within [0.5°, 3°].

    Finer than a third would only add cost; coarser would let a peak fall between points.
    """
    return float(np.clip(main_lobe_deg(positions_m, max_freq_hz, speed_of_sound) / 3.0, 0.5, 3.0))


def main_lobe_deg(positions_m: np.ndarray, freq_hz: float, speed_of_sound: float) -> float:
    """Main-lobe width λ/D (degrees) of the array at `freq_hz`, D its aperture (largest
    microphone distance): what sets both the grid spacing and what the array can tell apart."""
    p = np.asarray(positions_m, dtype=float)
    aperture = float(np.sqrt(((p[:, None] - p[None]) ** 2).sum(-1)).max())
    return float(np.degrees(speed_of_sound / (freq_hz * max(aperture, 1e-3))))


def make_grid(bounds: tuple[float, float, float, float], step_deg: float, focus: FocusModel) -> FocusGrid:
    a0, a1, e0, e1 = bounds
    n_az = max(2, int(np.ceil((a1 - a0) / step_deg)) + 1)
    n_el = max(2, int(np.ceil((e1 - e0) / step_deg)) + 1)
    az = np.linspace(a0, a1, n_az)
    el = np.linspace(e0, e1, n_el)
    aa, ee = np.meshgrid(az, el)
    dist = focus.distance(aa.ravel(), ee.ravel())
    return FocusGrid(azimuth_deg=az, elevation_deg=el, distance_m=dist)
