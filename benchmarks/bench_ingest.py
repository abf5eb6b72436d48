"""Ingest load figure: bundles per second by one and by two workers sharing the subscription.

Runs against the real Mosquitto (default 127.0.0.1:1883) and, for each database (SQLite
file, PostgreSQL schema), starts 1 then 2 ingest worker processes (`IngestWorker`, as
`honk-server run` does), publishes N distinct signed bundles as fast as the broker takes
them, and times from the first publish to the last ack. Every stored bundle is a verified
signature, six file hashes, six fsynced media files and one database commit.

    python benchmarks/bench_ingest.py                  # 200 bundles of ~0.25 MB, both databases
    python benchmarks/bench_ingest.py --count 500 --scale 1.0 --databases sqlite

N stays under Mosquitto's default max_queued_messages (1000) so the broker drops nothing.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import queue
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from sqlalchemy import func, select, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from server.config import ServerConfig
from server.ingest.topics import device_topic
from server.ingest.worker import IngestWorker
from server.sample_bundles import new_device_key, public_key_b64, sample_bundle
from server.storage.db import init_db, make_engine, session_factory
from server.storage.devices import add_device
from server.storage.models import Case

PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
DEVICE = "bench-01"


def _worker_main(config: ServerConfig, ready: mp.Event, stop: mp.Event, counts: mp.Queue) -> None:
    worker = IngestWorker(config)
    worker.start()
    if worker.ready.wait(20):
        ready.set()
    stop.wait()
    worker.stop()
    counts.put(dict(worker.counts))


def _config(database: str, workdir: Path, host: str, port: int) -> ServerConfig:
    tag = uuid.uuid4().hex[:10]
    config = ServerConfig()
    config.media.root = workdir / f"media-{tag}"
    config.mqtt.host, config.mqtt.port = host, port
    config.mqtt.topic_root = f"bench-{tag}/honkwatch/v1"
    config.mqtt.share_group = f"bench{tag}"
    if database == "sqlite":
        config.database.url = f"sqlite:///{workdir / f'bench-{tag}.db'}"
    else:
        config.database.url = PG_URL
        config.database.pg_schema = f"hwbench_{tag}"
    return config


def run_once(
    database: str, workers: int, payloads: list[bytes], key_b64: str, workdir: Path, host: str, port: int
) -> tuple[float, list[dict]]:
    """Seconds from the first publish to the last ack, and each worker's outcome counts."""
    config = _config(database, workdir, host, port)
    engine = make_engine(config.database.url, schema=config.database.pg_schema)
    init_db(engine)
    with session_factory(engine)() as s:
        add_device(s, DEVICE, key_b64)
        s.commit()

    ctx = mp.get_context("spawn")
    stop, counts = ctx.Event(), ctx.Queue()
    readies = [ctx.Event() for _ in range(workers)]
    procs = [ctx.Process(target=_worker_main, args=(config, r, stop, counts)) for r in readies]
    for p in procs:
        p.start()
    acks: queue.Queue[bytes] = queue.Queue()
    subscribed = threading.Event()
    client = mqtt.Client(
        CallbackAPIVersion.VERSION2,
        client_id=f"bench-{uuid.uuid4().hex[:8]}",
        protocol=MQTTProtocolVersion.MQTTv5,
    )
    client.max_inflight_messages_set(50)
    client.on_message = lambda _c, _u, m: acks.put(m.payload)
    client.on_subscribe = lambda *_: subscribed.set()
    client.connect(host, port)
    client.loop_start()
    try:
        client.subscribe(device_topic(DEVICE, "ack", config.mqtt.topic_root), qos=1)
        if not subscribed.wait(10) or not all(r.wait(60) for r in readies):
            raise RuntimeError("workers or the ack subscription did not come up")
        topic = device_topic(DEVICE, "evidence", config.mqtt.topic_root)
        start = time.perf_counter()
        for payload in payloads:
            client.publish(topic, payload, qos=1)
        for _ in payloads:
            acks.get(timeout=120)
        elapsed = time.perf_counter() - start
    finally:
        client.loop_stop()
        client.disconnect()
        stop.set()
        results = [counts.get(timeout=30) for _ in procs]
        for p in procs:
            p.join(30)
    with session_factory(engine)() as s:
        stored = s.scalar(select(func.count()).select_from(Case))
    if stored != len(payloads):
        raise RuntimeError(f"{stored} cases stored for {len(payloads)} bundles")
    if config.database.pg_schema:
        with engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{config.database.pg_schema}" CASCADE'))
    engine.dispose()
    return elapsed, results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200, help="bundles per run (default 200)")
    parser.add_argument(
        "--scale",
        type=float,
        default=0.5,
        help="media size relative to a typical ~0.5 MB bundle (default 0.5)",
    )
    parser.add_argument(
        "--databases", nargs="+", default=["sqlite", "postgresql"], choices=["sqlite", "postgresql"]
    )
    parser.add_argument("--workers", nargs="+", type=int, default=[1, 2])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=1883)
    args = parser.parse_args()

    key = new_device_key()
    payloads = [sample_bundle(key, DEVICE, scale=args.scale)[1] for _ in range(args.count)]
    mean_kb = sum(map(len, payloads)) / len(payloads) / 1024
    print(f"{args.count} bundles of {mean_kb:.0f} KiB on the wire; broker {args.host}:{args.port}")
    print(f"{'database':<11} {'workers':>7} {'seconds':>8} {'bundles/s':>10} {'MiB/s':>7}  split")
    with tempfile.TemporaryDirectory(prefix="honk-bench-") as tmp:
        for database in args.databases:
            for workers in args.workers:
                elapsed, counts = run_once(
                    database, workers, payloads, public_key_b64(key), Path(tmp), args.host, args.port
                )
                rate = args.count / elapsed
                mib = rate * mean_kb / 1024
                split = "/".join(str(c.get("stored", 0)) for c in counts)
                print(f"{database:<11} {workers:>7} {elapsed:>8.2f} {rate:>10.1f} {mib:>7.1f}  {split}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
