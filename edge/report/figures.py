"""The pictures of one event in a report, drawn by the evidence renderers and inlined as data URIs.

The report reuses `edge.evidence` (wide overlay, map image, spectrogram) so the engineer sees
exactly what the reviewer will; it adds the truth's position (a green diamond) when the scene
has one. Without video the wide picture is a blank grey image plane of the camera's size, so
the overlay still shows where in the picture the map and the source fell; without a camera the
map on its own azimuth/elevation axes is the only placement there is.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

import cv2
import numpy as np

from edge.analysis.events import HornEvent
from edge.analysis.steering import steering_delays
from edge.evidence import audio_clip, drawing
from edge.evidence.closeup import DEFAULT_DISTANCE_M
from edge.evidence.overlay import render_map_image, render_wide
from edge.evidence.scene_media import SceneMedia
from edge.evidence.spectrogram import render_spectrogram
from edge.geometry.camera import Camera
from edge.scene.model import TruthEvent

TRUTH_BGR = (60, 220, 60)
MAX_WIDTH = 960  # report images are for a screen, not for court: keep the page light
SPECTROGRAM_PAD_S = 1.5


@dataclass(frozen=True)
class EventFigures:
    """Data URIs of one event's pictures (None when there is nothing to draw)."""

    wide: str | None
    wide_from_video: bool
    sound_map: str | None
    spectrogram: str | None


def data_uri(image: np.ndarray, jpeg: bool = False, palette: bool = False) -> str:
    """A data URI (no file beside the page); `palette` for colour-mapped plots, JPEG for photos."""
    if jpeg:
        return "data:image/jpeg;base64," + base64.b64encode(drawing.encode_jpeg(image, 85)).decode("ascii")
    return "data:image/png;base64," + base64.b64encode(drawing.encode_png(image, palette=palette)).decode(
        "ascii"
    )


def _shrink(image: np.ndarray) -> np.ndarray:
    h, w = image.shape[:2]
    if w <= MAX_WIDTH:
        return image
    return cv2.resize(image, (MAX_WIDTH, round(h * MAX_WIDTH / w)), interpolation=cv2.INTER_AREA)


def _truth_pixel(truth: TruthEvent, t: float, camera: Camera) -> tuple[float, float] | None:
    if truth.pixel is not None and not truth.track_deg:
        return truth.pixel
    az, el = truth.direction_at(t)
    uv = np.asarray(camera.direction_to_pixel(az, el, truth.distance_m or DEFAULT_DISTANCE_M), float).reshape(
        2
    )
    return float(uv[0]), float(uv[1])


def wide_picture(
    event: HornEvent, media: SceneMedia, camera: Camera, truths: list[TruthEvent]
) -> tuple[np.ndarray, bool]:
    """The overlay on the video frame nearest the event's reference time, or on a blank plane."""
    t = event.t_ref if event.t_ref is not None else 0.5 * (event.t_start + event.t_end)
    frames = media.frames_near(t, 0.2)
    if frames:
        image = min(frames, key=lambda f: abs(f.t - t)).image
        caption_t = min(frames, key=lambda f: abs(f.t - t)).t
    else:
        w, h = camera.size
        image = np.full((h, w, 3), 96, np.uint8)
        caption_t = t
    nearby = [h for h in truths if h.t_start - 0.25 < event.t_end and event.t_start < h.t_end + 0.25]
    caption = [
        f"t {event.t_start:.2f}–{event.t_end:.2f} s (frame at {caption_t:.2f} s)"
        + ("" if frames else " · no video: blank image plane"),
        f"az {event.azimuth_deg:+.1f}°, el {event.elevation_deg:+.1f}° · confidence {event.confidence:.2f}"
        + (" · green ◆ truth" if nearby else ""),
    ]
    pixel = event.pixel if event.inside_frame else None
    out, _ = render_wide(
        image, event.sound_map, camera, pixel, event.distance_m or DEFAULT_DISTANCE_M, caption
    )
    # The truth goes on top of the overlay (the caption strip is below the picture: same pixels).
    scale = out.shape[1] / 1920.0
    for truth in nearby:
        px = _truth_pixel(truth, t, camera)
        if px is not None:
            cv2.drawMarker(
                out,
                (round(px[0]), round(px[1])),
                TRUTH_BGR,
                cv2.MARKER_DIAMOND,
                max(14, round(40 * scale)),
                max(2, round(3 * scale)),
                cv2.LINE_AA,
            )
    return _shrink(out), bool(frames)


def beam_spectrogram(event: HornEvent, media: SceneMedia, positions_m: np.ndarray) -> np.ndarray | None:
    """Spectrogram of the beam toward the event, the horn ± 1.5 s (the evidence's own voiceprint)."""
    span = media.audio(event.t_start - SPECTROGRAM_PAD_S, event.t_end + SPECTROGRAM_PAD_S)
    if len(span.samples) == 0:
        return None
    delays = steering_delays(
        positions_m, event.azimuth_deg, event.elevation_deg, event.distance_m, audio_clip.SPEED_OF_SOUND_M_S
    )
    beam = audio_clip.delay_and_sum(span.samples, span.sample_rate, delays)
    title = f"Beam toward az {event.azimuth_deg:+.1f}°, el {event.elevation_deg:+.1f}°"
    return _shrink(
        render_spectrogram(beam, span.sample_rate, span.start_s, (event.t_start, event.t_end), title)
    )


def event_figures(
    event: HornEvent,
    media: SceneMedia,
    camera: Camera | None,
    positions_m: np.ndarray,
    truths: list[TruthEvent],
) -> EventFigures:
    """Every picture of one event: the evidence's own three, so the report shows what a reviewer will."""
    wide, from_video = None, False
    if camera is not None:
        image, from_video = wide_picture(event, media, camera, truths)
        wide = data_uri(image, jpeg=from_video)
    smap = None
    if event.sound_map is not None:
        sm = event.sound_map
        title = f"Sound map ({sm.method}, {sm.band_hz[0]:.0f}–{sm.band_hz[1]:.0f} Hz), dB re peak"
        image = render_map_image(sm, (event.azimuth_deg, event.elevation_deg), camera, title)
        smap = data_uri(_shrink(image), palette=True)
    spec = beam_spectrogram(event, media, positions_m)
    return EventFigures(wide, from_video, smap, None if spec is None else data_uri(spec, palette=True))
