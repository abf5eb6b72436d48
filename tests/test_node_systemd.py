"""The systemd notify protocol over a real datagram socket, as systemd receives it."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from edge.analysis.analyzer import Analyzer
from edge.analysis.config import AnalysisConfig
from edge.config import NodeConfig
from edge.node.runner import Node
from edge.node.systemd import SystemdNotifier
from edge.sources.base import ArraySource


def test_messages_arrive_on_the_notify_socket(tmp_path: Path) -> None:
    path = tmp_path / "notify.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as server:
        server.bind(str(path))
        server.settimeout(2.0)
        n = SystemdNotifier({"NOTIFY_SOCKET": str(path), "WATCHDOG_USEC": "4000000"})
        assert n.enabled and n.watchdog_s == 4.0
        assert n.notify("READY=1")
        assert n.notify("WATCHDOG=1")
        assert server.recv(100) == b"READY=1"
        assert server.recv(100) == b"WATCHDOG=1"


def test_a_receiver_that_stops_reading_never_blocks_the_sender(tmp_path: Path) -> None:
    path = tmp_path / "notify.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as server:
        server.bind(str(path))
        n = SystemdNotifier({"NOTIFY_SOCKET": str(path)})
        done = threading.Event()
        sent: list[bool] = []

        def flood() -> None:
            sent.extend(n.notify("WATCHDOG=1") for _ in range(200))
            done.set()

        threading.Thread(target=flood, daemon=True).start()
        assert done.wait(5.0), "notify blocked on a full socket queue"
        assert any(sent) and not all(sent)  # the queue took some, the rest were dropped
        server.settimeout(1.0)
        assert server.recv(100) == b"WATCHDOG=1"


def test_without_systemd_nothing_is_sent() -> None:
    n = SystemdNotifier({})
    assert not n.enabled and n.watchdog_s is None
    assert n.notify("READY=1") is False


class _StuckSource(ArraySource):
    """Delivers one block, then hangs like a wedged analysis input would."""

    sample_rate = 48000
    channels = 4

    def __init__(self) -> None:
        self.release = threading.Event()

    def __iter__(self) -> Iterator[tuple[int, np.ndarray]]:
        yield 0, np.zeros((2400, 4), np.float32)
        self.release.wait(10)

    def stop(self) -> None:
        self.release.set()

    def close(self) -> None:
        self.release.set()


def test_watchdog_stops_petting_when_the_loop_hangs(tmp_path: Path) -> None:
    path = tmp_path / "notify.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as server:
        server.bind(str(path))
        server.settimeout(0.1)
        notifier = SystemdNotifier({"NOTIFY_SOCKET": str(path), "WATCHDOG_USEC": "600000"})
        positions = np.array([[0, 0, 0], [0.1, 0, 0], [0, 0.1, 0], [0.1, 0.1, 0]], float)
        source = _StuckSource()
        cfg = NodeConfig.model_validate({"device": {"id": "n", "zone": "z", "profile": "dev-uma16"}})
        node = Node(source, Analyzer(AnalysisConfig(), positions, 48000), cfg.live(), notifier=notifier)
        runner = threading.Thread(target=node.run)
        runner.start()
        received: list[tuple[float, str]] = []
        t0 = time.monotonic()
        while time.monotonic() - t0 < 2.0:
            with contextlib.suppress(TimeoutError):
                received.append((time.monotonic() - t0, server.recv(100).decode()))
        node.request_stop()
        runner.join(5)
    pets = [t for t, m in received if m == "WATCHDOG=1"]
    assert received[0][1].startswith("READY=1")
    assert pets and max(pets) < 0.6  # petted while fresh, then silent: systemd would restart it
    assert not runner.is_alive()
