"""The bundled sample scenes load, stay small, and carry truth that agrees with their own geometry."""

import numpy as np
import pytest

from edge.geometry import Camera
from edge.paths import recordings_dir
from edge.scene import load_scene

SCENES = ("spiral32-street", "spiral32-two-horns", "uma16-one-horn", "uma16-confusers")


@pytest.mark.parametrize("name", SCENES)
def test_bundled_scene_loads_with_consistent_truth(name):
    scene = load_scene(recordings_dir() / name)
    assert scene.truth is not None and scene.full_scale_pa == pytest.approx(63.2)
    assert 5.0 <= scene.duration_s <= 8.0 and scene.channels in (16, 32)
    audio = scene.read_audio()
    # Calibrated street levels: nothing clipped, nothing silent.
    assert 0.0005 < float(np.sqrt(np.mean(audio.astype(float) ** 2))) < 0.5
    assert float(np.abs(audio).max()) < 1.0
    cam = Camera(scene.camera)
    for event in scene.truth.events:
        assert 0.0 <= event.t_start < event.t_end <= scene.duration_s
        uv = cam.direction_to_pixel(event.azimuth_deg, event.elevation_deg, event.distance_m)
        assert event.pixel == pytest.approx(tuple(uv), abs=0.1)
        assert event.plate and event.plate[2] == "·"
    ids = {v["id"] for v in scene.truth.extra["vehicles"]}
    assert all(e.extra["vehicle_id"] in ids for e in scene.truth.events)


def test_bundle_stays_small_and_documented():
    root = recordings_dir()
    total = sum(f.stat().st_size for f in root.rglob("*") if f.is_file())
    assert total < 25_000_000
    readme = (root / "README.md").read_text(encoding="utf-8")
    assert all(f"`{name}`" in readme for name in SCENES)
    assert not load_scene(root / "uma16-confusers").truth.events  # the false-alarm scene has no horn
    assert len(load_scene(root / "spiral32-two-horns").truth.events) == 2
    street = load_scene(root / "spiral32-street")
    assert street.video_path is not None and 0.0 <= street.video_start_s < 0.04
