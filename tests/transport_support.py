"""Shared pieces of the transport tests: a private Mosquitto, a server stand-in that acks, test bundles.

The stand-in does what docs/evidence-format.md asks of the real ingest: unpack, verify the
signature and files with the device's registered key, store idempotently by id, then ack
(`stored`, `duplicate` or `rejected`). It counts every delivery so tests can tell wire
duplicates (allowed) from stored duplicates (not allowed).
"""

from __future__ import annotations

import base64
import json
import os
import socket
import subprocess
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import paho.mqtt.client as mqtt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from edge.evidence import BundleError, EvidenceFile, build_manifest, make_bundle, unpack_bundle, verify_bundle
from edge.transport.messages import Ack, Topics

SHARED_HOST, SHARED_PORT = "127.0.0.1", 1883


def unique_device() -> str:
    return f"t-{uuid.uuid4().hex[:12]}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate: Callable[[], bool], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")


class Mosquitto:
    """A private broker on its own port, with persistence so sessions survive a restart."""

    def __init__(self, workdir: Path, port: int | None = None, extra_conf: str = "") -> None:
        self.port = port or free_port()
        self.workdir = workdir
        self.conf = workdir / "mosquitto.conf"
        (workdir / "data").mkdir(exist_ok=True)
        self.conf.write_text(
            f"listener {self.port} 127.0.0.1\n"
            + ("allow_anonymous true\n" if "password_file" not in extra_conf else "allow_anonymous false\n")
            + f"persistence true\npersistence_location {workdir / 'data'}/\n"
            # as root, mosquitto would drop to its own user, which cannot enter pytest's 0700 tmp dirs
            + ("user root\n" if os.geteuid() == 0 else "")
            + extra_conf
        )
        self.proc: subprocess.Popen | None = None

    def start(self) -> Mosquitto:
        log = (self.workdir / "mosquitto.log").open("ab")
        self.proc = subprocess.Popen(["mosquitto", "-c", str(self.conf)], stdout=log, stderr=log)
        wait_for(self._listening, 10, f"mosquitto on port {self.port}")
        return self

    def _listening(self) -> bool:
        assert self.proc is not None
        if self.proc.poll() is not None:
            raise AssertionError(f"mosquitto exited: {(self.workdir / 'mosquitto.log').read_text()[-2000:]}")
        with socket.socket() as s:
            return s.connect_ex(("127.0.0.1", self.port)) == 0

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
        self.proc = None


def make_test_bundle(key: Ed25519PrivateKey, device: str, n: int) -> tuple[str, bytes]:
    files = [
        EvidenceFile("beam.flac", "audio_beam", f"beam-{device}-{n}".encode() * 50),
        EvidenceFile("wide.jpg", "wide_overlay", bytes([n % 256]) * 2000),
    ]
    now = datetime.now(UTC)
    manifest = build_manifest(
        device=device,
        zone="Z01",
        event={
            "t_start_utc": now,
            "t_end_utc": now,
            "azimuth_deg": 1.0 * n,
            "elevation_deg": -5.0,
            "confidence": 0.9,
            "enforceable": True,
        },
        clock={"synced": False, "source": None, "offset_s": None},
        device_info={"firmware": "honkwatch test"},
        files=files,
    )
    return manifest.id, make_bundle(key, manifest, files)


class FakeServer:
    """The server's ingest in miniature: verify, store once per id, ack (optionally held back)."""

    def __init__(
        self,
        host: str,
        port: int,
        devices: dict[str, Ed25519PublicKey],
        username: str | None = None,
        password: str | None = None,
        ca_file: Path | None = None,
        protocol: str = "5",
    ) -> None:
        self.devices = devices
        self.stored: dict[str, bytes] = {}
        self.deliveries: Counter[str] = Counter()
        self.rejected: dict[str, str] = {}
        self.acks_enabled = True
        self._held: list[tuple[str, str]] = []
        self._lock = threading.Lock()
        self._subscribed = threading.Event()
        client_id = f"fake-server-{uuid.uuid4().hex[:8]}"
        if protocol == "5":
            self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
        else:  # the demo's amqtt speaks 3.1.1 only
            self.client = mqtt.Client(
                CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv311, clean_session=False
            )
        if username is not None:
            self.client.username_pw_set(username, password)
        if ca_file is not None:
            self.client.tls_set(ca_certs=str(ca_file))
        self.client.reconnect_delay_set(0.1, 0.5)  # type: ignore[arg-type]
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.client.on_subscribe = lambda *a: self._subscribed.set()
        if protocol == "5":
            props = Properties(PacketTypes.CONNECT)
            props.SessionExpiryInterval = 3600
            self.client.connect_async(host, port, 30, clean_start=False, properties=props)
        else:
            self.client.connect_async(host, port, 30)
        self.client.loop_start()
        wait_for(self._subscribed.is_set, 10, "fake server subscription")

    def _on_connect(self, client, userdata, flags, reason, props) -> None:
        client.subscribe([(Topics(d).evidence, 1) for d in self.devices])

    def _on_message(self, client, userdata, msg) -> None:
        device = msg.topic.split("/")[2]
        try:
            bundle = unpack_bundle(msg.payload)
            if bundle.manifest.device != device:
                raise BundleError("wrong_device", "manifest device differs from topic")
            verify_bundle(bundle, self.devices[device])
        except BundleError as exc:
            evidence_id = self._id_hint(msg.payload)
            with self._lock:
                self.rejected[evidence_id] = exc.code
            self._ack(device, Ack(ids=[evidence_id], status="rejected", reason=exc.reason))
            return
        evidence_id = bundle.manifest.id
        with self._lock:
            self.deliveries[evidence_id] += 1
            status = "duplicate" if evidence_id in self.stored else "stored"
            self.stored.setdefault(evidence_id, msg.payload)
            if not self.acks_enabled:
                self._held.append((device, evidence_id))
                return
        self._ack(device, Ack(ids=[evidence_id], status=status))

    @staticmethod
    def _id_hint(payload: bytes) -> str:
        """The claimed id of a bundle that failed verification (the ack must name it)."""
        return json.loads(base64.b64decode(json.loads(payload)["manifest"]))["id"]

    def _ack(self, device: str, ack: Ack) -> mqtt.MQTTMessageInfo:
        return self.client.publish(Topics(device).ack, ack.to_bytes(), qos=1)

    def release_acks(self) -> None:
        with self._lock:
            self.acks_enabled = True
            held, self._held = self._held, []
        for device, evidence_id in held:
            self._ack(device, Ack(ids=[evidence_id], status="stored")).wait_for_publish(5)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def clean_shared_broker(host: str, port: int, device: str) -> None:
    """Leave nothing behind on the shared broker: no retained status/config, no persistent session."""
    client = mqtt.Client(
        CallbackAPIVersion.VERSION2,
        client_id=f"honkwatch-edge-{device}",
        protocol=mqtt.MQTTv311,
        clean_session=True,
    )
    client.connect(host, port)
    client.loop_start()
    topics = Topics(device)
    for topic in (topics.status, topics.config):
        client.publish(topic, b"", qos=1, retain=True).wait_for_publish(5)
    client.disconnect()
    client.loop_stop()


def write_test_pki(directory: Path) -> tuple[Path, Path, Path]:
    """A throwaway CA and a server certificate for 127.0.0.1/localhost: (ca.pem, server.pem, server.key)."""
    import ipaddress
    from datetime import timedelta

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    def name(cn: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])

    now = datetime.now(UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(name("honkwatch test CA"))
        .issuer_name(name("honkwatch test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    san = x509.SubjectAlternativeName(
        [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(name("localhost"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(san, critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    paths = directory / "ca.pem", directory / "server.pem", directory / "server.key"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    return paths
