"""An embedded MQTT broker for the demo, so a newcomer needs nothing installed or running.

amqtt (pure Python, asyncio) runs on its own event loop in a daemon thread. It speaks MQTT 3.1.1
only and has no shared subscriptions, so the demo's clients use 3.1.1 and one ingest worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import threading
import time


class EmbeddedBroker:
    """Start with `start()`, stop with `stop()`; `url` is what clients connect to."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = host
        self.port = port or _free_port(host)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name="demo-broker", daemon=True)
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._broker = None

    @property
    def url(self) -> str:
        return f"mqtt://{self.host}:{self.port}"

    def start(self, timeout_s: float = 15.0) -> None:
        # amqtt logs every connection (and our readiness probe) loudly; the console is for the newcomer.
        for name in ("amqtt", "transitions"):
            logging.getLogger(name).setLevel(logging.CRITICAL)
        self._thread.start()
        if not self._ready.wait(timeout_s):
            raise RuntimeError(f"embedded MQTT broker did not start on {self.host}:{self.port}")
        if self._error is not None:
            raise RuntimeError(f"embedded MQTT broker failed: {self._error}")
        _wait_port(self.host, self.port, timeout_s)

    def stop(self) -> None:
        if self._broker is not None and self._loop.is_running():
            fut = asyncio.run_coroutine_threadsafe(self._broker.shutdown(), self._loop)
            with contextlib.suppress(Exception):
                fut.result(timeout=5)
            self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)

    def _run(self) -> None:
        from amqtt.broker import Broker

        asyncio.set_event_loop(self._loop)
        config = {
            "listeners": {
                "default": {"type": "tcp", "bind": f"{self.host}:{self.port}", "max_connections": 200}
            },
            "plugins": {
                "amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": True},
            },
        }
        try:
            self._broker = Broker(config, loop=self._loop)
            self._loop.run_until_complete(self._broker.start())
        except BaseException as exc:  # reported to the caller of start()
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        self._loop.run_forever()


def _free_port(host: str) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def _wait_port(host: str, port: int, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex((host, port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"embedded MQTT broker is not accepting connections on {host}:{port}")
