"""The independent simulator's recorded-horn option: clips read, resampled, cut and levelled."""

import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import independent_scenes as other


def test_a_recorded_horn_is_resampled_cut_to_its_sounding_part_and_levelled(tmp_path):
    rate = 22050
    t = np.arange(int(0.6 * rate)) / rate
    tone = 0.3 * np.sign(np.sin(2 * np.pi * 420 * t))  # a harsh horn-like tone
    quiet = 1e-4 * np.random.default_rng(0).standard_normal(int(0.5 * rate))
    sf.write(tmp_path / "honk.wav", np.concatenate([quiet, tone, quiet]), rate)
    ((name, clip),) = other.load_horn_clips(tmp_path)
    assert name == "honk.wav"
    assert abs(len(clip) / other.FS - 0.6) <= 0.04  # the silence around it is cut, at 48 kHz
    blast = other.clip_blast(clip, 104.0)
    assert abs(other.level_db_a(blast) - 104.0) < 0.1
    assert blast[0] == 0.0 and blast[-1] == 0.0  # faded: the cut edges do not click


def test_a_folder_without_clips_is_refused(tmp_path):
    with pytest.raises(SystemExit, match="no .wav files"):
        other.load_horn_clips(tmp_path)
    with pytest.raises(SystemExit, match="no such directory"):
        other.load_horn_clips(tmp_path / "missing")


def test_a_corrupt_or_silent_clip_is_refused_by_name(tmp_path):
    (tmp_path / "broken.wav").write_bytes(b"RIFF\x00\x00not a wave file")
    with pytest.raises(SystemExit, match="broken.wav: not a readable sound file"):
        other.load_horn_clips(tmp_path)
    (tmp_path / "broken.wav").unlink()
    sf.write(tmp_path / "silent.wav", np.zeros(4800), 48_000)
    with pytest.raises(SystemExit, match="silent.wav: silent"):
        other.load_horn_clips(tmp_path)
