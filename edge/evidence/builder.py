"""From a closed horn event to a signed `honkwatch-evidence/1` bundle (docs/evidence-format.md).

The builder cuts the event's audio and frames out of `EventMedia` (live rings or a replayed
scene), makes the files a reviewer and a court need — the photo with the sound map over it,
the close-up, the beam and reference audio, the spectrogram, the map on its own axes — and
signs a manifest that hashes each of them. What it measured and how (the frame time, the
close-up box, the audio span, the reference channel) goes into the manifest too, so every
picture can be traced back to the stream it came from.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from edge import __version__
from edge.analysis.events import HornEvent
from edge.analysis.steering import steering_delays
from edge.evidence import audio_clip, drawing
from edge.evidence.bundle import EvidenceFile, Manifest, build_manifest, format_utc, make_bundle
from edge.evidence.closeup import DEFAULT_DISTANCE_M, VehicleEnvelope, closeup_box, render_closeup
from edge.evidence.media import EventMedia, Frame
from edge.evidence.overlay import render_map_image, render_wide
from edge.evidence.spectrogram import render_spectrogram
from edge.geometry.camera import Camera
from edge.geometry.profiles import Mount
from edge.transport.health import ClockState


@dataclass(frozen=True)
class EvidenceSite:
    """The fixed facts of the device that go into every manifest."""

    device: str
    zone: str
    array_name: str
    positions_m: np.ndarray
    sample_rate: int
    full_scale_pa: float | None
    camera: Camera | None
    mount: Mount | None = None  # how the unit hangs over the road: sizes the close-up
    profile: str | None = None
    firmware: str = f"honkwatch {__version__}"
    models: tuple[Mapping[str, Any], ...] = ()


@dataclass(frozen=True)
class EvidenceOptions:
    """How much audio around the horn, and how the pictures look."""

    pre_s: float = 3.0
    post_s: float = 3.0
    overlay_floor_db: float = -6.0
    overlay_alpha: float = 0.45
    overlay_max_area: float = 0.05  # fraction of the photo the overlay may paint (see display_floor_db)
    jpeg_quality: int = 90
    frame_window_s: float = 0.25
    vehicle: VehicleEnvelope = field(default_factory=VehicleEnvelope)


@dataclass(frozen=True)
class BuiltEvidence:
    """A signed bundle ready for the outbox, with its parts for writing them out."""

    manifest: Manifest
    files: tuple[EvidenceFile, ...]
    payload: bytes
    build_s: float

    @property
    def id(self) -> str:
        return self.manifest.id


@dataclass(frozen=True)
class Pictures:
    """The camera and map files of an event, with the camera facts for the manifest."""

    files: tuple[EvidenceFile, ...]
    camera: dict[str, Any] | None
    build_s: float


PlateLookup = Callable[[HornEvent], str | None]


def picture_time(event: HornEvent) -> float:
    """Stream time of the frame to show: when the direction was measured, less the sound's travel time.

    The direction refers to `t_ref` (mid-horn if the analyzer gives none); event times are when
    the sound *arrived*, and the picture should show the vehicle where it was when it honked
    (at 50 km/h and 30 m that is 1.2 m further back).
    """
    t = event.t_ref if event.t_ref is not None else 0.5 * (event.t_start + event.t_end)
    return t - (event.distance_m or 0.0) / audio_clip.SPEED_OF_SOUND_M_S


def nearest_frame(frames: Sequence[Frame], t: float) -> Frame | None:
    return min(frames, key=lambda f: abs(f.t - t)) if frames else None


class EvidenceBuilder:
    """Builds and signs one bundle per closed horn event; stateless between events."""

    def __init__(
        self,
        site: EvidenceSite,
        key: Ed25519PrivateKey,
        utc_of: Callable[[float], datetime],
        clock: Callable[[], ClockState],
        options: EvidenceOptions | None = None,
        plate_of: PlateLookup | None = None,
        plate_source: str = "simulator",
    ) -> None:
        self.site = site
        self.key = key
        self.utc_of = utc_of
        self.clock = clock
        self.options = options or EvidenceOptions()
        self.plate_of = plate_of
        self.plate_source = plate_source
        self.reference_channel = audio_clip.reference_channel(site.positions_m)

    def pictures(self, event: HornEvent, media: EventMedia) -> Pictures:
        """The wide photo, close-up and map image: all they need exists when the event closes.

        The sink makes these while the post-roll audio is still arriving, so only the audio
        files wait for it.
        """
        started = time.perf_counter()
        site = self.site
        files: list[EvidenceFile] = []
        camera_facts: dict[str, Any] | None = None
        if site.camera is not None:
            t = picture_time(event)
            # Ask for the frame at t first (decoding video costs), then for any frame close by.
            frame = nearest_frame(media.frames_near(t, 0.05), t) or nearest_frame(
                media.frames_near(t, self.options.frame_window_s), t
            )
            if frame is not None:
                photos, camera_facts = self._photos(event, frame, self._pixel(event))
                files += photos
            else:
                camera_facts = {"frame": None, "note": "no camera frame near the horn"}
        if event.sound_map is not None:
            sm = event.sound_map
            band = f"{sm.band_hz[0]:.0f}–{sm.band_hz[1]:.0f} Hz, " if sm.band_hz[1] > 0 else ""
            image = render_map_image(
                sm,
                (event.azimuth_deg, event.elevation_deg),
                site.camera,
                f"Sound map ({band}{sm.method}), dB re peak",
            )
            files.append(EvidenceFile("map.png", "sound_map", drawing.encode_png(image)))
        return Pictures(tuple(files), camera_facts, time.perf_counter() - started)

    def build(
        self,
        event: HornEvent,
        media: EventMedia,
        pictures: Pictures | None = None,
        evidence_id: str | None = None,
    ) -> BuiltEvidence:
        """The signed bundle; needs the audio up to `t_end + post_s` (clipped to what exists).
        `evidence_id` names it (a new id if None): a provisional and a final bundle of one
        event share theirs, so the server keeps one case."""
        pictures = pictures if pictures is not None else self.pictures(event, media)
        started = time.perf_counter()
        opt, site = self.options, self.site
        span = media.audio(event.t_start - opt.pre_s, event.t_end + opt.post_s)
        if len(span.samples) == 0:
            raise ValueError(f"no audio around the event at {event.t_start:.2f}–{event.t_end:.2f} s")
        delays = steering_delays(
            site.positions_m,
            event.azimuth_deg,
            event.elevation_deg,
            event.distance_m,
            audio_clip.SPEED_OF_SOUND_M_S,
        )
        beam = audio_clip.delay_and_sum(span.samples, span.sample_rate, delays)
        reference = span.samples[:, self.reference_channel]
        spl, calibrated = self._level(event)
        utc_start, utc_end = self.utc_of(event.t_start), self.utc_of(event.t_end)
        title = (
            f"Beam toward az {event.azimuth_deg:+.1f}°, el {event.elevation_deg:+.1f}° · "
            f"{site.device} · {format_utc(utc_start)}"
        )
        spectrogram = render_spectrogram(
            beam, span.sample_rate, span.start_s, (event.t_start, event.t_end), title
        )
        files = [
            EvidenceFile("beam.flac", "audio_beam", audio_clip.encode_flac(beam, span.sample_rate)),
            EvidenceFile(
                "reference.flac", "audio_reference", audio_clip.encode_flac(reference, span.sample_rate)
            ),
            EvidenceFile("spectrogram.png", "spectrogram", drawing.encode_png(spectrogram, palette=True)),
            *pictures.files,
        ]
        capture: dict[str, Any] = {
            "audio": {
                "stream_start": round(span.start_s, 4),
                "stream_end": round(span.end_s, 4),
                "sample_rate": span.sample_rate,
                "reference_channel": self.reference_channel,
                "beam": "delay-and-sum, "
                + (f"spherical wave at {event.distance_m:.1f} m" if event.distance_m else "plane wave"),
            }
        }
        if pictures.camera is not None:
            capture["camera"] = pictures.camera
        pixel = self._pixel(event)
        plate_text = self.plate_of(event) if self.plate_of is not None else None
        manifest = build_manifest(
            device=site.device,
            zone=site.zone,
            event={
                "t_start_utc": utc_start,
                "t_end_utc": utc_end,
                "stream_t_start": round(event.t_start, 4),
                "stream_t_end": round(event.t_end, 4),
                "azimuth_deg": round(event.azimuth_deg, 3),
                "elevation_deg": round(event.elevation_deg, 3),
                "pixel": None if pixel is None else [round(pixel[0], 1), round(pixel[1], 1)],
                "distance_m": None if event.distance_m is None else round(event.distance_m, 2),
                "confidence": float(np.clip(event.confidence, 0.0, 1.0)),
                "horn_probability": event.horn_probability,
                "fundamental_hz": event.fundamental_hz,
                "spl_db": None if spl is None else round(spl, 1),
                "spl_calibrated": calibrated,
                "detected_after_s": round(event.detected_after_s, 3),
                "inside_frame": event.inside_frame,
                "enforceable": event.enforceable,
                "conditions": list(event.conditions),
            },
            clock=self.clock().for_manifest(),
            device_info={
                "firmware": site.firmware,
                "profile": site.profile,
                "array": site.array_name,
                "channels": len(site.positions_m),
                "sample_rate": site.sample_rate,
            },
            models=list(site.models),
            plate={"text": plate_text, "source": self.plate_source if plate_text else None},
            files=files,
            extra={"capture": capture},
            evidence_id=evidence_id,
        )
        payload = make_bundle(self.key, manifest, files)
        build_s = pictures.build_s + time.perf_counter() - started
        return BuiltEvidence(manifest, tuple(files), payload, build_s)

    def _level(self, event: HornEvent) -> tuple[float | None, bool]:
        """The analyzer's level (A-weighted, horn components only): the one level of the event."""
        spl = event.spl_db if self.site.full_scale_pa is not None else None
        return spl, spl is not None

    def _pixel(self, event: HornEvent) -> tuple[float, float] | None:
        if event.pixel is not None:
            return float(event.pixel[0]), float(event.pixel[1])
        if self.site.camera is None:
            return None
        uv = self.site.camera.direction_to_pixel(
            event.azimuth_deg, event.elevation_deg, event.distance_m or DEFAULT_DISTANCE_M
        )
        return float(uv[0]), float(uv[1])

    def _photos(
        self, event: HornEvent, frame: Frame, pixel: tuple[float, float] | None
    ) -> tuple[list[EvidenceFile], dict[str, Any]]:
        """The wide photo with the map and, when the source is in or near the picture, the close-up."""
        camera, opt = self.site.camera, self.options
        assert camera is not None
        # A horn just below the picture's edge still has its car in the picture: crop that.
        margin = 0.1 * camera.size[0]
        in_picture = pixel is not None and bool(camera.in_frame(np.asarray(pixel), margin)[0])
        box = None
        if in_picture:
            assert pixel is not None
            box = closeup_box(
                camera,
                event.azimuth_deg,
                event.elevation_deg,
                event.distance_m,
                pixel,
                self.site.mount,
                opt.vehicle,
            )
        spl, _ = self._level(event)
        wide, floor_db = render_wide(
            frame.image,
            event.sound_map,
            camera,
            pixel if in_picture else None,
            event.distance_m or DEFAULT_DISTANCE_M,
            self._caption(event, frame.t, spl, self.clock()),
            box,
            opt.overlay_floor_db,
            opt.overlay_alpha,
            opt.overlay_max_area,
        )
        files = [EvidenceFile("wide.jpg", "wide_overlay", drawing.encode_jpeg(wide, opt.jpeg_quality))]
        facts: dict[str, Any] = {
            "frame_stream_t": round(frame.t, 4),
            "frame_utc": format_utc(self.utc_of(frame.t)),
            "image_size": [int(frame.image.shape[1]), int(frame.image.shape[0])],
            "overlay": {"colormap": "jet", "floor_db": round(floor_db, 2), "alpha": opt.overlay_alpha},
        }
        if box is not None:
            closeup, factor = render_closeup(frame.image, box)
            files.append(
                EvidenceFile("closeup.jpg", "closeup", drawing.encode_jpeg(closeup, opt.jpeg_quality))
            )
            facts["closeup_box_px"] = list(box)
            facts["closeup_scale"] = factor
        return files, facts

    def _caption(self, event: HornEvent, frame_t: float, spl: float | None, clock: ClockState) -> list[str]:
        site = self.site
        utc = self.utc_of(frame_t)
        if clock.synced:
            offset = f", offset {clock.offset_s * 1000:.1f} ms" if clock.offset_s is not None else ""
            sync = f"clock synchronised ({clock.source or 'unknown source'}{offset})"
        else:
            sync = "clock NOT synchronised"
        level = f"{spl:.1f} dB(A)" if spl is not None else "level uncalibrated"
        distance = f" · {event.distance_m:.1f} m" if event.distance_m else ""
        return [
            f"{utc.strftime('%Y-%m-%d %H:%M:%S')}.{utc.microsecond // 1000:03d} UTC · {sync}"
            f" · horn {event.t_end - event.t_start:.2f} s",
            f"Zone {site.zone} · Device {site.device} · {level} · az {event.azimuth_deg:+.1f}°"
            f" el {event.elevation_deg:+.1f}°{distance} · confidence {event.confidence:.2f}",
        ]
