"""Issue 5's acceptance: a simulated 10 s scene with video, replayed with --evidence-dir, gives bundles
that verify, whose hashes match, and whose close-up holds the honking vehicle's plate."""

from __future__ import annotations

import base64
import hashlib
import io
import json
from contextlib import redirect_stdout
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from edge.cli import main
from edge.evidence import Bundle, unpack_bundle, verify_bundle
from edge.evidence.keys import load_key
from edge.geometry import Camera
from edge.geometry.profiles import load_profile
from edge.sim.scenario import Scenario, ScenarioOptions
from edge.sim.simulate import simulate_scene
from edge.sim.video import vehicle_box

pytestmark = pytest.mark.slow

SEED = 4  # a car honking at 17 m in the picture, and one at 13 m whose plate is below the picture


@dataclass(frozen=True)
class Replayed:
    scene: Path
    scenario: Scenario
    camera: Camera
    bundles: list[Bundle]
    folders: list[Path]
    summary: dict
    key_file: Path


@pytest.fixture(scope="module")
def replayed(tmp_path_factory: pytest.TempPathFactory) -> Replayed:
    root = tmp_path_factory.mktemp("e2e")
    profile = load_profile("pole-spiral64")
    result = simulate_scene(
        root / "scene", seed=SEED, options=ScenarioOptions(duration_s=10.0), profile=profile
    )
    key_file = root / "key.pem"
    out = io.StringIO()
    with redirect_stdout(out):
        code = main(
            [
                "replay",
                str(root / "scene"),
                "--evidence-dir",
                str(root / "evidence"),
                "--key-file",
                str(key_file),
                "--plate-from-truth",
            ]
        )
    assert code == 0
    summary_line = next(line for line in out.getvalue().splitlines() if line.startswith("evidence: "))
    folders = sorted(p for p in (root / "evidence").iterdir())
    bundles = [unpack_bundle((f / "bundle.json").read_bytes()) for f in folders]
    camera = profile.camera_model()
    assert camera is not None
    return Replayed(
        root / "scene", result.scenario, camera, bundles, folders, json.loads(summary_line[10:]), key_file
    )


def _plate_corners(scn: Scenario, vehicle_id: str, t: float, camera: Camera) -> np.ndarray:
    """Pixels of the plate's corners at time t, placed as the simulator's video draws it."""
    v = scn.vehicle(vehicle_id)
    near = vehicle_box(v, t, scn.mount.height_m)[:2]  # near face, bottom corners (x-, x+)
    x_mid, y_road, z = near[:, 0].mean(), near[0, 1], near[0, 2]
    half_w = 0.22 if v.kind not in ("scooter", "ebike") else 0.15
    bottom = 0.3 if v.kind not in ("truck", "bus") else 0.5
    top = bottom + 2 * half_w * 140 / 440
    world = np.array([[x_mid + dx, y_road - dy, z] for dx in (-half_w, half_w) for dy in (bottom, top)])
    uv, _ = camera.project(world @ scn.mount.world_from_array())
    return uv


def test_every_bundle_verifies_and_its_files_match(replayed: Replayed) -> None:
    assert replayed.summary["bundles"] == len(replayed.bundles) >= 2
    assert replayed.summary["short_post_roll"] <= replayed.summary["bundles"]
    assert replayed.summary["failed"] == 0
    public = load_key(replayed.key_file).public_key()
    for bundle, folder in zip(replayed.bundles, replayed.folders, strict=True):
        verify_bundle(bundle, public)
        assert bundle.manifest.id == folder.name
        for entry in bundle.manifest.files:
            data = (folder / entry.name).read_bytes()
            assert hashlib.sha256(data).hexdigest() == entry.sha256 and len(data) == entry.size
        assert {f.role for f in bundle.manifest.files} >= {
            "wide_overlay",
            "closeup",
            "audio_beam",
            "spectrogram",
        }
        assert bundle.manifest.device == "sim-pole-spiral64" and bundle.manifest.zone == "simulated"
        assert bundle.manifest.event.spl_calibrated and bundle.manifest.event.spl_db is not None
        # The signed manifest bytes are the ones in the payload (the server verifies those bytes).
        payload = json.loads((folder / "bundle.json").read_bytes())
        assert base64.b64decode(payload["manifest"]) == bundle.manifest_bytes


def test_closeup_holds_the_honking_vehicles_plate(replayed: Replayed) -> None:
    truth = json.loads((replayed.scene / "truth.json").read_text())["events"]
    checked = 0
    for bundle in replayed.bundles:
        ev = bundle.manifest.event
        horn = next(h for h in truth if h["t_start"] - 0.3 <= ev.stream_t_start <= h["t_end"] + 0.3)
        assert bundle.manifest.plate.text == horn["plate"] and bundle.manifest.plate.source == "simulator"
        cam = bundle.manifest.model_extra["capture"]["camera"]
        uv = _plate_corners(replayed.scenario, horn["vehicle_id"], cam["frame_stream_t"], replayed.camera)
        if not replayed.camera.in_frame(uv).all():
            continue  # no crop of the picture can hold a plate outside it
        x0, y0, x1, y1 = cam["closeup_box_px"]
        assert np.all((uv[:, 0] >= x0) & (uv[:, 0] < x1) & (uv[:, 1] >= y0) & (uv[:, 1] < y1)), (
            uv,
            (x0, y0, x1, y1),
        )
        checked += 1
    assert checked >= 1


def test_audio_clips_span_three_seconds_around_the_horn(replayed: Replayed) -> None:
    for bundle in replayed.bundles:
        ev = bundle.manifest.event
        audio = bundle.manifest.model_extra["capture"]["audio"]
        assert audio["stream_start"] == pytest.approx(max(0.0, ev.stream_t_start - 3.0), abs=1e-3)
        assert audio["stream_end"] == pytest.approx(min(10.0, ev.stream_t_end + 3.0), abs=1e-3)
        for name in ("beam.flac", "reference.flac"):
            data, rate = sf.read(io.BytesIO(bundle.files[name]))
            assert rate == 48000
            assert len(data) == round((audio["stream_end"] - audio["stream_start"]) * rate)
