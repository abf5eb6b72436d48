"""The close-up: the part of the frame that holds the honking vehicle and its plate.

The crop is the picture of the space a honking car can fill around its horn: a car's width
either side, from the road up to above the roof — and, low down, a car's length nearer the
camera, because a vehicle driving away shows its *rear* plate, 4 m nearer than the horn behind
its grille, and so much lower in the picture when it is close. With the unit's mount
known, that volume is projected through the camera model; without it, the box is sized from
the distance alone (a 1.8 m wide car at d metres is fx·1.8/d pixels wide).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from edge.geometry.camera import Camera, direction_to_unit
from edge.geometry.profiles import Mount

DEFAULT_DISTANCE_M = 20.0


@dataclass(frozen=True)
class VehicleEnvelope:
    """Where a honking car's body and plates can be, in metres from its horn (road frame)."""

    half_width_m: float = 1.6  # a 1.8 m car, plus a localization error of ~0.7 m sideways
    above_horn_m: float = 1.3  # a car's roof is ~0.9 m above its horn; margin for vans
    nearer_m: float = 0.6  # front bumper (and plate) of a car coming toward the camera, with margin
    farther_m: float = 1.5  # windscreen and roof line behind the horn of a car coming toward it
    rear_plate_m: float = 4.6  # the rear plate of a car driving away: a car's length nearer
    plate_band_m: float = 0.8  # plates sit up to this high above the road
    below_horn_m: float = 2.5  # without a mount: how far below the horn to reach, at the vehicle
    min_px: int = 96


def closeup_box(
    camera: Camera,
    azimuth_deg: float,
    elevation_deg: float,
    distance_m: float | None,
    pixel: tuple[float, float],
    mount: Mount | None = None,
    envelope: VehicleEnvelope = VehicleEnvelope(),
) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1), end-exclusive, inside the image; shifted (not shrunk) at the image's edges."""
    known = distance_m is not None and np.isfinite(distance_m) and distance_m > 0
    d = float(distance_m) if known else DEFAULT_DISTANCE_M
    if mount is not None and known:
        u0, v0, u1, v1 = _projected_envelope(camera, azimuth_deg, elevation_deg, d, mount, envelope)
    else:
        fx, fy = camera.spec.fx, camera.spec.fy
        u0, u1 = pixel[0] - fx * envelope.half_width_m / d, pixel[0] + fx * envelope.half_width_m / d
        v0, v1 = pixel[1] - fy * envelope.above_horn_m / d, pixel[1] + fy * envelope.below_horn_m / d
    return _fit(u0, v0, u1, v1, camera.size, envelope.min_px)


def _projected_envelope(
    camera: Camera, azimuth_deg: float, elevation_deg: float, d: float, mount: Mount, env: VehicleEnvelope
) -> tuple[float, float, float, float]:
    """Image extent of the car around the horn and of where its rear plate would be if it drove away.

    World frame: y down to the road (y = mount height), z along the road away from the pole.
    """
    to_world = mount.world_from_array()
    horn = to_world @ (direction_to_unit(azimuth_deg, elevation_deg) * d)
    road_y = max(mount.height_m, horn[1])
    xs = horn[0] + np.array([-env.half_width_m, env.half_width_m])
    body = [
        (x, y, z)
        for x in xs
        for y in (horn[1] - env.above_horn_m, road_y)
        for z in (horn[2] - env.nearer_m, horn[2] + env.farther_m)
    ]
    rear_plate = [(x, y, horn[2] - env.rear_plate_m) for x in xs for y in (road_y - env.plate_band_m, road_y)]
    uv, front = camera.project(np.array(body + rear_plate) @ to_world)  # world → array: transpose
    uv = uv[front]
    return float(uv[:, 0].min()), float(uv[:, 1].min()), float(uv[:, 0].max()), float(uv[:, 1].max())


def _fit(
    u0: float, v0: float, u1: float, v1: float, image_size: tuple[int, int], min_px: int
) -> tuple[int, int, int, int]:
    width, height = image_size
    w = int(np.clip(round(u1 - u0), min_px, width))
    h = int(np.clip(round(v1 - v0), min_px, height))
    x0 = int(np.clip(round((u0 + u1) / 2 - w / 2), 0, width - w))
    y0 = int(np.clip(round((v0 + v1) / 2 - h / 2), 0, height - h))
    return x0, y0, x0 + w, y0 + h


def render_closeup(
    image: np.ndarray, box: tuple[int, int, int, int], min_width: int = 640
) -> tuple[np.ndarray, int]:
    """The crop, enlarged by a whole factor to at least `min_width` so a plate is readable on screen.

    Nothing is drawn on it: this is the picture a plate is read from. Returns (image, factor).
    """
    x0, y0, x1, y1 = box
    crop = image[y0:y1, x0:x1]
    factor = max(1, int(np.ceil(min_width / max(crop.shape[1], 1))))
    if factor > 1:
        crop = cv2.resize(
            crop, (crop.shape[1] * factor, crop.shape[0] * factor), interpolation=cv2.INTER_CUBIC
        )
    return np.ascontiguousarray(crop), factor
