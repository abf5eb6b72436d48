"""`honk-edge record` from the real sounddevice/ALSA path into a scene that replays."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
from capture_support import ROOT, alsa_config, known_signal

from edge.geometry.profiles import load_profile
from edge.scene import load_scene

LOOP = 9600


def test_record_writes_a_scene_with_the_device_geometry(tmp_path: Path) -> None:
    sig = known_signal(LOOP, 16)
    raw = tmp_path / "in.raw"
    sig.astype("<f4").tofile(raw)
    conf = alsa_config(tmp_path, raw)
    cam = tmp_path / "cam.mp4"
    writer = cv2.VideoWriter(str(cam), cv2.VideoWriter_fourcc(*"mp4v"), 25.0, (320, 240))
    for k in range(10):
        writer.write(np.full((240, 320, 3), 20 * k, np.uint8))
    writer.release()
    out = tmp_path / "rec"
    env = dict(os.environ, ALSA_CONFIG_PATH=f"/usr/share/alsa/alsa.conf:{conf}", PYTHONPATH=str(ROOT))
    cmd = [
        sys.executable,
        "-m",
        "edge.cli",
        "record",
        "--seconds",
        "0.5",
        "--out",
        str(out),
        "--profile",
        "dev-uma16",
        "--device",
        "feed",
        "--camera-source",
        str(cam),
    ]
    res = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert res.returncode == 0, res.stderr[-2000:]
    summary = json.loads(res.stdout.strip().splitlines()[-1])
    scene = load_scene(out)
    profile = load_profile("dev-uma16")
    assert scene.sample_rate == 48000 and scene.channels == 16 and scene.frames == 24000
    np.testing.assert_allclose(scene.positions_m, profile.array.positions_m)
    assert scene.camera is not None and scene.camera.width == profile.camera.width
    assert scene.video_path is not None and summary["video_frames"] >= 12
    assert scene.extra["mount"]["height_m"] == profile.mount.height_m
    assert scene.full_scale_pa == profile.full_scale_pa
    # Delivered audio is the infile at its stream position; gaps (if the writer fell behind) are silence.
    audio = scene.read_audio()
    expected = sig[np.arange(len(audio)) % LOOP]
    delivered = ~(audio == 0).all(axis=1)
    assert delivered.sum() >= 2400
    np.testing.assert_allclose(audio[delivered], expected[delivered], atol=2e-7)  # 24-bit PCM
    assert int((~delivered).sum()) >= summary["gap_frames"]  # every gap frame is silence
    # It replays like any scene.
    rep = subprocess.run(
        [sys.executable, "-m", "edge.cli", "replay", str(out), "--events-out", str(tmp_path / "e.jsonl")],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert rep.returncode == 0, rep.stderr[-2000:]


def test_record_refuses_to_overwrite(tmp_path: Path) -> None:
    res = subprocess.run(
        [
            sys.executable,
            "-m",
            "edge.cli",
            "record",
            "--seconds",
            "1",
            "--out",
            str(tmp_path),
            "--profile",
            "dev-uma16",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert res.returncode == 2 and "exists already" in res.stderr
