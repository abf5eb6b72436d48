"""The camera model: directions and points in the array frame to pixels, and back.

Sound is localized as a direction from the array's reference point; the camera sits a little
away from it. `Camera.project` takes the parallax into account when the distance is known,
which matters for the close lanes (7–10 m) where a 10 cm offset is tens of pixels.
"""

from __future__ import annotations

import numpy as np

from edge.scene.model import CameraSpec


def direction_to_unit(azimuth_deg: np.ndarray | float, elevation_deg: np.ndarray | float) -> np.ndarray:
    """Unit vectors (…, 3) for directions, per the scene format's azimuth/elevation definitions."""
    az = np.radians(np.asarray(azimuth_deg, dtype=float))
    el = np.radians(np.asarray(elevation_deg, dtype=float))
    return np.stack([np.cos(el) * np.sin(az), -np.sin(el), np.cos(el) * np.cos(az)], axis=-1)


def angle_deg(az1: float, el1: float, az2: float, el2: float) -> float:
    """Angle in degrees between two directions (azimuth, elevation in degrees)."""
    u, v = direction_to_unit(az1, el1), direction_to_unit(az2, el2)
    return float(np.degrees(np.arccos(np.clip(float(u @ v), -1.0, 1.0))))


def unit_to_direction(v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Azimuth and elevation in degrees of vectors (…, 3) (not necessarily unit length)."""
    v = np.asarray(v, dtype=float)
    x, y, z = v[..., 0], v[..., 1], v[..., 2]
    return np.degrees(np.arctan2(x, z)), np.degrees(np.arctan2(-y, np.hypot(x, z)))


class Camera:
    """Pinhole + OpenCV radial/tangential distortion (k1, k2, p1, p2, k3), posed by a CameraSpec."""

    def __init__(self, spec: CameraSpec) -> None:
        self.spec = spec
        self.R = np.asarray(spec.rotation, dtype=float)
        self.t = np.asarray(spec.translation_m, dtype=float)
        d = list(spec.distortion) + [0.0] * (5 - len(spec.distortion))
        self.k1, self.k2, self.p1, self.p2, self.k3 = d[:5]

    @property
    def size(self) -> tuple[int, int]:
        return self.spec.width, self.spec.height

    def project(self, points_array: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Pixels (N, 2) of points (N, 3) in the array frame, and a mask of points in front of the lens."""
        p = np.atleast_2d(np.asarray(points_array, dtype=float)) @ self.R.T + self.t
        front = p[:, 2] > 1e-6
        z = np.where(front, p[:, 2], 1.0)
        x, y = p[:, 0] / z, p[:, 1] / z
        xd, yd = self._distort(x, y)
        uv = np.stack([self.spec.fx * xd + self.spec.cx, self.spec.fy * yd + self.spec.cy], axis=1)
        return uv, front

    def direction_to_pixel(
        self,
        azimuth_deg: np.ndarray | float,
        elevation_deg: np.ndarray | float,
        distance_m: float | np.ndarray = 30.0,
    ) -> np.ndarray:
        """Pixel of a source seen from the array in this direction at this distance (far field by default)."""
        pts = direction_to_unit(azimuth_deg, elevation_deg) * np.asarray(distance_m, dtype=float)[..., None]
        uv, _ = self.project(pts.reshape(-1, 3))
        return uv.reshape((*np.shape(pts)[:-1], 2))

    def pixel_to_direction(
        self, u: np.ndarray | float, v: np.ndarray | float
    ) -> tuple[np.ndarray, np.ndarray]:
        """Azimuth/elevation in the array frame of the ray through pixel (u, v), ignoring the small offset."""
        xd = (np.asarray(u, dtype=float) - self.spec.cx) / self.spec.fx
        yd = (np.asarray(v, dtype=float) - self.spec.cy) / self.spec.fy
        x, y = self._undistort(xd, yd)
        ray_cam = np.stack([x, y, np.ones_like(x)], axis=-1)
        return unit_to_direction(ray_cam @ self.R)  # R^T applied row-wise: camera → array frame

    def in_frame(self, uv: np.ndarray, margin_px: float = 0.0) -> np.ndarray:
        uv = np.atleast_2d(uv)
        w, h = self.size
        return (
            (uv[:, 0] >= -margin_px)
            & (uv[:, 0] < w + margin_px)
            & (uv[:, 1] >= -margin_px)
            & (uv[:, 1] < h + margin_px)
        )

    def field_of_view_deg(self) -> tuple[float, float, float, float]:
        """(az_min, az_max, el_min, el_max) covered by the image, from its border pixels."""
        w, h = self.size
        edge_u = np.concatenate([np.linspace(0, w, 50), np.full(50, w), np.linspace(0, w, 50), np.zeros(50)])
        edge_v = np.concatenate([np.zeros(50), np.linspace(0, h, 50), np.full(50, h), np.linspace(0, h, 50)])
        az, el = self.pixel_to_direction(edge_u, edge_v)
        return float(az.min()), float(az.max()), float(el.min()), float(el.max())

    def _distort(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        r2 = x * x + y * y
        radial = 1 + self.k1 * r2 + self.k2 * r2 * r2 + self.k3 * r2 * r2 * r2
        xd = x * radial + 2 * self.p1 * x * y + self.p2 * (r2 + 2 * x * x)
        yd = y * radial + self.p1 * (r2 + 2 * y * y) + 2 * self.p2 * x * y
        return xd, yd

    def _undistort(self, xd: np.ndarray, yd: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        # Fixed-point iteration, as OpenCV's undistortPoints does; converges for the mild lenses we use.
        x, y = xd.copy(), yd.copy()
        for _ in range(20):
            r2 = x * x + y * y
            radial = 1 + self.k1 * r2 + self.k2 * r2 * r2 + self.k3 * r2 * r2 * r2
            dx = 2 * self.p1 * x * y + self.p2 * (r2 + 2 * x * x)
            dy = self.p1 * (r2 + 2 * y * y) + 2 * self.p2 * x * y
            x, y = (xd - dx) / radial, (yd - dy) / radial
        return x, y
