"""`honk-edge classify`: many files, any rate and channel count, bad files reported per file."""

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from edge.cli import main
from edge.sim import signals


def _horn_clip(fs: int, seed: int = 11) -> np.ndarray:
    rng = np.random.default_rng(seed)
    horn = signals.horn("car", 1.2, fs, rng)
    bg = signals.traffic_background(2.0, fs, rng)
    x = 0.05 * bg
    x[int(0.4 * fs) : int(0.4 * fs) + horn.size] += 0.3 * horn
    return x


def _background_clip(fs: int) -> np.ndarray:
    return 0.05 * signals.traffic_background(2.0, fs, np.random.default_rng(12))


def _run(capsys: pytest.CaptureFixture, *argv: str) -> tuple[int, list[dict], str]:
    code = main(["classify", *argv])
    out, err = capsys.readouterr()
    return code, [json.loads(line) for line in out.splitlines()], err


def test_scores_clips_of_any_rate_and_channel_count(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    stereo48 = tmp_path / "horn_48k_stereo.wav"
    sf.write(stereo48, np.stack([_horn_clip(48_000), _horn_clip(48_000)], axis=1), 48_000, subtype="PCM_24")
    mono8 = tmp_path / "horn_8k.wav"
    sf.write(mono8, _horn_clip(8_000), 8_000)
    quad = tmp_path / "horn_44k1_4ch.wav"
    sf.write(quad, np.tile(_horn_clip(44_100)[:, None], (1, 4)).astype(np.float32), 44_100, subtype="FLOAT")
    quiet = tmp_path / "traffic_22k05.wav"
    sf.write(quiet, _background_clip(22_050), 22_050)
    code, records, err = _run(capsys, str(stereo48), str(mono8), str(quad), str(quiet), "--json")
    assert code == 0, err
    assert [r["file"] for r in records] == [str(stereo48), str(mono8), str(quad), str(quiet)]
    for r in records:
        assert set(r) >= {"file", "horn_probability", "is_horn"}
        assert 0.0 <= r["horn_probability"] <= 1.0
        assert isinstance(r["is_horn"], bool)
    assert [r["is_horn"] for r in records] == [True, True, True, False]


def test_bad_files_get_an_error_line_and_the_others_still_score(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    good = tmp_path / "good.wav"
    sf.write(good, _horn_clip(16_000), 16_000)
    empty = tmp_path / "empty.wav"
    sf.write(empty, np.zeros((0, 2), np.float32), 16_000)
    corrupt = tmp_path / "corrupt.wav"
    corrupt.write_bytes(b"RIFF\x10\x00\x00\x00WAVEfmt garbage that is not audio")
    zero_bytes = tmp_path / "zero.wav"
    zero_bytes.write_bytes(b"")
    missing = tmp_path / "missing.wav"
    truncated = tmp_path / "truncated.wav"
    truncated.write_bytes(good.read_bytes()[:1000])
    code, records, err = _run(
        capsys, str(empty), str(corrupt), str(good), str(zero_bytes), str(missing), str(truncated), "--json"
    )
    assert code == 1
    by_file = {r["file"]: r for r in records}
    assert len(records) == 6
    assert by_file[str(good)]["is_horn"] is True
    assert "no audio samples" in by_file[str(empty)]["error"]
    assert "not a readable audio file" in by_file[str(corrupt)]["error"]
    assert "not a readable audio file" in by_file[str(zero_bytes)]["error"]
    assert "no such file" in by_file[str(missing)]["error"]
    assert "truncated" in by_file[str(truncated)]["error"]
    assert err.count("error:") == 5


def test_plain_output_is_one_line_per_file(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    path = tmp_path / "horn.wav"
    sf.write(path, _horn_clip(16_000), 16_000)
    code = main(["classify", str(path), "--variant", "compact_cnn"])
    out = capsys.readouterr().out.strip().split("\t")
    assert code == 0
    assert out[0] == str(path) and out[2] == "HORN" and 0.0 <= float(out[1]) <= 1.0
