"""`honk-server demo`: the whole system on this machine, for a first look."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "demo",
        help="run broker, ingest, review web and two simulated edge nodes on this machine",
        description=(
            "Start everything honkwatch needs on one machine: an embedded MQTT broker (or --broker), "
            "the ingest worker on SQLite, the review web page, and two simulated edge nodes in different "
            "zones that replay scenes through the real edge pipeline and publish signed evidence. "
            "Cases appear on the page within about 30 s. Ctrl-C stops everything."
        ),
    )
    p.add_argument("--port", type=int, default=8080, help="web port (default 8080)")
    p.add_argument(
        "--data-dir",
        type=Path,
        default=Path("honkwatch-demo"),
        help="database, media, node keys and outboxes (default ./honkwatch-demo)",
    )
    p.add_argument(
        "--broker", metavar="mqtt://HOST[:PORT]", help="use this MQTT broker instead of the embedded one"
    )
    p.add_argument(
        "--no-simulate",
        action="store_true",
        help="replay only the bundled scenes; don't keep simulating new ones",
    )
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from server.demo.orchestrate import DemoOptions, run_demo

    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    return run_demo(
        DemoOptions(
            port=args.port, data_dir=args.data_dir, broker_url=args.broker, simulate_more=not args.no_simulate
        )
    )
