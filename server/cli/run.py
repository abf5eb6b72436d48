"""`honk-server run`: one ingest worker; start several to share the load."""

from __future__ import annotations

import argparse
import logging
import signal
import threading

from server.cli.common import add_config_option, config_of
from server.ingest.worker import IngestWorker


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="run an ingest worker (MQTT → verified cases, quarantine, acks)")
    add_config_option(p)
    p.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    logging.basicConfig(level=args.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    config = config_of(args)
    worker = IngestWorker(config)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    worker.start()
    logging.getLogger("honk-server").info(
        "ingest worker: broker %s:%d, database %s, media %s",
        config.mqtt.host,
        config.mqtt.port,
        config.database.url,
        config.media.root,
    )
    stop.wait()
    worker.stop()
    logging.getLogger("honk-server").info("stopped; handled %s", dict(worker.counts))
    return 0
