"""Shared fixtures and helpers for the server tests (tests/test_server_*.py).

Every test gets its own database (a temporary SQLite file, or a fresh schema in the real
PostgreSQL) and its own MQTT topic root and share group on the real Mosquitto, so parallel
runs on one machine cannot see each other's rows or messages.
"""

from __future__ import annotations

import json
import os
import queue
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from sqlalchemy import text

from server.config import ServerConfig
from server.storage.db import make_engine

PG_URL = os.environ.get("HONKWATCH_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
BROKER_HOST = os.environ.get("HONKWATCH_TEST_MQTT_HOST", "127.0.0.1")
BROKER_PORT = int(os.environ.get("HONKWATCH_TEST_MQTT_PORT", "1883"))


@pytest.fixture(params=["sqlite", "postgresql"])
def server_config(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ServerConfig]:
    """A config with a private database (SQLite file or PostgreSQL schema), media dir and topic root."""
    tag = uuid.uuid4().hex[:10]
    config = ServerConfig()
    config.media.root = tmp_path / "media"
    config.mqtt.host = BROKER_HOST
    config.mqtt.port = BROKER_PORT
    config.mqtt.topic_root = f"test-{tag}/honkwatch/v1"
    config.mqtt.share_group = f"ingest{tag}"
    if request.param == "sqlite":
        config.database.url = f"sqlite:///{tmp_path / 'honkwatch.db'}"
        yield config
        return
    config.database.url = PG_URL
    config.database.pg_schema = f"hwtest_{tag}"
    yield config
    engine = make_engine(PG_URL)
    with engine.begin() as conn:
        conn.execute(text("SET lock_timeout = '10s'"))  # a leaked session fails the run, not hangs it
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{config.database.pg_schema}" CASCADE'))
    engine.dispose()


class DeviceClient:
    """A plain MQTT client standing in for a device: publishes, and collects what arrives."""

    def __init__(
        self,
        subscribe: list[str] | None = None,
        host: str = BROKER_HOST,
        port: int = BROKER_PORT,
        username: str | None = None,
        password: str | None = None,
    ) -> None:
        self.messages: queue.Queue[mqtt.MQTTMessage] = queue.Queue()
        self.on_message_hook = None
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=f"test-{uuid.uuid4().hex[:12]}",
            protocol=MQTTProtocolVersion.MQTTv5,
        )
        if username is not None:
            self.client.username_pw_set(username, password)
        self._subscribed = threading.Event()
        self._topics = subscribe or []
        self.client.on_message = self._on_message
        self.client.on_subscribe = lambda *a: self._subscribed.set()
        self.client.connect(host, port, keepalive=30)
        self.client.loop_start()
        if self._topics:
            self.client.subscribe([(t, 1) for t in self._topics])
            assert self._subscribed.wait(5), "test client could not subscribe"

    def _on_message(self, _client, _userdata, msg: mqtt.MQTTMessage) -> None:
        if self.on_message_hook is not None:
            self.on_message_hook(msg)
        self.messages.put(msg)

    def publish(self, topic: str, payload: bytes | str, qos: int = 1, retain: bool = False) -> None:
        info = self.client.publish(topic, payload, qos=qos, retain=retain)
        info.wait_for_publish(10)

    def next_json(self, timeout: float = 10.0) -> dict:
        return json.loads(self.messages.get(timeout=timeout).payload)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()
