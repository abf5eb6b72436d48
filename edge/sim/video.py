"""Synthetic camera video of the scenario: the road, its markings and every vehicle as a shaded box
with a readable plate, frame k showing the world at audio time `start_s + k / fps`.

The picture is made through the same `Camera` model (intrinsics, distortion, pose) that turns
a localized direction into a pixel, so the camera path of the pipeline — frame at the horn's
time, box under the sound map's peak, plate close-up — can be tested end to end against truth.
The static street is ray-cast once per pixel (exact under lens distortion); vehicles are drawn
per frame as projected boxes, far to near.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from edge.errors import UserFacingError
from edge.geometry import Camera, direction_to_unit
from edge.sim.plates import plate_image
from edge.sim.scenario import Scenario, Vehicle

_SKY_TOP = np.array([205.0, 160.0, 120.0])  # BGR
_SKY_LOW = np.array([230.0, 215.0, 200.0])
_ASPHALT = np.array([88.0, 88.0, 92.0])
_PAVEMENT = np.array([150.0, 160.0, 165.0])
_VERGE = np.array([70.0, 120.0, 90.0])
_WALL = np.array([150.0, 180.0, 200.0])
_WHITE = np.array([235.0, 235.0, 235.0])
_YELLOW = np.array([40.0, 190.0, 230.0])
_FAR_M = 400.0


def render_video(scn: Scenario, camera: Camera, path: Path, fps: float, start_s: float) -> int:
    """Write `path` (MP4) covering the scene; returns the number of frames."""
    import cv2

    width, height = camera.size
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (width, height))
    if not writer.isOpened():
        raise UserFacingError(f"{path}: OpenCV cannot write MP4 video here (no mp4v encoder?)")
    background = street_image(scn, camera)
    to_array = scn.mount.world_from_array()  # rows: p_array = p_world @ R
    n_frames = int(np.floor((scn.duration_s - start_s) * fps - 1e-9)) + 1
    try:
        for k in range(n_frames):
            t = start_s + k / fps
            frame = background.copy()
            draw_vehicles(frame, scn, camera, to_array, t)
            _timestamp(frame, t)
            writer.write(frame)
    finally:
        writer.release()
    return n_frames


def street_image(scn: Scenario, camera: Camera) -> np.ndarray:
    """The empty street as the camera sees it (BGR uint8), by casting a ray through every pixel."""
    width, height = camera.size
    u, v = np.meshgrid(np.arange(width), np.arange(height))  # OpenCV: pixel centres at integers
    az, el = camera.pixel_to_direction(u.ravel(), v.ravel())
    rays = direction_to_unit(az, el) @ scn.mount.world_from_array().T  # world frame
    h = scn.mount.height_m
    img = np.empty((rays.shape[0], 3))
    up = np.clip(-rays[:, 1], 0.0, 1.0)
    img[:] = _SKY_LOW + (_SKY_TOP - _SKY_LOW) * np.sqrt(up)[:, None]
    down = rays[:, 1] > 1e-6
    dist_ground = np.where(down, h / np.maximum(rays[:, 1], 1e-9), np.inf)
    dist_wall = np.full(rays.shape[0], np.inf)
    facade = scn.road.facade_x_m
    if facade is not None:
        with np.errstate(divide="ignore", invalid="ignore"):
            d = facade / rays[:, 0]
        dist_wall = np.where((d > 0) & np.isfinite(d), d, np.inf)
    ground = np.isfinite(dist_ground) & (dist_ground <= dist_wall) & (dist_ground < _FAR_M)
    wall = np.isfinite(dist_wall) & (dist_wall < dist_ground) & (dist_wall < _FAR_M)
    hit = rays[ground] * dist_ground[ground, None]
    img[ground] = _ground_colour(scn, hit[:, 0], hit[:, 2])
    if np.any(wall):
        wp = rays[wall] * dist_wall[wall, None]
        img[wall] = _wall_colour(wp[:, 1], wp[:, 2], h)
    # Haze: far things fade toward the horizon colour.
    dist = np.minimum(np.where(ground, dist_ground, np.inf), np.where(wall, dist_wall, np.inf))
    fade = np.where(np.isfinite(dist), np.clip(dist / _FAR_M, 0.0, 1.0) ** 1.5, 0.0)
    img = img * (1 - fade[:, None]) + _SKY_LOW * fade[:, None]
    rng = np.random.default_rng([scn.seed, 9])
    img += rng.normal(0.0, 3.0, img.shape)  # sensor noise and asphalt grain
    return np.clip(img, 0, 255).astype(np.uint8).reshape(height, width, 3)


def _ground_colour(scn: Scenario, x: np.ndarray, z: np.ndarray) -> np.ndarray:
    road = scn.road
    left, right = road.edges_x_m
    bike = any(v.lane == len(road.lane_x_m) for v in scn.vehicles)
    right_paved = right + (2.5 if bike else 0.0)
    col = np.tile(_VERGE, (x.size, 1))
    pavement = ((x >= left - 4.0) & (x < left)) | ((x >= right_paved) & (x < right_paved + 4.0))
    col[pavement] = _PAVEMENT
    on_road = (x >= left) & (x < right_paved)
    col[on_road] = _ASPHALT

    def line(centre: float, colour: np.ndarray, dashed: bool, half_width: float = 0.08) -> None:
        m = np.abs(x - centre) < half_width
        if dashed:
            m &= np.mod(z, 10.0) < 4.0  # 4 m dashes, 6 m gaps
        col[m] = colour

    line(left + 0.2, _WHITE, False)
    line(right - 0.2, _WHITE, False)
    if bike:
        line(right_paved - 0.2, _WHITE, False)
    for i in range(len(road.lane_x_m) - 1):
        boundary = (road.lane_x_m[i] + road.lane_x_m[i + 1]) / 2
        same = road.lane_direction[i] == road.lane_direction[i + 1]
        line(boundary, _WHITE if same else _YELLOW, dashed=same)
    # A zebra crossing: the kind of place no-honk zones guard.
    zebra_z = 18.0 + (scn.seed % 7)
    stripes = on_road & (np.abs(z - zebra_z) < 2.5) & (np.mod(x - left, 1.2) < 0.6)
    col[stripes] = _WHITE
    return col


def _wall_colour(y: np.ndarray, z: np.ndarray, road_y: float) -> np.ndarray:
    col = np.tile(_WALL, (y.size, 1))
    height_above = road_y - y
    window = (np.mod(z, 4.0) > 1.2) & (np.mod(height_above, 3.2) > 1.0) & (height_above > 3.0)
    col[window] = (90.0, 80.0, 70.0)
    col[height_above < 0.3] = (110.0, 120.0, 125.0)
    return col


def vehicle_box(v: Vehicle, t: float, road_y: float) -> np.ndarray:
    """The 8 world corners of vehicle v's box at time t: near face first (toward the pole), then far."""
    spec = v.spec
    z_near = float(v.front_z(t)) if v.direction < 0 else float(v.front_z(t)) - spec.length_m
    xs = (v.x_m - spec.width_m / 2, v.x_m + spec.width_m / 2)
    ys = (road_y, road_y - spec.height_m)
    corners = [(x, y, z) for z in (z_near, z_near + spec.length_m) for y in ys for x in xs]
    return np.array(corners)


# Faces by corner index (near face 0-3: x-,y0 / x+,y0 / x-,y1 / x+,y1; far face 4-7) and outward normal.
_FACES = (
    ((0, 1, 3, 2), (0.0, 0.0, -1.0), 0.85),  # near
    ((4, 5, 7, 6), (0.0, 0.0, 1.0), 0.6),  # far
    ((0, 2, 6, 4), (-1.0, 0.0, 0.0), 0.7),  # left
    ((1, 3, 7, 5), (1.0, 0.0, 0.0), 0.7),  # right
    ((2, 3, 7, 6), (0.0, -1.0, 0.0), 1.0),  # top
)


def draw_vehicles(frame: np.ndarray, scn: Scenario, camera: Camera, to_array: np.ndarray, t: float) -> None:
    """Draw every vehicle in front of the camera at time t, far ones first."""

    h = scn.mount.height_m
    boxes = []
    for v in scn.vehicles:
        world = vehicle_box(v, t, h)
        if world[0, 2] < 1.0 or world[0, 2] > _FAR_M:
            continue
        boxes.append((float(np.linalg.norm(world.mean(axis=0))), v, world))
    for _, v, world in sorted(boxes, key=lambda b: -b[0]):
        uv, front = camera.project(world @ to_array)
        if not np.all(front):
            continue
        # Shadow under the body, then the visible faces of the box.
        foot = vehicle_box(v, t, h)[[0, 1, 5, 4]] + np.array(
            [[-0.15, 0, -0.2], [0.15, 0, -0.2], [0.15, 0, 0.2], [-0.15, 0, 0.2]]
        )
        fuv, _ = camera.project(foot @ to_array)
        _fill(frame, fuv, (40, 40, 45))
        body = np.array(v.body_rgb[::-1], dtype=float)
        for idx, normal, shade in _FACES:
            if np.dot(normal, -world[list(idx)].mean(axis=0)) <= 0.0:  # faces away from the pole
                continue
            _fill(frame, uv[list(idx)], tuple(float(c) for c in body * shade))
        _near_face_details(frame, v, world, camera, to_array, t)


def _near_face_details(
    frame: np.ndarray, v: Vehicle, world: np.ndarray, camera: Camera, to_array: np.ndarray, t: float
) -> None:
    """Windscreen (or rear window), lights and the plate on the face the camera sees."""

    spec = v.spec
    x0, x1 = world[0, 0], world[1, 0]
    y_road, z = world[0, 1], world[0, 2] - 0.01
    w = x1 - x0

    def quad(fx0: float, fx1: float, hy0: float, hy1: float) -> np.ndarray:
        pts = np.array([[x0 + fx0 * w, y_road - hy0, z], [x0 + fx1 * w, y_road - hy0, z],
                        [x0 + fx1 * w, y_road - hy1, z], [x0 + fx0 * w, y_road - hy1, z]])  # fmt: skip
        uv, _ = camera.project(pts @ to_array)
        return uv

    hgt = spec.height_m
    if v.kind in ("car", "ambulance", "truck", "bus"):
        glass = quad(0.1, 0.9, hgt * 0.55, hgt * 0.92)
        _fill(frame, glass, (70, 55, 45))
        lamp = (200, 230, 240) if v.direction < 0 else (40, 40, 200)
        for a, b in ((0.04, 0.2), (0.8, 0.96)):
            _fill(frame, quad(a, b, 0.62, 0.75), lamp)
    if v.kind == "ambulance":
        stripe = quad(0.0, 1.0, hgt * 0.35, hgt * 0.45)
        _fill(frame, stripe, (40, 40, 210))
        flash = (255, 80, 40) if int(t * 4) % 2 else (40, 40, 255)
        _fill(frame, quad(0.3, 0.7, hgt, hgt + 0.15), flash)
    uv, _ = camera.project(plate_corners(v, t, y_road) @ to_array)
    paste_plate(frame, plate_image(v.plate, v.plate_colour), uv)


def plate_corners(v: Vehicle, t: float, road_y: float) -> np.ndarray:
    """World corners (top-left, top-right, bottom-right, bottom-left as the camera sees them) of the
    plate on the face toward the pole: the front plate of oncoming traffic, the rear plate of the rest."""
    box = vehicle_box(v, t, road_y)
    x_mid, z = (box[0, 0] + box[1, 0]) / 2, box[0, 2] - 0.01
    half = (0.44 if v.kind not in ("scooter", "ebike") else 0.3) / 2
    bottom = road_y - (0.3 if v.kind not in ("truck", "bus") else 0.5)
    top = bottom - 2 * half * 140 / 440
    return np.array(
        [[x_mid - half, top, z], [x_mid + half, top, z], [x_mid + half, bottom, z], [x_mid - half, bottom, z]]
    )


_SHIFT = 4  # sub-pixel vertex precision (1/16 px) so slow motion moves edges smoothly


def _fill(frame: np.ndarray, uv: np.ndarray, colour: tuple) -> None:
    import cv2

    pts = np.round(np.clip(np.asarray(uv), -1e5, 1e5) * (1 << _SHIFT)).astype(np.int32)
    cv2.fillConvexPoly(frame, pts, colour, lineType=cv2.LINE_AA, shift=_SHIFT)


def paste_plate(frame: np.ndarray, plate_rgb: np.ndarray, corners_uv: np.ndarray) -> None:
    """Warp the plate image onto the quad (top-left, top-right, bottom-right, bottom-left) in the frame."""
    import cv2

    height, width = frame.shape[:2]
    x0, y0 = np.floor(corners_uv.min(axis=0)).astype(int)
    x1, y1 = np.ceil(corners_uv.max(axis=0)).astype(int) + 1
    if x1 <= 0 or y1 <= 0 or x0 >= width or y0 >= height or (x1 - x0) < 2 or (y1 - y0) < 2:
        return
    cx0, cy0, cx1, cy1 = max(x0, 0), max(y0, 0), min(x1, width), min(y1, height)
    ph, pw = plate_rgb.shape[:2]
    src = np.float32([[0, 0], [pw, 0], [pw, ph], [0, ph]])
    dst = np.float32(corners_uv - [cx0, cy0])
    m = cv2.getPerspectiveTransform(src, dst)
    size = (cx1 - cx0, cy1 - cy0)
    warped = cv2.warpPerspective(np.ascontiguousarray(plate_rgb[:, :, ::-1]), m, size, flags=cv2.INTER_AREA)
    mask = cv2.warpPerspective(np.full((ph, pw), 255, np.uint8), m, size, flags=cv2.INTER_LINEAR)
    roi = frame[cy0:cy1, cx0:cx1]
    alpha = (mask.astype(np.float32) / 255.0)[:, :, None]
    roi[:] = (roi * (1 - alpha) + warped * alpha).astype(np.uint8)


def _timestamp(frame: np.ndarray, t: float) -> None:
    """On-screen time of the frame on the audio clock, as traffic cameras print theirs."""
    import cv2

    scale = frame.shape[0] / 1080.0
    text = f"SIM t={t:8.3f}s"
    org = (int(20 * scale), int(50 * scale))
    cv2.putText(
        frame,
        text,
        org,
        cv2.FONT_HERSHEY_SIMPLEX,
        1.2 * scale,
        (0, 0, 0),
        max(1, int(5 * scale)),
        cv2.LINE_AA,
    )
    cv2.putText(
        frame,
        text,
        org,
        cv2.FONT_HERSHEY_SIMPLEX,
        1.2 * scale,
        (255, 255, 255),
        max(1, int(2 * scale)),
        cv2.LINE_AA,
    )
