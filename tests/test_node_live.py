"""`honk-edge run` on the real sounddevice/ALSA path (an ALSA file PCM fed in real time from a FIFO)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from capture_support import ROOT, alsa_config, known_signal
from node_support import Recorder, make_key, unique_device


def start_node(tmp_path: Path, conf: Path, toml: str) -> subprocess.Popen:
    cfg = tmp_path / "node.toml"
    cfg.write_text(toml)
    env = dict(os.environ, ALSA_CONFIG_PATH=f"/usr/share/alsa/alsa.conf:{conf}", PYTHONPATH=str(ROOT))
    return subprocess.Popen(
        [sys.executable, "-m", "edge.cli", "run", "--config", str(cfg)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )


def base_toml(tmp_path: Path, device: str, audio: str, camera: str, broker: str) -> str:
    return (
        f'[device]\nid = "{device}"\nzone = "z"\nprofile = "dev-uma16"\nkey_file = "{make_key(tmp_path)}"\n'
        f"[audio]\n{audio}\n[camera]\n{camera}\n[broker]\n{broker}\n"
        f'[outbox]\npath = "{tmp_path / "o.sqlite3"}"\n[health]\ninterval_s = 1.0\n'
    )


def first_levels_beat(
    tmp_path: Path, level: float, camera: str, then_s: float = 0.0
) -> tuple[dict | None, list[dict], str, str, int]:
    """Run a node on 16 channels each fed the constant `level` through ALSA's file PCM until its
    first heartbeat that carries channel levels, and `then_s` longer; stop it. (that beat or None,
    every beat, stdout, stderr, code)."""
    raw = tmp_path / "in.raw"
    np.full((4800, 16), level, "<f4").tofile(raw)
    conf = alsa_config(tmp_path, raw)
    device = unique_device()
    rec = Recorder(device)
    toml = base_toml(tmp_path, device, 'device = "feed"', camera, 'host = "127.0.0.1"\nport = 1883')
    proc = start_node(tmp_path, conf, toml)
    try:
        deadline = time.monotonic() + 30
        beat = None
        while time.monotonic() < deadline and proc.poll() is None:
            beats = [json.loads(b) for b in rec.on("health")]
            if beats and beats[-1]["channel_rms_db"]:
                beat = beats[-1]
                break
            time.sleep(0.1)
        time.sleep(then_s)
        beats = [json.loads(b) for b in rec.on("health")]
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    finally:
        rec.close()
    return beat, beats, out, err, proc.returncode


def test_missing_audio_device_refuses_to_start(tmp_path: Path) -> None:
    raw = tmp_path / "in.raw"
    known_signal(4800, 16).tofile(raw)
    conf = alsa_config(tmp_path, raw)
    toml = base_toml(
        tmp_path,
        unique_device(),
        'device = "UMA16"\nopen_timeout_s = 0.3',
        "enabled = false",
        "enabled = false",
    )
    proc = start_node(tmp_path, conf, toml)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 2
    lines = err.strip().splitlines()
    assert (
        len(lines) == 1
        and "audio device 'UMA16' not found (input devices: " in lines[0]
        and "'feed'" in lines[0]
    )


def test_camera_that_never_opens_is_a_reported_degraded_state(tmp_path: Path) -> None:
    # A regular infile: ALSA's file PCM delivers it as fast as it is read (no pacing), so the node
    # also meets a source faster than real time and must drop, count and carry on.
    missing = tmp_path / "no-camera.mp4"
    beat, beats, out, err, code = first_levels_beat(
        tmp_path, 0.25, f'source = "{missing}"\nreconnect_max_s = 0.5', then_s=2.5
    )
    assert beat is not None, err[-2000:]
    assert beat["camera_state"] == "reconnecting"
    # Faster than real time: audio is dropped, and the heartbeats say how much.
    assert any(c.startswith("audio dropped: ") for b in beats for c in b["conditions"]), beats
    assert any("camera reconnecting" in c and "no such file" in c for c in beat["conditions"])
    # The audio kept flowing: all 16 channels carry the fed level, 20·log10(0.25) dB.
    np.testing.assert_allclose(beat["channel_rms_db"], [20 * np.log10(0.25)] * 16, atol=0.1)
    assert code == 0 and "Traceback" not in err
    assert json.loads(out.strip().splitlines()[-1])["blocks"] > 0


def test_an_array_that_delivers_only_a_constant_is_reported_silent(tmp_path: Path) -> None:
    """A stuck converter or a muted array: every channel a constant (its DC offset), no sound. The
    analysis detects nothing in it, and the heartbeat says so instead of looking like a quiet
    street; its channel levels still report what arrives."""
    beat, _, _, err, _ = first_levels_beat(tmp_path, 0.01, "enabled = false")
    assert beat is not None, err[-2000:]
    assert any(c.startswith("audio silent") for c in beat["conditions"]), beat["conditions"]
    np.testing.assert_allclose(beat["channel_rms_db"], [-40.0] * 16, atol=0.1)
