"""`honk-edge run --config FILE`: the enforcement node, one process, until SIGTERM.

A bad config, profile, key or a missing sound card stops it before it starts (one line, exit 2);
an unreachable camera or broker does not — the node runs degraded and its heartbeat says why.
`--scene DIR` plays a recorded scene in real time in place of the sound card and camera.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "run",
        help="run the live enforcement node from a config file",
        description="Run the honkwatch edge node: capture, analyse, build evidence, publish.",
    )
    p.add_argument("--config", required=True, type=Path, metavar="FILE", help="node config (TOML)")
    p.add_argument(
        "--scene", type=Path, metavar="DIR", help="play this scene in real time instead of the hardware"
    )
    p.add_argument("--evidence-dir", type=Path, metavar="DIR", help="also write each bundle to DIR/<id>/")
    p.add_argument("--check", action="store_true", help="validate the config and profile, then exit")
    p.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from edge.config import load_node_config
    from edge.geometry.profiles import load_profile

    logging.basicConfig(
        level=args.log_level, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    config = load_node_config(args.config)
    if args.check:
        profile = load_profile(config.device.profile)
        print(
            f"{args.config}: ok (device {config.device.id}, zone {config.device.zone}, profile {profile.name})"
        )
        return 0
    from edge.analysis.one_core import one_blas_thread
    from edge.node.assemble import assemble
    from edge.node.signals import stop_on_signals

    scene = None
    if args.scene is not None:
        from edge.scene import load_scene

        scene = load_scene(args.scene, with_truth=False)
    running = assemble(config, scene=scene, evidence_dir=args.evidence_dir)
    node = running.node
    stop_on_signals(node.request_stop)
    try:
        with one_blas_thread():
            stats = node.run()
    finally:
        running.shutdown()
    summary = {
        "blocks": stats.blocks,
        "events": stats.events,
        "evidence": stats.evidence,
        "outside_hours": stats.outside_hours,
        "not_enforceable": stats.not_enforceable,
        "config_changes": stats.config_changes,
        "analysis_s": round(stats.analysis_s, 2),
    }
    if node.sink is not None:
        summary.update(node.sink.latency_summary())
    print(json.dumps(summary))
    return 0
