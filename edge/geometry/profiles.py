"""Device profiles: which array, which camera (and where it sits), which sound card and channel map.

A profile is what a field device is configured with and what a recording carries forward into
its scene, so the geometry of a replay is the geometry of the device that recorded it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from edge.errors import GeometryError
from edge.geometry import _files
from edge.geometry.arrays import ArrayGeometry, load_array
from edge.geometry.camera import Camera
from edge.scene.model import CameraSpec

_PROFILE_SUFFIXES = (".toml",)
_CAMERA_SUFFIXES = (".json",)


@dataclass(frozen=True)
class Mount:
    """How the unit hangs over the road: the array frame relative to the street.

    The array frame is the camera-aligned frame of the scene format; the world has y down too,
    so a unit `height_m` above the road, pitched down by `tilt_deg`, sees the road surface as the
    plane y_world = height_m. Knowing that plane lets the localizer focus on the road at the right
    distance instead of assuming far field.
    """

    height_m: float = 6.0
    tilt_deg: float = 10.0
    yaw_deg: float = 0.0

    def world_from_array(self) -> np.ndarray:
        """Rotation taking array-frame vectors to a level, road-aligned frame (x right, y down, z along road)."""
        t, y = np.radians(self.tilt_deg), np.radians(self.yaw_deg)
        # Pitch down by tilt (rotation about x), then yaw about the vertical (y) axis.
        pitch = np.array([[1, 0, 0], [0, np.cos(t), np.sin(t)], [0, -np.sin(t), np.cos(t)]])
        yaw = np.array([[np.cos(y), 0, np.sin(y)], [0, 1, 0], [-np.sin(y), 0, np.cos(y)]])
        return yaw @ pitch

    def distance_to_plane(self, unit_dirs: np.ndarray, height_above_road_m: float = 0.8) -> np.ndarray:
        """Distance along each array-frame unit direction to the plane `height_above_road_m` above the road.

        Directions that never meet the plane (looking at or above the horizon) get inf.
        """
        down = (np.atleast_2d(unit_dirs) @ self.world_from_array().T)[:, 1]
        drop = self.height_m - height_above_road_m
        with np.errstate(divide="ignore"):
            return np.where(down > 1e-6, drop / np.maximum(down, 1e-12), np.inf)


@dataclass(frozen=True)
class DeviceProfile:
    name: str
    array: ArrayGeometry
    camera: CameraSpec | None
    audio_device: str | int | None
    sample_rate: int
    channel_map: tuple[int, ...]
    full_scale_pa: float | None
    mount: Mount
    description: str = ""
    camera_source: str | int | None = None

    def camera_model(self) -> Camera | None:
        return Camera(self.camera) if self.camera is not None else None


def load_camera(name_or_path: str | Path, pose: dict[str, Any] | None = None) -> CameraSpec:
    """Intrinsics from `hardware/cameras/<name>.json`, pose from the file or the `pose` override."""
    path = _files.resolve("cameras", name_or_path, _CAMERA_SUFFIXES)
    data = _files.read(path)
    try:
        vals = {k: float(data[k]) for k in ("width", "height", "fx", "fy", "cx", "cy")}
    except (KeyError, TypeError, ValueError) as exc:
        raise GeometryError(f"{path}: needs numeric width, height, fx, fy, cx, cy ({exc})") from None
    if min(vals.values()) <= 0:
        raise GeometryError(f"{path}: width, height, fx, fy, cx, cy must be positive")
    pose = {**data.get("pose", {}), **(pose or {})}
    rot = _rotation(pose, path)
    trans = np.asarray(pose.get("translation_m", [0.0, 0.0, 0.0]), dtype=float)
    if trans.shape != (3,) or not np.all(np.isfinite(trans)):
        raise GeometryError(f"{path}: pose.translation_m must be three finite numbers")
    dist = data.get("distortion", [])
    if not isinstance(dist, list) or len(dist) > 5:
        raise GeometryError(f"{path}: 'distortion' must be up to five numbers (k1, k2, p1, p2, k3)")
    return CameraSpec(
        width=int(vals["width"]),
        height=int(vals["height"]),
        fx=vals["fx"],
        fy=vals["fy"],
        cx=vals["cx"],
        cy=vals["cy"],
        rotation=rot,
        translation_m=trans,
        distortion=tuple(float(d) for d in dist),
    )


def _rotation(pose: dict[str, Any], path: Path) -> np.ndarray:
    """Camera-from-array rotation, given as a matrix or as small angles (degrees) about x, y, z."""
    if "rotation" in pose:
        rot = np.asarray(pose["rotation"], dtype=float)
    else:
        rx, ry, rz = np.radians(np.asarray(pose.get("angles_deg", [0.0, 0.0, 0.0]), dtype=float))
        cx, sx, cy, sy, cz, sz = np.cos(rx), np.sin(rx), np.cos(ry), np.sin(ry), np.cos(rz), np.sin(rz)
        rot = (
            np.array([[cz, -sz, 0], [sz, cz, 0], [0, 0, 1]])
            @ np.array([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]])
            @ np.array([[1, 0, 0], [0, cx, -sx], [0, sx, cx]])
        )
    if rot.shape != (3, 3) or not np.allclose(rot @ rot.T, np.eye(3), atol=1e-6):
        raise GeometryError(f"{path}: camera pose rotation is not a rotation matrix")
    return rot


def load_profile(name_or_path: str | Path) -> DeviceProfile:
    """Load `hardware/profiles/<name>.toml` (or a path) with its array and camera, and check it fits together."""
    path = _files.resolve("profiles", name_or_path, _PROFILE_SUFFIXES)
    data = _files.read(path)
    for key in ("name", "array"):
        if not isinstance(data.get(key), str):
            raise GeometryError(f"{path}: '{key}' must be a string")
    array = load_array(data["array"])
    camera = None
    if data.get("camera") is not None:
        camera = load_camera(data["camera"], data.get("camera_pose"))
    audio = data.get("audio", {})
    if not isinstance(audio, dict):
        raise GeometryError(f"{path}: [audio] must be a table")
    rate = audio.get("sample_rate", 48000)
    if not isinstance(rate, int) or rate <= 0:
        raise GeometryError(f"{path}: audio.sample_rate must be a positive integer")
    cmap = audio.get("channel_map", list(range(array.channels)))
    if not (isinstance(cmap, list) and all(isinstance(c, int) and c >= 0 for c in cmap)):
        raise GeometryError(f"{path}: audio.channel_map must be a list of device channel numbers")
    if len(cmap) != array.channels:
        raise GeometryError(
            f"{path}: audio.channel_map has {len(cmap)} entries but array {array.name!r} has {array.channels} microphones"
        )
    if len(set(cmap)) != len(cmap):
        raise GeometryError(f"{path}: audio.channel_map uses a device channel twice")
    fs_pa = audio.get("full_scale_pa")
    if fs_pa is not None and not (isinstance(fs_pa, int | float) and fs_pa > 0):
        raise GeometryError(f"{path}: audio.full_scale_pa must be a positive number")
    mount_raw = data.get("mount", {})
    try:
        mount = Mount(**{k: float(v) for k, v in mount_raw.items()})
    except (TypeError, ValueError) as exc:
        raise GeometryError(f"{path}: [mount] accepts height_m, tilt_deg, yaw_deg ({exc})") from None
    return DeviceProfile(
        name=data["name"],
        array=array,
        camera=camera,
        audio_device=audio.get("device"),
        sample_rate=rate,
        channel_map=tuple(cmap),
        full_scale_pa=float(fs_pa) if fs_pa is not None else None,
        mount=mount,
        description=str(data.get("description", "")),
        camera_source=data.get("camera_source"),
    )


def list_profiles() -> list[str]:
    return _files.names("profiles", _PROFILE_SUFFIXES)
