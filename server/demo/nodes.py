"""The demo's simulated edge nodes: real `honk-edge` processes replaying scenes into the broker.

Each node is the real edge pipeline — `honk-edge replay --publish` with its own signing key and
outbox — run as a child process, so the demo exercises exactly what a pole-mounted device does:
analysis, evidence building, signing, store-and-forward over MQTT. Scenes are the bundled
recordings first (cases within seconds), then freshly simulated ones so the queue keeps filling.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import shutil
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DemoNode:
    device: str
    zone: str
    home: Path  # key, outbox and this node's scenes live here

    @property
    def key_file(self) -> Path:
        return self.home / "device-ed25519.pem"


class NodeRunner:
    """Feeds one node's scenes through `honk-edge replay --publish` until stopped."""

    def __init__(
        self,
        node: DemoNode,
        broker: tuple[str, int],
        protocol: str,
        bundled: list[Path],
        seed: int,
        stop: threading.Event,
        simulate_more: bool = True,
    ) -> None:
        self.node = node
        self.broker = broker
        self.protocol = protocol
        self.bundled = bundled
        self.seed = seed
        self.stop = stop
        self.simulate_more = simulate_more
        self.replayed = 0
        self._child: subprocess.Popen[bytes] | None = None
        self._thread = threading.Thread(target=self._loop, name=f"node-{node.device}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def join(self, timeout: float) -> None:
        child = self._child
        if child is not None and child.poll() is None:
            child.terminate()
        self._thread.join(timeout)

    def _loop(self) -> None:
        scenes_dir = self.node.home / "scenes"
        scenes_dir.mkdir(parents=True, exist_ok=True)
        for i, source in enumerate(self.bundled):
            if self.stop.is_set():
                return
            self._replay(_fresh_copy(source, scenes_dir / f"bundled-{i}"))
        n = 0
        while self.simulate_more and not self.stop.is_set():
            target = scenes_dir / f"sim-{n % 3}"  # keep the last few: disk stays bounded
            shutil.rmtree(target, ignore_errors=True)
            ok = self._run(
                [
                    "simulate",
                    "--out",
                    str(target),
                    "--seed",
                    str(self.seed * 1000 + n),
                    "--duration",
                    "8",
                    "--profile",
                    "pole-spiral32",
                    "--scenario",
                    "busy",
                    "--no-video",
                ]
            )
            if ok and not self.stop.is_set():
                _stamp_now(target)
                self._replay(target)
            n += 1
            self.stop.wait(5.0)

    def _replay(self, scene: Path) -> None:
        ok = self._run(
            [
                "replay",
                str(scene),
                "--publish",
                "--broker",
                f"{self.broker[0]}:{self.broker[1]}",
                "--mqtt-protocol",
                self.protocol,
                "--outbox",
                str(self.node.home / "outbox.sqlite"),
                "--key-file",
                str(self.node.key_file),
                "--device",
                self.node.device,
                "--zone",
                self.node.zone,
                "--ack-wait",
                "20",
                *(["--plate-from-truth"] if _has_plates(scene) else []),
            ]
        )
        if ok:
            self.replayed += 1

    def _run(self, args: list[str]) -> bool:
        cmd = [sys.executable, "-m", "edge.cli", *args]
        log.debug("%s: %s", self.node.device, " ".join(cmd))
        self._child = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        out, _ = self._child.communicate()
        code = self._child.returncode
        if code != 0 and not self.stop.is_set():
            log.warning(
                "%s: honk-edge %s exited %s: %s", self.node.device, args[0], code, out.decode()[-500:]
            )
        return code == 0


def _fresh_copy(source: Path, target: Path) -> Path:
    """A node-private copy of a bundled scene, its clock set to now (so cases show today's time)."""
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(source, target)
    _stamp_now(target)
    return target


def _has_plates(scene: Path) -> bool:
    """Simulated scenes know their plates; the demo shows them as a plate reader would (no horn, no plate)."""
    truth = scene / "truth.json"
    if not truth.is_file():
        return False
    events = json.loads(truth.read_text(encoding="utf-8")).get("events", [])
    return any(e.get("plate") for e in events)


def _stamp_now(scene: Path) -> None:
    meta_path = scene / "scene.json"
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    now = dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    meta["start_utc"] = now
    meta_path.write_text(json.dumps(meta, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
