"""`honk-edge replay` end to end on a written scene: the events file, the scores, the refusals."""

import json

import numpy as np
import pytest
from analysis_support import harmonic_tone, render_paths

from edge.analysis.grid import FocusModel
from edge.cli import main
from edge.geometry.camera import direction_to_unit
from edge.geometry.profiles import Mount, load_profile
from edge.scene import Truth, TruthEvent, write_scene

FS = 48000
REQUIRED = {
    "t_start",
    "t_end",
    "azimuth_deg",
    "elevation_deg",
    "confidence",
    "spl_db",
    "pixel",
    "detected_after_s",
}


@pytest.fixture(scope="module")
def scene_dir(tmp_path_factory):
    prof = load_profile("pole-spiral32")
    rng = np.random.default_rng(31)
    horn = direction_to_unit(-9.0, -7.0) * 18.0  # a horn 18 m out, heard directly and off the road
    road = FocusModel(Mount(height_m=5.5, tilt_deg=10.0), None).ground_image(0.9)
    x = render_paths(
        prof.array.positions_m,
        FS,
        1.6,
        2 * harmonic_tone(440, 0.7, FS, rng),
        0.4,
        [(horn, 1.0), (road.mirror(horn), 0.9)],
        noise_rms=3e-3,
    )
    d = tmp_path_factory.mktemp("replay") / "scene"
    truth = Truth(events=[TruthEvent(0.4, 1.1, -9.0, -7.0, distance_m=18.0)])
    write_scene(
        d,
        x,
        sample_rate=FS,
        array_name=prof.array.name,
        positions_m=prof.array.positions_m,
        camera=prof.camera,
        truth=truth,
        full_scale_pa=63.2,
        subtype="FLOAT",
        extra={"mount": {"height_m": 5.5, "tilt_deg": 10.0, "yaw_deg": 0.0}},
    )
    return d


def test_replay_writes_scene_format_events_and_scores(scene_dir, tmp_path, capsys):
    out = tmp_path / "events.jsonl"
    assert main(["replay", str(scene_dir), "--events-out", str(out), "--block-size", "1000"]) == 0
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(lines) == 1
    e = lines[0]
    assert set(e) >= REQUIRED
    assert 0 <= e["confidence"] <= 1 and e["spl_db"] > 60 and len(e["pixel"]) == 2
    assert abs(e["azimuth_deg"] + 9.0) < 0.5 and abs(e["elevation_deg"] + 7.0) < 0.5
    printed = capsys.readouterr().out
    assert "recall     1.000" in printed and "precision  1.000" in printed


def test_replay_set_overrides_reach_the_analysis(scene_dir, tmp_path):
    out = tmp_path / "events.jsonl"
    # A threshold no hop can reach: nothing is reported.
    assert (
        main(
            [
                "replay",
                str(scene_dir),
                "--events-out",
                str(out),
                "--set",
                "detector.threshold=0.99",
                "--set",
                "detector.min_harmonics=8",
                "--set",
                "detector.prominence_db=60",
            ]
        )
        == 0
    )
    assert out.read_text() == ""


@pytest.mark.parametrize(
    "argv,message",
    [
        (["--set", "detector.treshold=0.5"], "detector.treshold"),
        (["--set", "localizer.method=music"], "localizer.method"),
        (["--set", "novalue"], "key=value"),
        (["--block-size", "0"], "--block-size"),
    ],
)
def test_replay_refuses_bad_options(scene_dir, tmp_path, capsys, argv, message):
    assert main(["replay", str(scene_dir), "--events-out", str(tmp_path / "e.jsonl"), *argv]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "e.jsonl").exists()


def test_replay_refuses_a_broken_scene(tmp_path, capsys):
    assert main(["replay", str(tmp_path / "missing")]) == 2
    assert "not a scene directory" in capsys.readouterr().err
    assert main(["replay", str(tmp_path), "--events-out", str(tmp_path / "nowhere" / "e.jsonl")]) == 2


def test_replay_tracks_out_gives_each_tracks_fate_and_explains_a_missed_horn(scene_dir, tmp_path, capsys):
    tracks = tmp_path / "tracks.jsonl"
    assert main(["replay", str(scene_dir), "--tracks-out", str(tracks), "--no-progress"]) == 0
    fates = [json.loads(line) for line in tracks.read_text().splitlines()]
    events = [f for f in fates if f["fate"] == "event"]
    assert len(events) == 1 and abs(events[0]["azimuth_deg"] + 9.0) < 0.5
    assert events[0]["hops"] >= 10 and abs(events[0]["f0_hz"] - 440.0) < 10.0
    assert "not reported" not in capsys.readouterr().out  # the horn was reported: nothing to explain

    # The same horn, never confirmed (it would need more hops than it lasts): the printout names
    # the horn and the track that followed it without becoming an event, and why.
    argv = ["replay", str(scene_dir), "--tracks-out", str(tracks), "--set", "tracker.confirm_hops=50"]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "recall     0.000" in printed
    assert "not reported: horn 0.40-1.10 s at az -9.0° el -7.0°" in printed
    explained = [x for x in printed.splitlines() if x.startswith("  track ")]
    assert explained and all(x.endswith(": undecided") for x in explained)
    fates = [json.loads(line) for line in tracks.read_text().splitlines()]
    assert fates and all(f["fate"] == "undecided" for f in fates)
    assert max(f["hops"] for f in fates if abs(f["azimuth_deg"] + 9.0) < 1.0) >= 10


@pytest.mark.parametrize(
    "extra,message",
    [
        (["--evidence-dir", "EV"], "--tracks-out is for analysis"),
        (["--sweep", "detector.threshold=0.6,0.7"], "one scene and one setting"),
    ],
)
def test_replay_tracks_out_refuses_what_it_cannot_write(scene_dir, tmp_path, capsys, extra, message):
    tracks = tmp_path / "tracks.jsonl"
    extra = [str(tmp_path / x) if x == "EV" else x for x in extra]
    assert main(["replay", str(scene_dir), "--tracks-out", str(tracks), "--no-progress", *extra]) == 2
    assert message in capsys.readouterr().err
    assert not tracks.exists() and not (tmp_path / "EV").exists()
    assert main(["replay", str(scene_dir), "--tracks-out", str(tmp_path / "nowhere" / "t.jsonl")]) == 2
    assert "--tracks-out: folder" in capsys.readouterr().err
