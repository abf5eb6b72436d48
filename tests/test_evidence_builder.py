"""The evidence builder on a scene with a known horn, car and plate: what a reviewer and a court get."""

from __future__ import annotations

import io
from dataclasses import replace
from pathlib import Path

import cv2
import evidence_support as es
import numpy as np
import pytest
import soundfile as sf
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from edge.analysis.steering import steering_delays
from edge.evidence import unpack_bundle, verify_bundle
from edge.evidence.audio_clip import delay_and_sum, reference_channel
from edge.evidence.builder import BuiltEvidence, EvidenceBuilder, picture_time
from edge.evidence.closeup import closeup_box
from edge.evidence.overlay import display_floor_db, map_on_pixels
from edge.evidence.scene_media import SceneMedia, scene_site, scene_utc
from edge.geometry.arrays import load_array
from edge.geometry.camera import Camera, unit_to_direction
from edge.geometry.profiles import Mount
from edge.scene.reader import load_scene
from edge.transport.health import ClockState

KEY = Ed25519PrivateKey.generate()
SYNCED = ClockState(synced=True, source="chrony", offset_s=0.0021)


@pytest.fixture(scope="module")
def scene_dir(tmp_path_factory: pytest.TempPathFactory) -> es.TestScene:
    return es.make_scene(tmp_path_factory.mktemp("scene"))


@pytest.fixture(scope="module")
def built(scene_dir: es.TestScene) -> BuiltEvidence:
    scene = load_scene(scene_dir.directory)
    builder = EvidenceBuilder(scene_site(scene), KEY, scene_utc(scene), lambda: SYNCED)
    media = SceneMedia(scene)
    try:
        return builder.build(scene_dir.event, media)
    finally:
        media.close()


def _files(built: BuiltEvidence) -> dict[str, bytes]:
    return {f.name: f.data for f in built.files}


def test_bundle_signature_and_hashes_verify(built: BuiltEvidence) -> None:
    bundle = unpack_bundle(built.payload)
    verify_bundle(bundle, KEY.public_key())  # raises on a bad signature, size or hash
    roles = {f.role for f in bundle.manifest.files}
    assert roles == {"wide_overlay", "closeup", "sound_map", "spectrogram", "audio_beam", "audio_reference"}
    m = bundle.manifest
    assert (m.device, m.zone) == ("pole-07", "Z01")
    assert m.clock.synced and m.clock.source == "chrony"
    assert m.event.t_start_utc.isoformat().startswith("2026-11-28T09:15:03")
    assert m.event.spl_calibrated and m.event.pixel is not None
    assert m.plate.text is None and m.plate.source is None
    assert m.device_info.channels == len(load_array("spiral32-0.6m").positions_m)


def test_tampered_file_is_refused(built: BuiltEvidence) -> None:
    bundle = unpack_bundle(built.payload)
    files = dict(bundle.files)
    files["closeup.jpg"] = files["closeup.jpg"][:-1] + b"\x00"
    with pytest.raises(Exception, match="SHA-256"):
        verify_bundle(replace(bundle, files=files), KEY.public_key())


def test_images_decode_and_closeup_holds_the_plate(built: BuiltEvidence, scene_dir: es.TestScene) -> None:
    files = _files(built)
    images = {
        n: cv2.imdecode(np.frombuffer(files[n], np.uint8), cv2.IMREAD_COLOR)
        for n in ("wide.jpg", "closeup.jpg", "map.png", "spectrogram.png")
    }
    assert all(img is not None and img.size > 0 for img in images.values())
    assert images["wide.jpg"].shape[1] == es.CAMERA.width  # full frame, caption strip below
    assert images["wide.jpg"].shape[0] > es.CAMERA.height
    cam = built.manifest.model_extra["capture"]["camera"]
    x0, y0, x1, y1 = cam["closeup_box_px"]
    px0, py0, px1, py1 = scene_dir.plate_box
    assert x0 <= px0 and y0 <= py0 and px1 <= x1 and py1 <= y1, (cam["closeup_box_px"], scene_dir.plate_box)
    # The close-up is the untouched crop, enlarged: the white plate is in it at the expected place.
    scale = cam["closeup_scale"]
    closeup = images["closeup.jpg"]
    assert closeup.shape[1] == (x1 - x0) * scale
    plate_centre = closeup[((py0 + py1) // 2 - y0) * scale, ((px0 + px1) // 2 - x0) * scale]
    assert plate_centre.min() > 200
    # The frame shown is the one at the horn (mid-horn, less the sound's travel time).
    assert abs(cam["frame_stream_t"] - picture_time(scene_dir.event)) <= 0.5 / es.FPS + 1e-6


def test_audio_clips_have_the_right_span_rate_and_level(
    built: BuiltEvidence, scene_dir: es.TestScene
) -> None:
    files = _files(built)
    beam, rate = sf.read(io.BytesIO(files["beam.flac"]), dtype="float64")
    ref, ref_rate = sf.read(io.BytesIO(files["reference.flac"]), dtype="float64")
    assert rate == ref_rate == es.RATE
    expected = round((es.HORN[1] - es.HORN[0] + 6.0) * es.RATE)  # 3 s before and after
    assert len(beam) == len(ref) == expected
    audio = built.manifest.model_extra["capture"]["audio"]
    assert audio["stream_start"] == pytest.approx(es.HORN[0] - 3.0)
    assert audio["reference_channel"] == reference_channel(scene_dir.positions_m)

    # The beam pulls the horn out of uncorrelated noise: its horn-to-noise ratio beats one microphone's.
    def snr_db(x: np.ndarray) -> float:
        horn = x[round(3.2 * rate) : round(3.8 * rate)]
        quiet = x[round(0.5 * rate) : round(2.5 * rate)]
        return 10 * np.log10(np.mean(horn**2) / np.mean(quiet**2))

    assert snr_db(beam) > snr_db(ref) + 10.0
    # The level is the analyzer's (A-weighted over the horn's harmonics), carried over unchanged.
    assert built.manifest.event.spl_db == scene_dir.event.spl_db


@pytest.mark.parametrize("distance_m", [8.0, 30.0])
def test_overlay_peak_lands_on_the_source_pixel(distance_m: float) -> None:
    camera = Camera(es.CAMERA)
    az, el = -11.0, -7.0  # on a grid node: between nodes linear interpolation makes a flat top
    level = map_on_pixels(es.gaussian_map(az, el), camera, distance_m)
    peak_v, peak_u = np.unravel_index(np.nanargmax(level), level.shape)
    u, v = camera.direction_to_pixel(az, el, distance_m)
    assert abs(peak_u - u) <= 3 and abs(peak_v - v) <= 3, ((peak_u, peak_v), (u, v))
    assert np.isnan(level).any()  # outside the focus grid the map is not painted


def test_plate_from_truth_only_when_asked(scene_dir: es.TestScene) -> None:
    scene = load_scene(scene_dir.directory)
    builder = EvidenceBuilder(
        scene_site(scene), KEY, scene_utc(scene), lambda: SYNCED, plate_of=lambda e: "粤R·12345"
    )
    media = SceneMedia(scene)
    try:
        m = unpack_bundle(builder.build(scene_dir.event, media).payload).manifest
    finally:
        media.close()
    assert (m.plate.text, m.plate.source) == ("粤R·12345", "simulator")


def test_without_video_the_bundle_has_audio_and_map_only(tmp_path: Path) -> None:
    ts = es.make_scene(tmp_path, with_video=False)
    scene = load_scene(ts.directory)
    unsynced = ClockState(synced=None, source=None, offset_s=None)
    builder = EvidenceBuilder(scene_site(scene, device="pole-09"), KEY, scene_utc(scene), lambda: unsynced)
    media = SceneMedia(scene)
    event = replace(ts.event, t_end=es.DURATION_S - 0.5)  # post-roll runs past the end: clipped to it
    bundle = unpack_bundle(builder.build(event, media).payload)
    verify_bundle(bundle, KEY.public_key())
    assert {f.role for f in bundle.manifest.files} == {
        "sound_map",
        "spectrogram",
        "audio_beam",
        "audio_reference",
    }
    assert bundle.manifest.clock.synced is False and bundle.manifest.device == "pole-09"
    beam, _ = sf.read(io.BytesIO(bundle.files["beam.flac"]))
    assert len(beam) == round((es.DURATION_S - (es.HORN[0] - 3.0)) * es.RATE)


def test_overlay_of_a_broad_lobe_paints_only_around_the_source() -> None:
    camera = Camera(es.CAMERA)
    broad = es.gaussian_map(5.0, -4.0)
    broad = replace(broad, power_db=broad.power_db / 20.0)  # a lobe 20 dB shallower: wider than the road
    level = map_on_pixels(broad, camera, 20.0)
    floor = display_floor_db(level, -6.0, max_area=0.05)
    assert -6.0 < floor <= -0.5
    painted = np.mean(np.nan_to_num(level, nan=-99.0) > floor)
    assert painted <= 0.05 + 1e-3
    sharp_floor = display_floor_db(map_on_pixels(es.gaussian_map(5.0, -4.0), camera, 20.0), -6.0, 0.05)
    assert sharp_floor == -6.0  # a tight lobe keeps the full 6 dB


@pytest.mark.parametrize("ahead_m", [15.0, 25.0, 40.0])
def test_closeup_holds_front_and_rear_plates_of_a_car_at_any_range(ahead_m: float) -> None:
    """Coming toward the camera the front plate shows, driving away the rear plate (4.3 m nearer)."""
    camera = Camera(es.CAMERA)
    mount = Mount(height_m=6.0, tilt_deg=10.0)
    to_world = mount.world_from_array()
    horn_w = np.array([1.7, mount.height_m - 0.6, ahead_m])  # next lane, horn 0.6 m up behind the grille
    horn = horn_w @ to_world
    az, el = unit_to_direction(horn)
    dist = float(np.linalg.norm(horn))
    pixel = tuple(camera.direction_to_pixel(az, el, dist))
    box = closeup_box(camera, float(az), float(el), dist, pixel, mount)
    x0, y0, x1, y1 = box
    checked = 0
    for along in (-0.3, -4.3):  # front plate, rear plate: 0.45 m above the road
        corners = horn_w + np.array([[dx, 0.15 + dy, along] for dx in (-0.22, 0.22) for dy in (-0.07, 0.07)])
        uv, _ = camera.project(corners @ to_world)
        if not camera.in_frame(uv).all():
            continue  # a plate below the picture cannot be in any crop of it
        assert np.all((uv[:, 0] >= x0) & (uv[:, 0] < x1) & (uv[:, 1] >= y0) & (uv[:, 1] < y1)), (uv, box)
        checked += 1
    assert checked == (1 if ahead_m < 20 else 2)


def test_beam_recovers_the_source_signal_exactly() -> None:
    """Fractional shifts of a 64-channel array put a multi-tone source (to 7 kHz) back together to −50 dB."""
    positions = load_array("spiral64-0.9m").positions_m
    rate = 48000
    t = np.arange(rate) / rate

    def source(tt: np.ndarray) -> np.ndarray:
        return sum(np.sin(2 * np.pi * f * tt + f) for f in (420.0, 1260.0, 3100.0, 7000.0))

    for distance in (12.0, None):
        tau = steering_delays(positions, 10.0, -8.0, distance)
        mics = np.stack([source(t - d) for d in tau], axis=1).astype(np.float32)
        beam = delay_and_sum(mics, rate, tau)
        inner = slice(500, -500)  # the ends lack the samples a shift would bring in
        assert np.abs(beam[inner] - source(t)[inner]).max() < 10 ** (-50 / 20) * np.abs(source(t)).max()
