"""`honk-edge replay SCENE_DIR --events-out EVENTS.jsonl`: run the live pipeline on a recorded scene.

The scene's audio goes through `SceneSource` in blocks of `--block-size` frames into the same
`Analyzer` the live node runs; events are written as the scene format's JSON Lines. With a
`truth.json` beside the audio the scores are printed too.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from edge.errors import UserFacingError
from edge.report import cli as report_cli


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "replay",
        help="run the analysis pipeline on a scene directory and write its horn events",
        description="Replay a honkwatch-scene/1 directory through the live analysis pipeline.",
    )
    p.add_argument(
        "scene",
        metavar="SCENE_DIR",
        nargs="+",
        help="scene directory (scene.json + audio); several for a sweep",
    )
    p.add_argument("--events-out", metavar="EVENTS.jsonl", help="write one JSON line per horn event here")
    p.add_argument(
        "--tracks-out",
        metavar="TRACKS.jsonl",
        help="write one JSON line per track the pipeline followed: an event, or the rule that dropped it",
    )
    p.add_argument("--block-size", type=int, default=2400, help="frames per audio block (default 2400)")
    p.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override an analysis setting, e.g. --set localizer.method=das --set detector.threshold=0.6",
    )
    _add_evidence_arguments(p)
    report_cli.add_arguments(p)
    p.set_defaults(func=_run)


def _add_evidence_arguments(p: argparse.ArgumentParser) -> None:
    """Evidence options (issue 5); all off by default: a plain replay touches no key, outbox or broker."""
    g = p.add_argument_group("evidence")
    g.add_argument(
        "--evidence-dir",
        type=Path,
        metavar="DIR",
        help="write each signed bundle it would publish to DIR/<id>/",
    )
    g.add_argument(
        "--publish", action="store_true", help="put each bundle in the outbox and send it to the MQTT broker"
    )
    g.add_argument(
        "--realtime",
        action="store_true",
        help="feed the audio at its own pace, as a live node gets it (latency)",
    )
    g.add_argument(
        "--broker", default="127.0.0.1:1883", metavar="HOST[:PORT]", help="MQTT broker for --publish"
    )
    g.add_argument(
        "--mqtt-protocol",
        choices=["5", "3.1.1"],
        default="5",
        help="MQTT protocol for --publish (3.1.1 for brokers such as the demo's amqtt)",
    )
    g.add_argument(
        "--outbox", type=Path, metavar="FILE", help="outbox database for --publish (default: state dir)"
    )
    g.add_argument(
        "--ack-wait", type=float, default=10.0, metavar="S", help="with --publish, wait up to S s for acks"
    )
    g.add_argument(
        "--key-file",
        type=Path,
        metavar="FILE",
        help="signing key (default: $HONKWATCH_KEY_FILE or state dir)",
    )
    g.add_argument("--device", help="device id in the manifests (default: the scene's, else 'replay')")
    g.add_argument("--zone", help="zone in the manifests (default: the scene's, else 'unknown')")
    g.add_argument(
        "--plate-from-truth",
        action="store_true",
        help="demo only: plate.text from truth.json (source 'simulator')",
    )


def _run(args: argparse.Namespace) -> int:
    from edge.analysis.one_core import one_blas_thread

    with one_blas_thread():
        return _replay(args)


def _replay(args: argparse.Namespace) -> int:
    from edge.analysis.config import build_config
    from edge.scene import load_scene
    from edge.scoring import score_events

    if report_cli.wants_report_path(args):
        return report_cli.run(args)
    if args.block_size <= 0:
        raise UserFacingError(f"--block-size must be a positive number of frames, got {args.block_size}")
    config = build_config(None, args.overrides)
    scene = load_scene(args.scene[0])
    out_path = report_cli.output_path(args.events_out, "--events-out")
    tracks_path = report_cli.output_path(args.tracks_out, "--tracks-out")
    if args.evidence_dir is None and not args.publish:
        if args.realtime:
            raise UserFacingError(
                "--realtime paces the evidence path: use it with --evidence-dir or --publish"
            )
        run = report_cli.replay_with_progress(scene, config, args.block_size, not args.no_progress)
        report_cli.print_single(run, out_path, tracks_path)
        sys.stdout.flush()
        return 0
    if tracks_path is not None:
        raise UserFacingError("--tracks-out is for analysis: run it without --evidence-dir/--publish")
    from edge.evidence.replay_sink import open_replay_evidence

    evidence = open_replay_evidence(args, scene, config)
    events = evidence.replay(scene, config, args.block_size, args.realtime)
    lines = [e.to_json() for e in events]
    report_cli.print_events(scene, lines, out_path)
    if scene.truth is not None:
        for text in score_events(lines, scene.truth).lines():
            print(text)
    summary = evidence.finish()
    print("evidence: " + json.dumps(summary, ensure_ascii=False))
    sys.stdout.flush()
    return 0
