"""The publisher against real Mosquitto: delivery, acks, status/will, broker outages, kill -9, TLS."""

import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from paho.mqtt.enums import CallbackAPIVersion
from pydantic import ValidationError
from transport_support import (
    SHARED_HOST,
    SHARED_PORT,
    FakeServer,
    Mosquitto,
    clean_shared_broker,
    free_port,
    make_test_bundle,
    unique_device,
    wait_for,
    write_test_pki,
)

from edge.evidence.keys import load_or_create_key
from edge.transport.health import HealthReporter, PipelineHealth
from edge.transport.messages import Topics
from edge.transport.outbox import Outbox
from edge.transport.publisher import MqttSettings, PayloadTooLarge, Publisher

FAST = {"reconnect_min_s": 0.1, "reconnect_max_s": 0.5, "session_expiry_s": 300}
TESTS_DIR = Path(__file__).resolve().parent


class Watcher:
    """A plain subscriber that records what a device puts on its status and health topics."""

    def __init__(self, host: str, port: int, device: str) -> None:
        self.topics = Topics(device)
        self.messages: list[tuple[str, bytes, bool]] = []
        self._ready = threading.Event()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
        self.client.on_message = lambda c, u, m: self.messages.append((m.topic, m.payload, m.retain))
        self.client.on_subscribe = lambda *a: self._ready.set()
        self.client.on_connect = lambda c, *a: c.subscribe([(self.topics.status, 1), (self.topics.health, 0)])
        self.client.reconnect_delay_set(0.1, 0.5)  # type: ignore[arg-type]
        self.client.connect_async(host, port)
        self.client.loop_start()
        wait_for(self._ready.is_set, 10, "watcher subscription")

    def statuses(self) -> list[bytes]:
        return [p for t, p, _ in list(self.messages) if t == self.topics.status]

    def health(self) -> list[dict]:
        return [json.loads(p) for t, p, _ in list(self.messages) if t == self.topics.health]

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


@pytest.mark.parametrize("protocol", ["5", "3.1.1"])
def test_round_trip_on_shared_broker(tmp_path, key, protocol):
    device = unique_device()
    server = FakeServer(SHARED_HOST, SHARED_PORT, {device: key.public_key()})
    watcher = Watcher(SHARED_HOST, SHARED_PORT, device)
    outbox = Outbox(tmp_path / "outbox.db", quota_bytes=10_000_000)
    health = HealthReporter(device, outbox, pipeline=lambda: PipelineHealth(dropped_blocks=3, enforcing=True))
    pub = Publisher(device, MqttSettings(protocol=protocol, **FAST), outbox, health=health)
    try:
        pub.start()
        ids = []
        for n in range(5):
            evidence_id, payload = make_test_bundle(key, device, n)
            assert pub.submit(evidence_id, payload)
            ids.append(evidence_id)
        assert not pub.submit(ids[0], b"again"), "a known id must not be stored twice"
        with pytest.raises(PayloadTooLarge, match="over the"):
            pub.submit("too-big", b"x" * (pub.settings.max_payload_bytes + 1))
        wait_for(lambda: outbox.stats().pending == 0, 15, "all bundles acked")
        assert set(server.stored) == set(ids)
        assert [outbox.state_of(i) for i in ids] == [("acked", "stored")] * 5
        assert pub.status().state == "online" and pub.status().acks == 5
        wait_for(lambda: watcher.health(), 5, "a heartbeat")
        beat = watcher.health()[0]
        assert beat["device"] == device and beat["dropped_blocks"] == 3 and beat["enforcing"] is True
        assert b"online" in watcher.statuses()
    finally:
        pub.stop()
        server.close()
    wait_for(lambda: watcher.statuses()[-1:] == [b"offline"], 5, "offline status after a clean stop")
    watcher.close()
    clean_shared_broker(SHARED_HOST, SHARED_PORT, device)


def test_rejected_bundle_is_released_not_retried(tmp_path, key):
    device = unique_device()
    server = FakeServer(SHARED_HOST, SHARED_PORT, {device: Ed25519PrivateKey.generate().public_key()})
    outbox = Outbox(tmp_path / "outbox.db", quota_bytes=10_000_000)
    pub = Publisher(device, MqttSettings(**FAST), outbox)
    try:
        pub.start()
        evidence_id, payload = make_test_bundle(key, device, 0)  # signed with a key the server doesn't know
        pub.submit(evidence_id, payload)
        wait_for(lambda: outbox.stats().pending == 0, 10, "the rejection ack")
        assert server.rejected == {evidence_id: "bad_signature"}
        assert server.stored == {}
        assert outbox.state_of(evidence_id) == ("acked", "rejected")
        assert outbox.stats().rejected == 1
    finally:
        pub.stop()
        server.close()
        clean_shared_broker(SHARED_HOST, SHARED_PORT, device)


def test_missing_broker_is_degraded_then_delivers_when_it_starts(tmp_path, key):
    device = unique_device()
    port = free_port()
    outbox = Outbox(tmp_path / "outbox.db", quota_bytes=10_000_000)
    pub = Publisher(device, MqttSettings(port=port, **FAST), outbox)
    pub.start()
    broker = None
    server = None
    try:
        ids = [pub.submit(*make_test_bundle(key, device, n)) for n in range(3)]
        assert ids == [True] * 3
        wait_for(lambda: pub.status().state == "degraded", 5, "degraded state")
        assert f"127.0.0.1:{port}" in (pub.status().last_error or "")
        assert outbox.stats().pending == 3
        broker = Mosquitto(tmp_path, port=port).start()
        server = FakeServer("127.0.0.1", port, {device: key.public_key()})
        wait_for(lambda: outbox.stats().pending == 0, 15, "delivery after the broker started")
        assert len(server.stored) == 3
        assert pub.status().state == "online"
    finally:
        pub.stop()
        if server:
            server.close()
        if broker:
            broker.stop()


@pytest.mark.parametrize("protocol", ["5", "3.1.1"])
def test_broker_outage_delivers_everything_exactly_once(tmp_path, key, protocol):
    device = unique_device()
    broker = Mosquitto(tmp_path).start()
    server = FakeServer("127.0.0.1", broker.port, {device: key.public_key()}, protocol=protocol)
    outbox = Outbox(tmp_path / "outbox.db", quota_bytes=10_000_000)
    pub = Publisher(device, MqttSettings(port=broker.port, protocol=protocol, **FAST), outbox)
    try:
        pub.start()
        assert pub.wait_connected(10)
        first = make_test_bundle(key, device, 0)
        pub.submit(*first)
        wait_for(lambda: outbox.stats().pending == 0, 10, "the first ack")
        broker.stop()
        wait_for(lambda: pub.status().state == "degraded", 5, "degraded after the broker stopped")
        during = [make_test_bundle(key, device, n) for n in range(1, 11)]
        for evidence_id, payload in during:
            pub.submit(evidence_id, payload)
        assert outbox.stats().pending == 10
        broker.start()
        wait_for(lambda: outbox.stats().pending == 0, 20, "delivery after the outage")
        assert set(server.stored) == {first[0]} | {i for i, _ in during}
        assert max(server.deliveries.values()) == 1, f"wire duplicates: {server.deliveries}"
        assert pub.status().connects >= 2
    finally:
        pub.stop()
        server.close()
        broker.stop()


def _node(tmp_path: Path, port: int, device: str, *extra: str) -> subprocess.Popen:
    args = ["--port", str(port), "--device", device, "--db", str(tmp_path / "node.db")]
    args += ["--key", str(tmp_path / "node.key"), *extra]
    return subprocess.Popen(
        [sys.executable, str(TESTS_DIR / "transport_node.py"), *args],
        stdout=subprocess.PIPE,
        text=True,
        cwd=TESTS_DIR.parent,
    )


def test_kill_9_between_write_and_ack_loses_nothing_and_stores_no_duplicate(tmp_path):
    device = unique_device()
    key = load_or_create_key(tmp_path / "node.key")
    broker = Mosquitto(tmp_path).start()
    server = FakeServer("127.0.0.1", broker.port, {device: key.public_key()})
    watcher = Watcher("127.0.0.1", broker.port, device)
    server.acks_enabled = False  # the server stores but its acks come too late for the first node
    node = _node(tmp_path, broker.port, device, "--count", "12")
    try:
        assert node.stdout is not None and node.stdout.readline().strip() == "submitted 12"
        wait_for(lambda: len(server.stored) >= 2, 10, "the server to receive some bundles")
        node.send_signal(signal.SIGKILL)
        node.wait(5)
        wait_for(lambda: watcher.statuses()[-1:] == [b"offline"], 5, "the last will")
        box = Outbox(tmp_path / "node.db", quota_bytes=50_000_000)
        assert box.stats().pending == 12, "every bundle is still pending after the kill"
        server.release_acks()  # acks for what was stored reach the broker while the node is dead
        node = _node(tmp_path, broker.port, device, "--until-empty")
        assert node.wait(30) == 0
        stats = box.stats()
        assert stats.pending == 0 and stats.acked == 12
        assert len(server.stored) == 12, "every id reached the server"
        # The acks queued in the node's session arrive before it resends, so not even the wire
        # carries a duplicate here (in general a duplicate delivery is allowed: the server dedups).
        assert sum(server.deliveries.values()) == 12, f"deliveries per id: {server.deliveries}"
        box.close()
    finally:
        if node.poll() is None:
            os.kill(node.pid, signal.SIGKILL)
        watcher.close()
        server.close()
        broker.stop()


def test_tls_with_username_and_password(tmp_path, key):
    ca, cert, pkey = write_test_pki(tmp_path)
    passwd = tmp_path / "passwd"
    subprocess.run(
        ["mosquitto_passwd", "-b", "-c", str(passwd), "pole", "s3cret"], check=True, capture_output=True
    )
    conf = f"cafile {ca}\ncertfile {cert}\nkeyfile {pkey}\npassword_file {passwd}\n"
    broker = Mosquitto(tmp_path, extra_conf=conf).start()
    device = unique_device()
    login = {"username": "pole", "password": "s3cret"}
    server = FakeServer("127.0.0.1", broker.port, {device: key.public_key()}, ca_file=ca, **login)
    outbox = Outbox(tmp_path / "outbox.db", quota_bytes=10_000_000)
    pub = Publisher(device, MqttSettings(port=broker.port, tls=True, ca_file=ca, **login, **FAST), outbox)
    wrong = MqttSettings(port=broker.port, tls=True, ca_file=ca, username="pole", password="wrong", **FAST)
    intruder = Publisher(unique_device(), wrong, Outbox(tmp_path / "intruder.db", quota_bytes=1000))
    try:
        pub.start()
        intruder.start()
        evidence_id, payload = make_test_bundle(key, device, 0)
        pub.submit(evidence_id, payload)
        wait_for(lambda: outbox.stats().pending == 0, 10, "delivery over TLS")
        assert set(server.stored) == {evidence_id}
        wait_for(lambda: intruder.status().state == "degraded", 10, "refusal of a wrong password")
        assert "refused" in (intruder.status().last_error or "")
        assert not intruder.status().connected
    finally:
        intruder.stop()
        pub.stop()
        server.close()
        broker.stop()


def test_mqtt_311_against_the_demos_embedded_amqtt_broker(tmp_path, key):
    pytest.importorskip("amqtt")
    from server.demo.broker import EmbeddedBroker

    broker = EmbeddedBroker()
    broker.start()
    device = unique_device()
    outbox = Outbox(tmp_path / "outbox.db", quota_bytes=10_000_000)
    # Resent after 2 s without an ack, as in the field after 120 s: once in a full CI run amqtt lost
    # a first publish (no ack within 15 s) that passes alone; the node's resend is the cure it
    # would get on a real street, and the test still needs every bundle stored once and acked.
    settings = MqttSettings(host=broker.host, port=broker.port, protocol="3.1.1", resend_after_s=2.0, **FAST)
    pub = Publisher(device, settings, outbox)
    server = None
    try:
        server = FakeServer(broker.host, broker.port, {device: key.public_key()}, protocol="3.1.1")
        pub.start()
        ids = {pub.submit(*make_test_bundle(key, device, n)) and n for n in range(3)}
        wait_for(lambda: outbox.stats().pending == 0, 15, "acks through amqtt")
        assert len(server.stored) == 3 and len(ids) == 3
    finally:
        pub.stop()
        if server:
            server.close()
        broker.stop()


def test_settings_reject_inconsistent_or_missing_values(tmp_path):
    with pytest.raises(ValidationError, match="without username"):
        MqttSettings(password="x")
    with pytest.raises(ValidationError, match="ca_file"):
        MqttSettings(tls=True, ca_file=tmp_path / "missing-ca.pem")
    with pytest.raises(ValidationError, match="protocol"):
        MqttSettings(protocol="3.1")
    with pytest.raises(ValidationError, match="hostname"):
        MqttSettings(hostname="typo")
