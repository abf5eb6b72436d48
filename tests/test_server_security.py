"""The broker templates against a real Mosquitto: TLS, passwords, and the per-device ACL."""

from __future__ import annotations

import datetime as dt
import getpass
import json
import shutil
import socket
import ssl
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from server_support import DeviceClient
from sqlalchemy import func, select

from server.config import ServerConfig
from server.deploy.mosquitto_config import BrokerSettings, render
from server.ingest.worker import IngestWorker
from server.sample_bundles import new_device_key, public_key_b64, sample_bundle
from server.storage.db import init_db, make_engine, session_factory
from server.storage.devices import add_device
from server.storage.models import Case

pytestmark = pytest.mark.skipif(shutil.which("mosquitto") is None, reason="mosquitto not installed")

PASSWORDS = {"honk-ingest": "ingest-secret", "pole-01": "secret-01", "pole-02": "secret-02"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _write_pem(path: Path, obj) -> None:
    if isinstance(obj, x509.Certificate):
        path.write_bytes(obj.public_bytes(serialization.Encoding.PEM))
    else:
        path.write_bytes(
            obj.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )


def _make_tls(directory: Path) -> tuple[Path, Path, Path]:
    """A throwaway CA and a server certificate for 127.0.0.1 / localhost."""
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "honkwatch test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    import ipaddress

    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    paths = directory / "ca.crt", directory / "server.crt", directory / "server.key"
    _write_pem(paths[0], ca)
    _write_pem(paths[1], cert)
    _write_pem(paths[2], key)
    return paths


@dataclass
class Broker:
    tls_port: int
    local_port: int
    ca: Path


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Broker]:
    passwd = tmp_path / "passwd"
    passwd.touch()
    for user, password in PASSWORDS.items():
        subprocess.run(["mosquitto_passwd", "-b", str(passwd), user, password], check=True)
    ca, cert, key = _make_tls(tmp_path)
    settings = BrokerSettings(
        password_file=str(passwd),
        tls_ca=str(ca),
        tls_cert=str(cert),
        tls_key=str(key),
        data_dir=str(tmp_path),
        persistence="false",
        tls_port=_free_port(),
        tls_bind="127.0.0.1",
        local_port=_free_port(),
        log_dest="stderr",
        run_as_user=getpass.getuser(),
    )
    conf = tmp_path / "mosquitto.conf"
    conf.write_text(render(settings))
    proc = subprocess.Popen(["mosquitto", "-c", str(conf)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", settings.local_port), timeout=0.2).close()
                socket.create_connection(("127.0.0.1", settings.tls_port), timeout=0.2).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    out = proc.stdout.read().decode() if proc.stdout else ""
                    raise RuntimeError(f"mosquitto did not start: {out}") from None
                time.sleep(0.05)
        yield Broker(settings.tls_port, settings.local_port, ca)
    finally:
        proc.terminate()
        proc.wait(10)


def _tls_client(broker: Broker, user: str | None, password: str | None) -> tuple[mqtt.Client, list]:
    client = mqtt.Client(
        CallbackAPIVersion.VERSION2,
        client_id=f"{user}-{uuid.uuid4().hex[:6]}",
        protocol=MQTTProtocolVersion.MQTTv5,
    )
    if user is not None:
        client.username_pw_set(user, password)
    client.tls_set(ca_certs=str(broker.ca), tls_version=ssl.PROTOCOL_TLS_CLIENT)
    results: list = []
    client.on_connect = lambda _c, _u, _f, rc, _p: results.append(rc)
    client.connect("127.0.0.1", broker.tls_port, keepalive=30)
    client.loop_start()
    deadline = time.monotonic() + 10
    while not results and time.monotonic() < deadline:
        time.sleep(0.02)
    return client, results


def test_device_cannot_publish_under_another_devices_topic(broker: Broker):
    ingest = DeviceClient(
        ["honkwatch/v1/+/evidence", "honkwatch/v1/+/status"],
        port=broker.local_port,
        username="honk-ingest",
        password=PASSWORDS["honk-ingest"],
    )
    device, rc = _tls_client(broker, "pole-01", PASSWORDS["pole-01"])
    try:
        assert rc and not rc[0].is_failure, f"pole-01 could not connect over TLS: {rc}"
        for topic in ("honkwatch/v1/pole-02/evidence", "honkwatch/v1/pole-02/status"):
            device.publish(topic, b"forged", qos=1).wait_for_publish(5)
        device.publish("honkwatch/v1/pole-01/evidence", b"own", qos=1).wait_for_publish(5)
        received = ingest.messages.get(timeout=5)
        time.sleep(0.5)  # give a leaked forged message the time to arrive
        others = []
        while not ingest.messages.empty():
            others.append(ingest.messages.get_nowait())
    finally:
        device.loop_stop()
        device.disconnect()
        ingest.close()
    assert (received.topic, received.payload) == ("honkwatch/v1/pole-01/evidence", b"own")
    assert others == [], f"forged messages reached the server: {[m.topic for m in others]}"


def test_device_cannot_read_another_devices_acks(broker: Broker):
    spy = DeviceClient(
        ["honkwatch/v1/pole-02/ack"],
        port=broker.local_port,
        username="pole-01",
        password=PASSWORDS["pole-01"],
    )
    server = DeviceClient(port=broker.local_port, username="honk-ingest", password=PASSWORDS["honk-ingest"])
    try:
        server.publish("honkwatch/v1/pole-02/ack", b'{"ids": ["x"], "status": "stored"}')
        time.sleep(0.5)
        assert spy.messages.empty()
    finally:
        spy.close()
        server.close()


@pytest.mark.parametrize(("user", "password"), [(None, None), ("pole-01", "wrong"), ("pole-99", "secret-01")])
def test_unknown_or_anonymous_clients_are_refused(broker: Broker, user, password):
    client, rc = _tls_client(broker, user, password)
    client.loop_stop()
    assert rc and rc[0].is_failure, f"{user!r} was let in"


def test_ingest_account_works_through_the_acl(broker: Broker, tmp_path: Path):
    """The real worker, logged in as honk-ingest, stores a device's bundle and acks it."""
    config = ServerConfig()
    config.database.url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    config.media.root = tmp_path / "media"
    config.mqtt.port = broker.local_port
    config.mqtt.username = "honk-ingest"
    config.mqtt.password = PASSWORDS["honk-ingest"]
    engine = make_engine(config.database.url)
    init_db(engine)
    sessions = session_factory(engine)
    key = new_device_key()
    with sessions() as s:
        add_device(s, "pole-01", public_key_b64(key))
        s.commit()
    worker = IngestWorker(config)
    worker.start()
    device = DeviceClient(
        ["honkwatch/v1/pole-01/ack"],
        port=broker.local_port,
        username="pole-01",
        password=PASSWORDS["pole-01"],
    )
    try:
        assert worker.ready.wait(10)
        evidence_id, payload = sample_bundle(key, "pole-01", scale=0.02)
        device.publish("honkwatch/v1/pole-01/evidence", payload)
        ack = json.loads(device.messages.get(timeout=10).payload)
    finally:
        device.close()
        worker.stop()
    assert ack == {"ids": [evidence_id], "status": "stored"}
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Case)) == 1
    engine.dispose()
