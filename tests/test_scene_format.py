"""Scene round-trips and every refusal the foundation issue lists."""

import json
import math
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from edge.cli import main as edge_main
from edge.errors import SceneError
from edge.scene import CameraSpec, Truth, TruthConfuser, TruthEvent, load_scene, write_scene
from edge.scene.writer import SceneWriter

POS = np.array([[0.0, 0.0, 0.0], [0.1, 0.0, 0.0], [0.0, 0.1, 0.0], [0.1, 0.1, 0.0]])


def _scene(tmp_path: Path, **kw) -> Path:
    rng = np.random.default_rng(0)
    audio = (0.1 * rng.standard_normal((4800, 4))).astype(np.float32)
    cam = CameraSpec(width=640, height=360, fx=500, fy=500, cx=320, cy=180, distortion=(-0.1, 0.01, 0, 0, 0))
    truth = Truth(
        events=[
            TruthEvent(
                t_start=0.01,
                t_end=0.05,
                azimuth_deg=15.7,
                elevation_deg=-4.4,
                distance_m=18.9,
                pixel=(427.8, 214.3),
                plate="粤R·12345",
                track_deg=[(0.01, 15.0, -4.0), (0.05, 16.0, -4.5)],
            )
        ],
        confusers=[TruthConfuser(label="siren", t_start=0.0, t_end=0.1)],
    )
    d = tmp_path / "scene"
    write_scene(
        d,
        audio,
        sample_rate=48000,
        array_name="test4",
        positions_m=POS,
        subtype=kw.pop("subtype", "PCM_24"),
        camera=cam,
        truth=truth,
        full_scale_pa=63.2,
        start_utc="2026-11-28T09:00:00Z",
        zone="Z01",
        device="pole-01",
        extra={"mount": {"height_m": 6.0}},
    )
    return d


def _edit(d: Path, **changes) -> None:
    meta = json.loads((d / "scene.json").read_text())
    meta.update(changes)
    (d / "scene.json").write_text(json.dumps(meta))


def test_round_trip_keeps_everything(tmp_path):
    d = _scene(tmp_path)
    s = load_scene(d)
    assert s.channels == 4 and s.frames == 4800 and s.sample_rate == 48000
    assert np.allclose(s.positions_m, POS)
    assert s.full_scale_pa == pytest.approx(63.2)
    assert s.camera.fx == 500 and s.camera.distortion[0] == pytest.approx(-0.1)
    assert s.zone == "Z01" and s.device == "pole-01" and s.start_utc.startswith("2026-11-28")
    assert s.extra == {"mount": {"height_m": 6.0}}  # unknown fields kept
    ev = s.truth.events[0]
    assert ev.plate == "粤R·12345" and ev.pixel == (427.8, 214.3) and ev.distance_m == 18.9
    assert ev.direction_at(0.03) == pytest.approx((15.5, -4.25))
    assert s.truth.confusers[0].label == "siren"
    # 24-bit PCM round trip: the samples survive to within one LSB.
    written = s.read_audio()
    assert written.shape == (4800, 4)


@pytest.mark.parametrize("subtype", ["PCM_16", "PCM_24", "PCM_32", "FLOAT"])
def test_every_allowed_sample_format_loads(tmp_path, subtype):
    s = load_scene(_scene(tmp_path, subtype=subtype))
    assert s.frames == 4800


def test_streaming_writer_makes_rf64_readable_in_blocks(tmp_path):
    w = SceneWriter(tmp_path / "rec", sample_rate=16000, array_name="a", positions_m=POS)
    for _ in range(5):
        w.write(np.full((1000, 4), 0.25, dtype=np.float32))
    d = w.close()
    assert sf.info(str(d / "audio.wav")).format == "RF64"
    s = load_scene(d)
    with s.open_audio() as f:
        blocks = list(f.blocks(blocksize=1234, dtype="float32", always_2d=True))
    assert sum(len(b) for b in blocks) == 5000
    assert np.allclose(np.concatenate(blocks), 0.25, atol=1e-6)


def test_missing_scene_json_is_named(tmp_path):
    d = _scene(tmp_path)
    (d / "scene.json").unlink()
    with pytest.raises(SceneError, match="scene.json: missing"):
        load_scene(d)


def test_missing_audio_file_is_named(tmp_path):
    d = _scene(tmp_path)
    (d / "audio.wav").unlink()
    with pytest.raises(SceneError, match="'audio' names 'audio.wav', which does not exist"):
        load_scene(d)


def test_channel_count_mismatch(tmp_path):
    d = _scene(tmp_path)
    _edit(d, array={"name": "x", "positions_m": POS[:3].tolist()})
    with pytest.raises(SceneError, match="4 channels but 'array.positions_m' has 3 rows"):
        load_scene(d)


def test_sample_rate_mismatch_is_an_error_not_a_resample(tmp_path):
    d = _scene(tmp_path)
    _edit(d, sample_rate=44100)
    with pytest.raises(SceneError, match="48000 Hz differs from scene.json 'sample_rate' 44100 Hz"):
        load_scene(d)


def test_nan_position_is_named(tmp_path):
    d = _scene(tmp_path)
    text = (d / "scene.json").read_text()
    meta = json.loads(text)
    meta["array"]["positions_m"][2][1] = math.nan  # json.dumps writes NaN, which Python's json reads back
    (d / "scene.json").write_text(json.dumps(meta))
    with pytest.raises(SceneError, match=r"positions_m\[2\]' is not finite"):
        load_scene(d)


def test_truncated_wav_is_refused(tmp_path):
    d = _scene(tmp_path)
    wav = d / "audio.wav"
    data = wav.read_bytes()
    wav.write_bytes(data[: len(data) - 5000])
    with pytest.raises(SceneError, match="truncated"):
        load_scene(d)


@pytest.mark.parametrize("fmt", ["W64", "RF64"])
def test_w64_and_rf64_scenes_load_and_refuse_truncation(tmp_path, fmt):
    """The format allows RF64 and W64 for recordings over 4 GiB: both load, and both are refused
    when cut short (the truncation check walks their own chunk layouts)."""
    d = _scene(tmp_path)
    audio, fs = sf.read(str(d / "audio.wav"), dtype="float32", always_2d=True)
    name = f"audio.{fmt.lower()}"
    sf.write(str(d / name), audio, fs, format=fmt, subtype="PCM_24")
    meta = json.loads((d / "scene.json").read_text())
    meta["audio"] = name
    (d / "scene.json").write_text(json.dumps(meta))
    scene = load_scene(d)
    with scene.open_audio() as f:
        np.testing.assert_allclose(f.read(dtype="float32", always_2d=True), audio, atol=2**-22)
    data = (d / name).read_bytes()
    (d / name).write_bytes(data[: len(data) - 5000])
    with pytest.raises(SceneError, match="truncated"):
        load_scene(d)


def test_corrupt_audio_is_refused(tmp_path):
    d = _scene(tmp_path)
    (d / "audio.wav").write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk")
    with pytest.raises(SceneError, match="audio.wav"):
        load_scene(d)


def test_wrong_format_tag_and_bad_json(tmp_path):
    d = _scene(tmp_path)
    _edit(d, format="honkwatch-scene/0")
    with pytest.raises(SceneError, match="'format' must be 'honkwatch-scene/1'"):
        load_scene(d)
    (d / "scene.json").write_text("{not json")
    with pytest.raises(SceneError, match="not valid JSON"):
        load_scene(d)


def test_bad_truth_is_named(tmp_path):
    d = _scene(tmp_path)
    (d / "truth.json").write_text(
        json.dumps({"events": [{"t_start": 1.0, "t_end": 2.0, "azimuth_deg": "left"}]})
    )
    with pytest.raises(SceneError, match=r"events\[0\]: 'azimuth_deg' must be a finite number"):
        load_scene(d)


def test_non_rotation_camera_is_refused(tmp_path):
    d = _scene(tmp_path)
    meta = json.loads((d / "scene.json").read_text())
    meta["camera"]["rotation"] = [[2, 0, 0], [0, 1, 0], [0, 0, 1]]
    (d / "scene.json").write_text(json.dumps(meta))
    with pytest.raises(SceneError, match="not a rotation matrix"):
        load_scene(d)


def test_missing_video_file_is_named(tmp_path):
    d = _scene(tmp_path)
    _edit(d, video={"file": "video.mp4", "start_s": 0.0})
    with pytest.raises(SceneError, match="'video.file' names 'video.mp4'"):
        load_scene(d)


def test_cli_reports_a_broken_scene_in_one_line(tmp_path, capsys):
    """Through the command line a broken scene is one message and exit 2, never a traceback."""
    d = _scene(tmp_path)
    _edit(d, sample_rate=44100)
    code = edge_main(["replay", str(d), "--events-out", str(tmp_path / "e.jsonl")])
    err = capsys.readouterr().err
    assert code == 2
    assert "Traceback" not in err and "sample_rate" in err
