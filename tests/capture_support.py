"""Drive the real sounddevice → PortAudio → ALSA path with known signals, no sound card needed.

An ALSA `file` PCM reads its capture data from `infile` (raw interleaved samples in the stream's
format, looped at EOF). PortAudio reads the ALSA config once at init, so each check runs in a
fresh interpreter with `ALSA_CONFIG_PATH` pointing at a config that defines the PCM.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent


def known_signal(frames: int, channels: int, sample_rate: int = 48000) -> np.ndarray:
    """Channel c: a ramp-free sine at 200 + 50·c Hz and amplitude (c + 1) / (channels + 1), float32."""
    t = np.arange(frames) / sample_rate
    cols = [(c + 1) / (channels + 1) * np.sin(2 * np.pi * (200 + 50 * c) * t) for c in range(channels)]
    return np.stack(cols, axis=1).astype(np.float32)


def alsa_config(tmp: Path, infile: Path, name: str = "feed") -> Path:
    conf = tmp / "asound.conf"
    conf.write_text(
        f'pcm.{name} {{ type file; slave.pcm {{ type null }}; file "/dev/null"; '
        f'infile "{infile}"; format "raw" }}\n'
    )
    return conf


def run_probe(conf: Path, code: str, timeout: float = 60.0) -> dict:
    """Run `code` (which prints one JSON line last) with PortAudio seeing `conf`; returns that JSON."""
    env = dict(os.environ)
    env["ALSA_CONFIG_PATH"] = f"/usr/share/alsa/alsa.conf:{conf}"
    env["PYTHONPATH"] = str(ROOT)
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=timeout, cwd=ROOT
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])
