"""Helpers for the node tests: a simulated scene with video, a device key, a recording MQTT client."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from edge.evidence.keys import generate_key

BROKER = ("127.0.0.1", 1883)


def simulate(out: Path, seconds: float = 3.0, seed: int = 5, extra: tuple[str, ...] = ()) -> Path:
    cmd = [
        sys.executable,
        "-m",
        "edge.cli",
        "simulate",
        "--out",
        str(out),
        "--duration",
        str(seconds),
        "--horns",
        "1",
        "--video",
        "--channels",
        "4",
        "--camera",
        "road-540p-50deg",
        "--seed",
        str(seed),
        *extra,
    ]
    subprocess.run(cmd, check=True, capture_output=True, timeout=180)
    return out


def make_key(directory: Path) -> Path:
    path = directory / "device.pem"
    generate_key(path)
    return path


def unique_device() -> str:
    return f"nodetest-{uuid.uuid4().hex[:10]}"


class Recorder:
    """Subscribes to a device's topics and keeps every message (topic, payload)."""

    def __init__(self, device: str) -> None:
        self.messages: list[tuple[str, bytes]] = []
        self._lock = threading.Lock()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"rec-{device}")
        self.client.on_message = self._on_message
        self.client.connect(*BROKER)
        self.client.subscribe(f"honkwatch/v1/{device}/#", qos=1)
        self.client.loop_start()
        time.sleep(0.3)

    def _on_message(self, client: mqtt.Client, userdata: object, msg: mqtt.MQTTMessage) -> None:
        with self._lock:
            self.messages.append((msg.topic, bytes(msg.payload)))

    def on(self, leaf: str) -> list[bytes]:
        with self._lock:
            return [p for t, p in self.messages if t.endswith("/" + leaf)]

    def wait_for(self, leaf: str, timeout: float = 10.0) -> list[bytes]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not self.on(leaf):
            time.sleep(0.05)
        return self.on(leaf)

    def publish(self, topic: str, payload: bytes, retain: bool = False) -> None:
        self.client.publish(topic, payload, qos=1, retain=retain).wait_for_publish(5)

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()
