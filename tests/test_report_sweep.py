"""Sweeps: settings expanded from --set/--sweep, scores pooled over scenes, one table per sweep."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest

from edge.analysis.config import build_config
from edge.analysis.replay import replay_scene
from edge.cli import main
from edge.errors import UserFacingError
from edge.report.sweep import expand_settings, split_values
from edge.scene import Truth, TruthEvent, load_scene
from edge.scoring import pool_scores, score_events

ROOT = Path(__file__).resolve().parents[1]
ONE_HORN = ROOT / "recordings" / "uma16-one-horn"
CONFUSERS = ROOT / "recordings" / "uma16-confusers"


def test_sweep_values_split_at_top_level_commas_only():
    assert split_values("0.5,0.6, 0.7") == ["0.5", "0.6", "0.7"]
    assert split_values("[20,200],[30,300]") == ["[20,200]", "[30,300]"]


def test_every_combination_runs_after_the_fixed_overrides():
    settings = expand_settings(
        ["tracker.confirm_hops=3"], ["detector.threshold=0.5,0.7", "localizer.method=phat,clean-sc"]
    )
    assert len(settings) == 4
    assert settings[0] == ["tracker.confirm_hops=3", "detector.threshold=0.5", "localizer.method=phat"]
    assert settings[3] == ["tracker.confirm_hops=3", "detector.threshold=0.7", "localizer.method=clean-sc"]
    assert expand_settings([], []) == [[]]  # no sweep: one setting, the defaults


@pytest.mark.parametrize(
    "bad", ["detector.threshold", "=0.5,0.6", "detector.threshold=", "detector.threshold=0.5,"]
)
def test_malformed_sweeps_are_refused_by_name(bad):
    with pytest.raises(UserFacingError, match="--sweep expects KEY=V1,V2"):
        expand_settings([], [bad])


def _line(t0: float, t1: float, az: float, latency: float = 0.1) -> dict:
    return {"t_start": t0, "t_end": t1, "azimuth_deg": az, "elevation_deg": 0.0, "detected_after_s": latency}


def test_pooled_scores_count_every_horn_and_report_together():
    a = score_events(
        [_line(1.0, 1.5, 1.0), _line(5.0, 5.2, 0.0)],  # one hit 1° off, one false alarm
        Truth(events=[TruthEvent(1.0, 1.5, 0.0, 0.0)]),
    )
    b = score_events(
        [_line(2.0, 2.5, 3.0, 0.3)],  # one hit 3° off; the second horn is missed
        Truth(events=[TruthEvent(2.0, 2.5, 0.0, 0.0), TruthEvent(4.0, 4.5, 0.0, 0.0)]),
    )
    pooled = pool_scores([a, b])
    assert pooled is not None
    assert (pooled.truth_events, pooled.estimated_events, pooled.found, pooled.true_positives) == (3, 3, 2, 2)
    assert pooled.recall == pytest.approx(2 / 3) and pooled.precision == pytest.approx(2 / 3)
    assert pooled.median_error_deg == pytest.approx(2.0, abs=1e-6)  # median of 1° and 3°
    assert pooled.median_latency_s == pytest.approx(0.2)
    assert pool_scores([]) is None


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    out = tmp_path_factory.mktemp("sweep") / "report"
    argv = [
        "replay",
        str(ONE_HORN),
        str(CONFUSERS),
        "--sweep",
        "detector.threshold=0.5,0.7",
        "--report",
        str(out),
    ]
    return out, argv


def test_sweep_prints_one_table_and_writes_a_page_per_run(sweep, capsys):
    out, argv = sweep
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "S1 = detector.threshold=0.5" in printed and "S2 = detector.threshold=0.7" in printed
    pooled = [row.split() for row in printed.splitlines() if "ALL (2 scenes)" in row]
    assert [r[0] for r in pooled] == ["S1", "S2"]
    assert all(r[4] == "1" for r in pooled)  # the one real horn is in both totals
    assert (out / "index.html").is_file()
    for stem in ("uma16-one-horn.S1", "uma16-one-horn.S2", "uma16-confusers.S1", "uma16-confusers.S2"):
        assert (out / f"{stem}.html").is_file() and (out / f"{stem}.events.jsonl").is_file()
    rows = list(csv.DictReader((out / "scores.csv").open(encoding="utf-8")))
    assert len(rows) == 6  # 2 settings × (2 scenes + pooled)
    all_s1 = next(r for r in rows if r["setting_key"] == "S1" and r["scene"] == "ALL")
    written = sum(
        len((out / f"{scene}.S1.events.jsonl").read_text(encoding="utf-8").splitlines())
        for scene in ("uma16-one-horn", "uma16-confusers")
    )
    assert all_s1["horns"] == "1" and all_s1["events"] == str(written)


def test_sweep_events_are_those_of_the_plain_replay(sweep):
    """The report's traced replay must not change what the pipeline reports."""
    out, argv = sweep
    if not (out / "index.html").exists():
        assert main(argv) == 0
    for key, threshold in (("S1", 0.5), ("S2", 0.7)):
        config = build_config(None, [f"detector.threshold={threshold}"])
        for scene_dir in (ONE_HORN, CONFUSERS):
            expected = [e.to_json() for e in replay_scene(load_scene(scene_dir), config)]
            written = (out / f"{scene_dir.name}.{key}.events.jsonl").read_text(encoding="utf-8").splitlines()
            assert [json.loads(x) for x in written] == expected


@pytest.mark.parametrize(
    "extra,message",
    [
        (["--sweep", "detector.threshold"], "--sweep expects"),
        (["--sweep", "detector.treshold=0.5,0.6"], "detector.treshold"),
        (["--events-out", "EVENTS"], "--events-out takes one scene"),
        (["--evidence-dir", "EVIDENCE"], "run --evidence-dir/--publish separately"),
    ],
)
def test_sweep_refuses_bad_input_before_any_work(tmp_path, capsys, extra, message):
    extra = [str(tmp_path / x) if x.isupper() else x for x in extra]
    report = tmp_path / "report"
    assert main(["replay", str(ONE_HORN), str(CONFUSERS), "--report", str(report), *extra]) == 2
    assert message in capsys.readouterr().err
    assert not report.exists() and list(tmp_path.iterdir()) == []


def test_report_refuses_a_file_in_place_of_its_folder(tmp_path, capsys):
    target = tmp_path / "report"
    target.write_text("keep me", encoding="utf-8")
    assert main(["replay", str(ONE_HORN), "--report", str(target)]) == 2
    assert "is not a folder" in capsys.readouterr().err
    assert target.read_text(encoding="utf-8") == "keep me"


def test_scenes_sharing_a_folder_name_get_their_own_pages():
    from edge.report.cli import _file_names

    names = _file_names(
        [Path("site-a/scene"), Path("site-b/scene"), Path("site-a/scene"), Path("c/rush hour")]
    )
    assert names == {
        Path("site-a/scene"): "scene",
        Path("site-b/scene"): "scene-2",
        Path("c/rush hour"): "rush-hour",
    }


def test_scenes_without_truth_are_replayed_but_not_scored(tmp_path, capsys):
    unscored = tmp_path / "field"
    unscored.mkdir()
    for name in ("scene.json", "audio.wav", "video.mp4"):  # everything but truth.json
        shutil.copyfile(ONE_HORN / name, unscored / name)
    assert main(["replay", str(unscored), str(ONE_HORN), "--no-progress"]) == 0
    rows = {r.split()[1]: r.split() for r in capsys.readouterr().out.splitlines() if r.startswith("S1 ")}
    assert rows["field"][2] == "n/a" and rows["field"][4] == "n/a"  # reports counted, nothing scored
    assert rows["ALL"][2:6] == ["(1", "of", "2", "scenes"]
    assert rows["ALL"][7] == rows["uma16-one-horn"][2] == "1"  # pooled horns: the scored scene's only
