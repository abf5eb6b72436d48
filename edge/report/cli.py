"""`honk-edge replay` with `--report`, several scenes or `--sweep`: traced runs, table, HTML.

`edge/cli/replay.py` hands over here when any of those is asked for; a plain single replay stays
on its own path and borrows only `replay_with_progress` (the bar). All input is checked (scenes loaded, every setting validated, the report
folder writable) before the first scene is replayed, so a typo in the fifth setting does not
cost the first four runs.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from edge.errors import UserFacingError

if TYPE_CHECKING:  # heavy imports stay inside the commands (see edge/cli/__init__.py)
    from edge.analysis.config import AnalysisConfig
    from edge.report.sweep import SettingSummary
    from edge.report.trace import ReplayRun
    from edge.scene import Scene

SWEEP_HELP = (
    "vary one setting over several values: KEY=V1,V2,… (repeatable; every combination runs, "
    "after the --set overrides), e.g. --sweep detector.threshold=0.5,0.6,0.7 --sweep localizer.method=phat,clean-sc"
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group(
        "reports and sweeps",
        "With several SCENE_DIRs or a --sweep, every scene runs under every setting and one comparison "
        "table (recall, precision, median/p90 angular error, attribution, latency) is printed, per scene "
        "and pooled per setting.",
    )
    g.add_argument(
        "--report",
        type=Path,
        metavar="DIR",
        help="write a self-contained HTML report to DIR/index.html (a sweep: the table there, one page per run)",
    )
    g.add_argument("--sweep", action="append", default=[], metavar="KEY=V1,V2,…", help=SWEEP_HELP)
    g.add_argument(
        "--no-progress", action="store_true", help="no progress bar (it is drawn only on a terminal anyway)"
    )


def wants_report_path(args: argparse.Namespace) -> bool:
    return bool(args.report is not None or args.sweep or len(args.scene) > 1)


def _slug(text: str) -> str:
    return re.sub(r"[^0-9A-Za-z._-]+", "-", text).strip("-") or "scene"


def _file_names(directories: list[Path]) -> dict[Path, str]:
    """A file-name stem per scene: its folder's name, numbered when two scenes share one."""
    out: dict[Path, str] = {}
    for d in directories:
        if d not in out:
            stem = _slug(d.name)
            taken = set(out.values())
            n = 2
            while stem in taken:
                stem = f"{_slug(d.name)}-{n}"
                n += 1
            out[d] = stem
    return out


def _write(path: Path, text: str) -> None:
    """Write through a temporary name, so an interrupted run never leaves half a page."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def _check(args: argparse.Namespace) -> None:
    if args.block_size <= 0:
        raise UserFacingError(f"--block-size must be a positive number of frames, got {args.block_size}")
    if args.evidence_dir is not None or args.publish or args.realtime:
        raise UserFacingError(
            "--report, --sweep and several scenes replay for analysis only: run --evidence-dir/--publish separately"
        )
    if args.report is not None:
        if args.report.exists() and not args.report.is_dir():
            raise UserFacingError(f"--report: {args.report} exists and is not a folder")
        if not args.report.parent.exists():
            raise UserFacingError(f"--report: folder {args.report.parent} does not exist")


def run(args: argparse.Namespace) -> int:
    from edge.analysis.config import build_config
    from edge.report.progress import Progress
    from edge.report.sweep import comparison_table, expand_settings, setting_label, summarize
    from edge.report.trace import run_traced
    from edge.scene import load_scene

    _check(args)
    settings = expand_settings(args.overrides, args.sweep)
    configs = [(setting_label(s), build_config(None, s)) for s in settings]
    scenes = [load_scene(s) for s in args.scene]
    n_runs = len(scenes) * len(configs)
    out_path = output_path(args.events_out, "--events-out")
    tracks_path = output_path(args.tracks_out, "--tracks-out")
    for path, option in ((out_path, "--events-out"), (tracks_path, "--tracks-out")):
        if path is not None and n_runs > 1:
            raise UserFacingError(
                f"{option} takes one scene and one setting; a sweep writes DIR/*.events.jsonl with --report"
            )
    runs = []
    total = sum(s.duration_s for s in scenes) * len(configs)
    with Progress(total, enabled=False if args.no_progress else None) as bar:
        for i, (label, config) in enumerate(configs):
            for scene in scenes:
                bar.set_label(f"{scene.directory.name} S{i + 1} ({len(runs) + 1}/{n_runs})")
                runs.append(run_traced(scene, config, label, args.block_size, bar.advance))
    summaries = summarize(runs, [label for label, _ in configs])
    if n_runs == 1:
        print_single(runs[0], out_path, tracks_path)
    else:
        print(comparison_table(summaries))
    if args.report is not None:
        index = _write_report(args.report, runs, summaries)
        print(f"report: {index}")
    sys.stdout.flush()
    return 0


def output_path(value: str | None, option: str) -> Path | None:
    """The path of an output file option, refused up front when its folder does not exist."""
    if not value:
        return None
    path = Path(value)
    if path.parent and not path.parent.exists():
        raise UserFacingError(f"{option}: folder {path.parent} does not exist")
    return path


def print_single(run: ReplayRun, out_path: Path | None, tracks_path: Path | None) -> None:
    """What a plain replay prints (and writes), so --report only adds to it. With a truth, each
    horn no event points at is followed by the tracks near it and their fates."""
    from edge.report.misses import explain_misses

    lines = run.lines
    print_events(run.scene, lines, out_path)
    if tracks_path is not None:
        _write(tracks_path, _jsonl([f.to_json() for f in run.fates]))
        print(f"{len(run.fates)} track(s) and their fates → {tracks_path}")
    if run.scores is not None and run.scene.truth is not None:
        for text in run.scores.lines():
            print(text)
        for text in explain_misses(lines, run.fates, run.scene.truth):
            print(text)


def print_events(scene: Scene, lines: list[dict], out_path: Path | None) -> None:
    """The events of a replay: written to `out_path` (then only counted here), else printed."""
    if out_path is not None:
        _write(out_path, _jsonl(lines))
    print(f"{scene.directory}: {len(lines)} horn event(s)" + (f" → {out_path}" if out_path else ""))
    if out_path is None:
        for line in lines:
            print(json.dumps(line, ensure_ascii=False))


def _jsonl(rows: list[dict]) -> str:
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)


def _write_report(folder: Path, runs: list[ReplayRun], summaries: list[SettingSummary]) -> Path:
    """index.html (the run itself when there is one, else the comparison), one page and events file per run."""
    from edge.evidence.scene_media import SceneMedia
    from edge.geometry.camera import Camera
    from edge.report.figures import event_figures
    from edge.report.html import index_page, run_page
    from edge.report.sweep import comparison_csv

    folder.mkdir(exist_ok=True)
    single = len(runs) == 1
    names = _file_names([r.scene.directory for r in runs])
    links: dict[int, str] = {}
    for s in summaries:
        for r in s.runs:
            stem = "index" if single else f"{names[r.scene.directory]}.{s.key}"
            media = SceneMedia(r.scene)
            try:
                camera = Camera(r.scene.camera) if r.scene.camera is not None else None
                truths = [e for e in r.scene.truth.events if e.label == "horn"] if r.scene.truth else []
                figures = [event_figures(e, media, camera, r.scene.positions_m, truths) for e in r.events]
            finally:
                media.close()
            _write(folder / f"{stem}.html", run_page(r, figures, None if single else "index.html"))
            _write(folder / f"{stem}.events.jsonl", _jsonl(r.lines))
            links[id(r)] = f"{stem}.html"
    if not single:
        _write(folder / "index.html", index_page(summaries, links))
    _write(folder / "scores.csv", comparison_csv(summaries))
    return folder / "index.html"


def replay_with_progress(scene: Scene, config: AnalysisConfig, block_size: int, show: bool) -> ReplayRun:
    """The plain single replay (its events and its tracks' fates), with the progress bar on a
    terminal (same analyzer, same events)."""
    from edge.report.progress import Progress
    from edge.report.trace import run_traced

    with Progress(scene.duration_s, scene.directory.name, enabled=None if show else False) as bar:
        return run_traced(scene, config, block_size=block_size, on_block=bar.advance)
