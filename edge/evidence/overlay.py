"""The sound map on the picture: the wide evidence photo and the stand-alone map image.

The map lives on an azimuth/elevation grid seen from the array; the photo is seen from the
camera, a few centimetres away. Each pixel's ray is followed to the event's distance and
turned back into a direction from the array, so the overlay's peak lands on the pixel where
the localizer put the source even for a car 8 m away (the parallax is tens of pixels there).
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np
from scipy.interpolate import RectBivariateSpline

from edge.analysis.events import SoundMap
from edge.evidence import drawing
from edge.geometry.camera import Camera, unit_to_direction

WHITE = (255, 255, 255)
BLACK = (0, 0, 0)
AMBER = (0, 200, 255)


def pixel_directions(
    camera: Camera, u: np.ndarray, v: np.ndarray, distance_m: float
) -> tuple[np.ndarray, np.ndarray]:
    """Azimuth/elevation from the array of the point `distance_m` away that pixel (u, v) sees."""
    az, el = camera.pixel_to_direction(u, v)
    rays = np.stack(
        [
            np.cos(np.radians(el)) * np.sin(np.radians(az)),
            -np.sin(np.radians(el)),
            np.cos(np.radians(el)) * np.cos(np.radians(az)),
        ],
        axis=-1,
    )
    center = -camera.R.T @ camera.t  # the camera's optical centre in the array frame
    along = rays @ center
    reach = -along + np.sqrt(np.maximum(along**2 - center @ center + distance_m**2, 0.0))
    return unit_to_direction(center + rays * reach[..., None])


def sample_map(sound_map: SoundMap, azimuth_deg: np.ndarray, elevation_deg: np.ndarray) -> np.ndarray:
    """The map's level at arbitrary directions: a cubic spline through the grid, NaN off the grid.

    Cubic, not linear: the focus grid is coarse (a few degrees), and linear interpolation turns a
    round lobe into a faceted polygon with a flat top that hides where the peak is.
    """
    az, el = np.asarray(sound_map.azimuth_deg, float), np.asarray(sound_map.elevation_deg, float)
    power = np.asarray(sound_map.power_db, float)
    if power.shape != (len(el), len(az)):
        raise ValueError(
            f"sound map power is {power.shape}, expected (elevations, azimuths) = {(len(el), len(az))}"
        )
    if az[0] > az[-1]:
        az, power = az[::-1], power[:, ::-1]
    if el[0] > el[-1]:
        el, power = el[::-1], power[::-1, :]
    spline = RectBivariateSpline(el, az, power, kx=min(3, len(el) - 1), ky=min(3, len(az) - 1))
    values = spline.ev(elevation_deg, azimuth_deg)
    inside = (
        (azimuth_deg >= az[0])
        & (azimuth_deg <= az[-1])
        & (elevation_deg >= el[0])
        & (elevation_deg <= el[-1])
    )
    return np.where(inside, values, np.nan)


def map_on_pixels(sound_map: SoundMap, camera: Camera, distance_m: float, step: int = 8) -> np.ndarray:
    """The map's level (dB re its peak) at every pixel of the camera image; NaN where the grid ends.

    Sampled every `step` pixels and interpolated up: the map is far smoother than that.
    """
    width, height = camera.size
    us = np.arange(0, width + step, step, dtype=float)
    vs = np.arange(0, height + step, step, dtype=float)
    uu, vv = np.meshgrid(us, vs)
    az, el = pixel_directions(camera, uu, vv, distance_m)
    coarse = sample_map(sound_map, az, el)
    valid = np.isfinite(coarse).astype(np.float32)
    filled = np.where(np.isfinite(coarse), coarse, np.nanmin(coarse) if valid.any() else -99.0).astype(
        np.float32
    )
    # Coarse sample (i, j) sits at pixel (j*step, i*step): scale, not stretch, so the peak stays put.
    matrix = np.array([[step, 0, 0], [0, step, 0]], dtype=np.float64)
    full = cv2.warpAffine(
        filled, matrix, (width, height), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )
    mask = cv2.warpAffine(
        valid, matrix, (width, height), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )
    full[mask < 0.999] = np.nan
    return full


def draw_marker(image: np.ndarray, pixel: Sequence[float], scale: float) -> None:
    """An open circle with arms left, right and up at the source pixel (drawn in place).

    No arm points down: the plate is below the horn and must stay visible in the wide photo.
    """
    u, v = round(pixel[0]), round(pixel[1])
    r = max(8, round(18 * scale))
    for colour, thick in ((BLACK, max(3, round(5 * scale))), (WHITE, max(1, round(2 * scale)))):
        cv2.circle(image, (u, v), r, colour, thick, cv2.LINE_AA)
        for du, dv in ((1, 0), (-1, 0), (0, -1)):
            p0 = (u + du * r // 2, v + dv * r // 2)
            p1 = (u + du * r * 2, v + dv * r * 2)
            cv2.line(image, p0, p1, colour, thick, cv2.LINE_AA)


def display_floor_db(level_db: np.ndarray, floor_db: float = -6.0, max_area: float = 0.05) -> float:
    """The overlay's lower limit: `floor_db`, raised while the map above it would paint more than
    `max_area` of the picture.

    A horn's low harmonics give a main lobe wider than the road; painted down to −6 dB it would
    cover half the photo and point at no vehicle. The limit actually used is printed on the
    colour scale and kept in the manifest, and map.png shows the whole map on fixed axes.
    """
    valid = level_db[np.isfinite(level_db)]
    if valid.size == 0:
        return floor_db
    return float(min(max(floor_db, np.quantile(valid, 1.0 - max_area)), -0.5))


def blend_map(
    image: np.ndarray,
    level_db: np.ndarray,
    floor_db: float = -6.0,
    alpha: float = 0.45,
    colormap: int = cv2.COLORMAP_JET,
) -> np.ndarray:
    """The photo with the map above `floor_db` laid over it translucently, outlined at the floor."""
    db = np.nan_to_num(level_db, nan=-99.0)
    painted = (db > floor_db).astype(np.uint8)
    result = image.copy()
    if not painted.any():
        return result
    # Blend only inside the painted area's bounding box: a few percent of a 2 MP frame.
    x, y, w, h = cv2.boundingRect(painted)
    roi = db[y : y + h, x : x + w]
    colour = drawing.colorize((roi - floor_db) / -floor_db, colormap).astype(np.float32)
    feather = -floor_db / 4.0  # the edge fades in over the bottom quarter of the range
    weight = (alpha * np.clip((roi - floor_db) / feather, 0.0, 1.0))[..., None].astype(np.float32)
    blended = result[y : y + h, x : x + w].astype(np.float32) * (1.0 - weight) + colour * weight
    result[y : y + h, x : x + w] = np.clip(blended, 0, 255).astype(np.uint8)
    contours, _ = cv2.findContours(painted, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    cv2.drawContours(result, contours, -1, WHITE, 1, cv2.LINE_AA)
    return result


def caption_strip(width: int, lines: Sequence[str], floor_db: float, colormap: int) -> np.ndarray:
    """A black band with the event's facts and the colour scale, appended below the photo."""
    size = max(14, round(width / 70))
    height = round(size * 1.5 * len(lines) + size * 0.9)
    strip = np.zeros((height, width, 3), np.uint8)
    bar_w, bar_h = round(width * 0.14), max(8, size // 2)
    bar_x, bar_y = width - bar_w - size, round(size * 0.6)
    strip[bar_y : bar_y + bar_h, bar_x : bar_x + bar_w] = drawing.colorize(
        np.tile(np.linspace(0, 1, bar_w), (bar_h, 1)), colormap
    )
    small = max(11, round(size * 0.75))
    texts = [
        ((size // 2, round(size * 0.45 + i * size * 1.5)), line, size, WHITE) for i, line in enumerate(lines)
    ]
    texts += [
        ((bar_x, bar_y + bar_h + 4), f"{floor_db:.1f} dB", small, WHITE),
        ((bar_x + bar_w - drawing.text_width("0 dB", small), bar_y + bar_h + 4), "0 dB", small, WHITE),
        ((bar_x - drawing.text_width("sound map ", small), bar_y - 2), "sound map", small, WHITE),
    ]
    return drawing.put_texts(strip, texts)


def render_wide(
    image: np.ndarray,
    sound_map: SoundMap | None,
    camera: Camera,
    pixel: Sequence[float] | None,
    distance_m: float,
    caption: Sequence[str],
    box: tuple[int, int, int, int] | None = None,
    floor_db: float = -6.0,
    alpha: float = 0.45,
    max_area: float = 0.05,
    colormap: int = cv2.COLORMAP_JET,
) -> tuple[np.ndarray, float]:
    """The wide evidence photo (map overlay, source crosshair, close-up frame, caption strip below)
    and the overlay floor it used."""
    out = image.copy()
    if sound_map is not None:
        level = map_on_pixels(sound_map, camera, distance_m)
        floor_db = display_floor_db(level, floor_db, max_area)
        out = blend_map(image, level, floor_db, alpha, colormap)
    scale = out.shape[1] / 1920.0
    if box is not None:
        x0, y0, x1, y1 = box
        cv2.rectangle(out, (x0, y0), (x1 - 1, y1 - 1), AMBER, max(2, round(3 * scale)), cv2.LINE_AA)
    if pixel is not None:
        draw_marker(out, pixel, scale)
    return np.vstack([out, caption_strip(out.shape[1], caption, floor_db, colormap)]), floor_db


def render_map_image(
    sound_map: SoundMap,
    source_deg: tuple[float, float],
    camera: Camera | None,
    title: str,
    range_db: float = 15.0,
    colormap: int = cv2.COLORMAP_JET,
) -> np.ndarray:
    """The map on its own azimuth/elevation axes, with the camera's field of view and the source."""
    az = np.asarray(sound_map.azimuth_deg, float)
    el = np.asarray(sound_map.elevation_deg, float)
    power = np.asarray(sound_map.power_db, float)
    if az[0] > az[-1]:
        az, power = az[::-1], power[:, ::-1]
    if el[0] > el[-1]:
        el, power = el[::-1], power[::-1, :]
    az_lo, az_hi, el_lo, el_hi = az[0], az[-1], el[0], el[-1]
    px_per_deg = 760.0 / max(az_hi - az_lo, 1e-6)
    plot_w = 760
    plot_h = int(np.clip(round((el_hi - el_lo) * px_per_deg), 160, 560))
    sy = plot_h / max(el_hi - el_lo, 1e-6)
    left, top, right, bottom = 70, 64, 120, 56
    canvas = np.full((top + plot_h + bottom, left + plot_w + right, 3), 255, np.uint8)
    levels = cv2.resize(
        ((power + range_db) / range_db).astype(np.float32), (plot_w, plot_h), interpolation=cv2.INTER_CUBIC
    )
    canvas[top : top + plot_h, left : left + plot_w] = drawing.colorize(levels[::-1], colormap)

    def to_px(a: float, e: float) -> tuple[int, int]:
        return round(left + (a - az_lo) * px_per_deg), round(top + (el_hi - e) * sy)

    if camera is not None:
        c_az0, c_az1, c_el0, c_el1 = camera.field_of_view_deg()
        cv2.rectangle(canvas, to_px(c_az0, c_el1), to_px(c_az1, c_el0), WHITE, 2, cv2.LINE_AA)
    draw_marker(canvas, to_px(*source_deg), 0.6)
    cv2.rectangle(canvas, (left, top), (left + plot_w, top + plot_h), BLACK, 1)
    texts: list[tuple[tuple[int, int], str, int, tuple[int, int, int]]] = [((left, 10), title, 18, BLACK)]
    for tick in drawing.nice_ticks(az_lo, az_hi, 8):
        x, _ = to_px(tick, el_lo)
        cv2.line(canvas, (x, top + plot_h), (x, top + plot_h + 5), BLACK, 1)
        texts.append(((x - 10, top + plot_h + 8), f"{tick:g}", 14, BLACK))
    for tick in drawing.nice_ticks(el_lo, el_hi, 5):
        _, y = to_px(az_lo, tick)
        cv2.line(canvas, (left - 5, y), (left, y), BLACK, 1)
        texts.append(((left - 10 - drawing.text_width(f"{tick:g}", 14), y - 9), f"{tick:g}", 14, BLACK))
    texts.append(((left + plot_w // 2 - 60, top + plot_h + 30), "azimuth (°, right +)", 15, BLACK))
    texts.append(((4, top - 30), "elevation (°)", 14, BLACK))
    bar_x = left + plot_w + 30
    bar = drawing.colorize(np.linspace(1, 0, plot_h)[:, None].repeat(22, axis=1), colormap)
    canvas[top : top + plot_h, bar_x : bar_x + 22] = bar
    for db in drawing.nice_ticks(-range_db, 0.0, 5):
        y = round(top + (-db / range_db) * plot_h)
        texts.append(((bar_x + 28, y - 9), f"{db:g} dB", 14, BLACK))
    return drawing.put_texts(canvas, texts)
