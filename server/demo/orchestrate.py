"""`honk-server demo`: broker, ingest, review web and simulated nodes in one command.

Everything runs from one data directory (SQLite database, media store, node keys and outboxes),
so a newcomer can delete it to start over. Ctrl-C stops nodes first, then ingest, web and broker.
"""

from __future__ import annotations

import logging
import secrets
import signal
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from server.config import DatabaseConfig, MediaConfig, MqttConfig, ServerConfig, WebConfig
from server.demo.broker import EmbeddedBroker
from server.demo.nodes import DemoNode, NodeRunner
from server.errors import UserFacingError

log = logging.getLogger("honk-server.demo")

DEMO_USERS = (
    ("reviewer", "reviewer", "honkwatch-demo"),
    ("supervisor", "supervisor", "honkwatch-demo"),
    ("admin", "admin", "honkwatch-demo"),
)
DEMO_NODES = (("pole-01", "Z01"), ("pole-21", None))  # the second node goes to another district's zone


@dataclass(frozen=True)
class DemoOptions:
    port: int
    data_dir: Path
    broker_url: str | None = None
    simulate_more: bool = True


def run_demo(options: DemoOptions, stop: threading.Event | None = None) -> int:
    """Run until `stop` is set or SIGINT/SIGTERM arrives; returns the exit code."""
    stop = stop or threading.Event()
    data = options.data_dir.resolve()
    data.mkdir(parents=True, exist_ok=True)

    broker: EmbeddedBroker | None = None
    if options.broker_url:
        host, port = _parse_broker(options.broker_url)
        protocol = "5"
    else:
        broker = EmbeddedBroker()
        broker.start()
        host, port, protocol = broker.host, broker.port, "3.1.1"

    config = ServerConfig(
        database=DatabaseConfig(url=f"sqlite:///{data / 'honkwatch.db'}"),
        media=MediaConfig(root=data / "media"),
        mqtt=MqttConfig(host=host, port=port, protocol=protocol, shared=broker is None),
        web=WebConfig(host="127.0.0.1", port=options.port, secret_key_file=_secret(data)),
    )
    nodes = _prepare_database(config, data)

    from server.ingest.worker import IngestWorker

    worker = IngestWorker(config)
    worker.start()
    web = _WebThread(config)
    web.start()

    runners = [
        NodeRunner(
            node,
            (host, port),
            protocol,
            _bundled_scenes(),
            seed=i + 1,
            stop=stop,
            simulate_more=options.simulate_more,
        )
        for i, node in enumerate(nodes)
    ]
    for r in runners:
        r.start()

    url = f"http://127.0.0.1:{options.port}/"
    print(
        f"\nhonkwatch demo is running.\n"
        f"  review page:  {url}\n"
        f"  login:        {DEMO_USERS[0][0]} / {DEMO_USERS[0][2]}   "
        f"(also {DEMO_USERS[1][0]} and {DEMO_USERS[2][0]}, same password)\n"
        f"  broker:       mqtt://{host}:{port} ({'embedded amqtt' if broker else 'external'})\n"
        f"  nodes:        " + ", ".join(f"{n.device} in {n.zone}" for n in nodes) + "\n"
        f"  data:         {data}\n"
        f"Cases appear within about 30 s. Press Ctrl-C to stop.\n",
        flush=True,
    )
    _install_signal_handlers(stop)
    try:
        while not stop.wait(0.5):
            if not web.alive():
                raise UserFacingError(f"the web server stopped (is port {options.port} already in use?)")
    finally:
        print("stopping …", flush=True)
        stop.set()
        for r in runners:
            r.join(10)
        worker.stop()
        web.stop()
        if broker is not None:
            broker.stop()
        print("stopped.", flush=True)
    return 0


def _prepare_database(config: ServerConfig, data: Path) -> list[DemoNode]:
    """Tables, the example zones, demo users and the nodes' keys, each created once."""
    from sqlalchemy import select

    from edge.evidence.keys import load_or_create_key, public_key_b64
    from server.storage.db import init_db, make_engine, session_factory
    from server.storage.devices import add_device
    from server.storage.models import Device, User, Zone
    from server.storage.users import create_user
    from server.zones.loader import EXAMPLE_ZONES, load_zone_file, store_zones

    engine = make_engine(config.database.url)
    init_db(engine)
    sessions = session_factory(engine)
    nodes: list[DemoNode] = []
    with sessions() as s:
        zone_file = load_zone_file(EXAMPLE_ZONES)
        store_zones(s, zone_file, actor="demo")
        for name, role, password in DEMO_USERS:
            if s.scalar(select(User).where(User.name == name)) is None:
                create_user(s, name, role, password, language="zh")
        zones = {z.id: z for z in s.scalars(select(Zone))}
        first_district = zones["Z01"].district
        other = next(z for z in sorted(zones) if zones[z].district != first_district)
        for device_id, zone_id in DEMO_NODES:
            zone_id = zone_id or other
            node = DemoNode(device_id, zone_id, data / "nodes" / device_id)
            node.home.mkdir(parents=True, exist_ok=True)
            key = load_or_create_key(node.key_file)
            if s.get(Device, device_id) is None:
                add_device(s, device_id, public_key_b64(key.public_key()), zone_id, description="demo node")
            nodes.append(node)
        s.commit()
    engine.dispose()
    return nodes


def _bundled_scenes() -> list[Path]:
    from edge.paths import recordings_dir

    return sorted(
        p for p in recordings_dir().iterdir() if (p / "scene.json").is_file() and (p / "truth.json").is_file()
    )


def _secret(data: Path) -> Path:
    path = data / "web-secret"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48), encoding="utf-8")
        path.chmod(0o600)
    return path


def _parse_broker(url: str) -> tuple[str, int]:
    text = url.removeprefix("mqtt://")
    host, _, port = text.partition(":")
    try:
        return host or "127.0.0.1", int(port or 1883)
    except ValueError:
        raise UserFacingError(f"--broker {url!r}: expected mqtt://HOST[:PORT]") from None


def _install_signal_handlers(stop: threading.Event) -> None:
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())


class _WebThread:
    """uvicorn in a thread, stoppable (uvicorn.run would own the process's signals)."""

    def __init__(self, config: ServerConfig) -> None:
        import uvicorn

        from server.storage.db import init_db, make_engine
        from server.web.app import create_app

        engine = make_engine(config.database.url)
        init_db(engine)
        app = create_app(config, engine=engine)
        self._server = uvicorn.Server(
            uvicorn.Config(app, host=config.web.host, port=config.web.port, log_level="warning")
        )
        self._server.install_signal_handlers = lambda: None  # the demo owns SIGINT
        self._thread = threading.Thread(target=self._server.run, name="demo-web", daemon=True)

    def start(self) -> None:
        self._thread.start()
        deadline = time.monotonic() + 15
        while not self._server.started and self._thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.05)

    def alive(self) -> bool:
        return self._thread.is_alive()

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(10)
