"""Ingest against the real Mosquitto and real SQLite/PostgreSQL: store once, quarantine, ack order."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterator

import pytest
import server_support
from server_support import DeviceClient
from sqlalchemy import func, select, text

from edge.evidence.bundle import unpack_bundle
from server.config import ServerConfig
from server.ingest.evidence import EvidenceIngest
from server.ingest.topics import device_topic
from server.ingest.worker import IngestWorker
from server.media import FileMediaStore
from server.sample_bundles import new_device_key, public_key_b64, sample_bundle
from server.storage.db import init_db, make_engine, session_factory
from server.storage.devices import add_device, revoke_device
from server.storage.models import Case, Device, Quarantine

server_config = server_support.server_config  # the fixture: one SQLite and one PostgreSQL run

DEVICE = "pole-07"


@pytest.fixture
def sessions(server_config: ServerConfig):
    engine = make_engine(server_config.database.url, schema=server_config.database.pg_schema)
    init_db(engine)
    yield session_factory(engine)
    engine.dispose()


@pytest.fixture
def device_key(sessions):
    key = new_device_key()
    with sessions() as s:
        add_device(s, DEVICE, public_key_b64(key))
        s.commit()
    return key


@pytest.fixture
def worker(server_config: ServerConfig, sessions, device_key) -> Iterator[IngestWorker]:
    w = IngestWorker(server_config)
    w.start()
    assert w.ready.wait(10), "worker did not subscribe"
    yield w
    w.stop()


def _topic(config: ServerConfig, kind: str, device: str = DEVICE) -> str:
    return device_topic(device, kind, config.mqtt.topic_root)


def _wait_for(predicate, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def test_valid_bundle_delivered_twice_is_stored_once(server_config, sessions, device_key, worker):
    evidence_id, payload = sample_bundle(device_key, DEVICE, scale=0.05, plate="粤R·12345")
    device = DeviceClient([_topic(server_config, "ack")])
    try:
        device.publish(_topic(server_config, "evidence"), payload)
        first = device.next_json()
        device.publish(_topic(server_config, "evidence"), payload)
        second = device.next_json()
    finally:
        device.close()
    assert first == {"ids": [evidence_id], "status": "stored"}
    assert second == {"ids": [evidence_id], "status": "duplicate"}
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Case)) == 1
        case = s.get(Case, evidence_id)
        assert case.device_id == DEVICE and case.status == "pending" and case.plate == "粤R·12345"
        assert case.t_start_utc.tzinfo is not None and case.clock_synced is True
        roles = case.media_by_role()
        assert set(roles) == {
            "wide_overlay",
            "closeup",
            "sound_map",
            "spectrogram",
            "audio_beam",
            "audio_reference",
        }
        bundle = unpack_bundle(payload)
        assert bytes(case.manifest_bytes) == bundle.manifest_bytes
        media = FileMediaStore(server_config.media.root)
        assert media.get(roles["audio_beam"].sha256) == bundle.files["beam.flac"]
        assert s.scalar(select(func.count()).select_from(Quarantine)) == 0
        assert s.get(Device, DEVICE).last_seen is not None


def _forged(device_key) -> bytes:
    _, payload = sample_bundle(new_device_key(), DEVICE, scale=0.01)  # signed by a stranger's key
    return payload


def _tampered(device_key) -> bytes:
    _, payload = sample_bundle(device_key, DEVICE, scale=0.01)
    doc = json.loads(payload)
    data = bytearray(base64.b64decode(doc["files"]["beam.flac"]))
    data[0] ^= 0xFF
    doc["files"]["beam.flac"] = base64.b64encode(bytes(data)).decode()
    return json.dumps(doc).encode()


def _extra_file(device_key) -> bytes:
    _, payload = sample_bundle(device_key, DEVICE, scale=0.01)
    doc = json.loads(payload)
    doc["files"]["secret.sh"] = base64.b64encode(b"rm -rf /").decode()
    return json.dumps(doc).encode()


def _nan_manifest(device_key) -> bytes:
    _, payload = sample_bundle(device_key, DEVICE, scale=0.01)
    bundle = unpack_bundle(payload)
    raw = bundle.manifest_bytes.replace(b'"azimuth_deg":12.4', b'"azimuth_deg":NaN')
    assert raw != bundle.manifest_bytes
    from edge.evidence.bundle import pack_bundle, sign_manifest

    # Signed by the real key: only the codec's refusal of non-finite numbers can stop it.
    return pack_bundle(raw, sign_manifest(device_key, raw), dict(bundle.files))


def test_bad_messages_are_quarantined_with_reason_and_worker_survives(
    server_config,
    sessions,
    device_key,
    worker,
):
    other_key = new_device_key()
    with sessions() as s:
        add_device(s, "pole-99", public_key_b64(other_key))
        revoke_device(s, "pole-99")
        s.commit()
    _, unknown = sample_bundle(new_device_key(), "pole-42", scale=0.01)
    _, mismatch = sample_bundle(device_key, "pole-08", scale=0.01)
    _, revoked = sample_bundle(other_key, "pole-99", scale=0.01)
    oversize = b'{"format": "honkwatch-bundle/1", "pad": "' + b"x" * (8 * 1024 * 1024) + b'"}'
    cases = [
        ("forged", DEVICE, _forged(device_key), "bad_signature"),
        ("unknown", "pole-42", unknown, "unknown_device"),
        ("tampered", DEVICE, _tampered(device_key), "file_mismatch"),
        ("extra file", DEVICE, _extra_file(device_key), "file_unlisted"),
        ("oversize", DEVICE, oversize, "too_large"),
        ("not json", DEVICE, b"\xff\xfe not json {", "bad_payload"),
        # nesting deep enough to hit RecursionError: the codec reports it as a bad payload
        ("deep json", DEVICE, b"[" * 100_000 + b"]" * 100_000, "bad_payload"),
        (
            "bad manifest",
            DEVICE,
            json.dumps(
                {
                    "format": "honkwatch-bundle/1",
                    "manifest": base64.b64encode(b'{"id": "x"}').decode(),
                    "signature": base64.b64encode(b"s" * 64).decode(),
                    "files": {},
                }
            ).encode(),
            "bad_manifest",
        ),
        ("mismatch", DEVICE, mismatch, "device_mismatch"),
        ("revoked", "pole-99", revoked, "revoked_device"),
        ("nan", DEVICE, _nan_manifest(device_key), "bad_manifest"),
    ]
    good_id, good = sample_bundle(device_key, DEVICE, scale=0.01)
    devices = sorted({d for _, d, _, _ in cases})
    client = DeviceClient([_topic(server_config, "ack", d) for d in devices])
    try:
        for _, dev, payload, _ in cases:
            client.publish(_topic(server_config, "evidence", dev), payload)
        client.publish(_topic(server_config, "evidence"), good)
        acks = [client.next_json(timeout=20) for _ in range(len(cases) + 1)]
    finally:
        client.close()
    assert acks[-1] == {"ids": [good_id], "status": "stored"}, "the worker kept working after bad input"
    assert all(a["status"] == "rejected" and a["reason"] for a in acks[:-1])
    with sessions() as s:
        rows = s.scalars(select(Quarantine).order_by(Quarantine.id)).all()
        assert [r.reason_code for r in rows] == [code for *_, code in cases]
        media = FileMediaStore(server_config.media.root)
        for row, (label, dev, payload, _) in zip(rows, cases, strict=True):
            assert row.reason, label
            assert row.size == len(payload), label
            assert row.device_id == dev, label
            assert media.get(row.payload_sha256) == payload, f"{label}: raw bytes kept"
        assert s.scalar(select(func.count()).select_from(Case)) == 1


def test_ack_is_sent_only_after_the_commit(server_config, sessions, device_key, worker):
    """When the device sees its ack, a separate database connection already sees the row."""
    seen: list[bool] = []
    observer = make_engine(server_config.database.url, schema=server_config.database.pg_schema)
    observe = session_factory(observer)

    def check(msg) -> None:
        ack = json.loads(msg.payload)
        with observe() as s:
            seen.append(all(s.get(Case, i) is not None for i in ack["ids"]))

    client = DeviceClient([_topic(server_config, "ack")])
    client.on_message_hook = check
    ids = []
    try:
        for _ in range(5):
            evidence_id, payload = sample_bundle(device_key, DEVICE, scale=0.01)
            ids.append(evidence_id)
            client.publish(_topic(server_config, "evidence"), payload)
        acks = [client.next_json() for _ in ids]
    finally:
        client.close()
        observer.dispose()
    assert sorted(a["ids"][0] for a in acks) == sorted(ids)
    assert seen == [True] * 5


def test_two_ingests_racing_on_one_id_store_it_once(server_config, sessions, device_key):
    media = FileMediaStore(server_config.media.root)
    ingests = [EvidenceIngest(sessions, media, 8 * 1024 * 1024) for _ in range(2)]
    topic = _topic(server_config, "evidence")
    for _ in range(4):
        _, payload = sample_bundle(device_key, DEVICE, scale=0.01)
        barrier = threading.Barrier(2)
        results: list[str] = []

        def run(ingest: EvidenceIngest, payload: bytes = payload, barrier=barrier, results=results) -> None:
            barrier.wait()
            results.append(ingest.handle(topic, DEVICE, payload).status)

        threads = [threading.Thread(target=run, args=(i,)) for i in ingests]
        for t in threads:
            t.start()
        for t in threads:
            t.join(20)
        assert sorted(results) == ["duplicate", "stored"]
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Case)) == 4


def test_same_id_with_other_content_is_quarantined(server_config, sessions, device_key):
    ingest = EvidenceIngest(sessions, FileMediaStore(server_config.media.root), 8 * 1024 * 1024)
    topic = _topic(server_config, "evidence")
    evidence_id, first = sample_bundle(device_key, DEVICE, scale=0.01)
    _, second = sample_bundle(device_key, DEVICE, scale=0.01, evidence_id=evidence_id)
    assert ingest.handle(topic, DEVICE, first).status == "stored"
    ack = ingest.handle(topic, DEVICE, second)
    assert (ack.status, ack.reason_code, ack.ids) == ("rejected", "id_conflict", [evidence_id])
    with sessions() as s:
        assert s.scalar(select(Quarantine.reason_code)) == "id_conflict"


def test_two_workers_share_the_subscription(server_config, sessions, device_key):
    workers = [IngestWorker(server_config) for _ in range(2)]
    for w in workers:
        w.start()
    client = DeviceClient([_topic(server_config, "ack")])
    try:
        assert all(w.ready.wait(10) for w in workers)
        bundles = [sample_bundle(device_key, DEVICE, scale=0.01) for _ in range(20)]
        for _, payload in bundles + bundles[:5]:  # five delivered twice
            client.publish(_topic(server_config, "evidence"), payload)
        acks = [client.next_json(timeout=20) for _ in range(25)]
    finally:
        client.close()
        for w in workers:
            w.stop()
    assert sorted(a["status"] for a in acks).count("stored") == 20
    assert sum(a["status"] == "duplicate" for a in acks) == 5
    assert all(w.counts["stored"] + w.counts["duplicate"] > 0 for w in workers), "both workers took load"
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Case)) == 20


def test_status_and_heartbeat_are_recorded(server_config, sessions, device_key, worker):
    client = DeviceClient()
    try:
        client.publish(_topic(server_config, "status"), "online", retain=True)
        health = {
            "device": DEVICE,
            "time_utc": "2026-11-28T09:15:03.412Z",
            "queue_depth": 3,
            "dead_channels": [5, 17],
            "clock": {"synced": True, "offset_s": 0.004},
            "conditions": [
                "audio silent: no channel above -120 dBFS in 100% of the audio since the last heartbeat"
            ],
            "enforcing": True,
        }
        client.publish(_topic(server_config, "health"), json.dumps(health), qos=0)
        client.publish(_topic(server_config, "health"), b"{broken", qos=0)
        # A condition that is not text, or too long, would reach the status page: refused like
        # broken JSON.
        client.publish(
            _topic(server_config, "health"), json.dumps({"device": DEVICE, "conditions": [5]}), qos=0
        )
        huge = {"device": DEVICE, "conditions": ["camera " + "x" * 100_000]}  # would flood the page
        client.publish(_topic(server_config, "health"), json.dumps(huge), qos=0)

        def recorded() -> bool:
            with sessions() as s:
                d = s.get(Device, DEVICE)
                n = s.scalar(select(func.count()).select_from(Quarantine))
                return d.status == "online" and d.last_health is not None and n == 3

        _wait_for(recorded)
        client.publish(_topic(server_config, "status"), "offline", retain=True)

        def offline() -> bool:
            with sessions() as s:
                return s.get(Device, DEVICE).status == "offline"

        _wait_for(offline)
        client.publish(_topic(server_config, "status"), b"", retain=True)  # clear the retained message
        _wait_for(lambda: worker.counts["status"] == 3)
    finally:
        client.close()
    with sessions() as s:
        d = s.get(Device, DEVICE)
        assert d.queue_depth == 3 and d.dead_channels == [5, 17] and d.clock_offset_s == pytest.approx(0.004)
        assert d.last_health["enforcing"] is True and d.last_seen is not None
        assert d.last_health["conditions"][0].startswith("audio silent")
        assert s.scalars(select(Quarantine.reason_code)).all() == ["bad_health"] * 3


def test_mqtt_3_1_1_without_shared_subscription(server_config, sessions, device_key):
    """The setting the demo's amqtt broker needs: protocol 3.1.1, one worker, plain subscription."""
    server_config.mqtt.protocol = "3.1.1"
    server_config.mqtt.shared = False
    worker = IngestWorker(server_config)
    worker.start()
    client = DeviceClient([_topic(server_config, "ack")])
    try:
        assert worker.ready.wait(10)
        client.publish(_topic(server_config, "status"), "online")
        evidence_id, payload = sample_bundle(device_key, DEVICE, scale=0.01)
        client.publish(_topic(server_config, "evidence"), payload)
        ack = client.next_json()
    finally:
        client.close()
        worker.stop()
    assert ack == {"ids": [evidence_id], "status": "stored"}
    with sessions() as s:
        assert s.get(Device, DEVICE).status == "online"


def test_database_failure_sends_no_ack_and_the_worker_carries_on(server_config, sessions, device_key, worker):
    """With the cases table gone the insert fails: no ack (the device keeps the bundle), no crash."""
    engine = make_engine(server_config.database.url, schema=server_config.database.pg_schema)
    client = DeviceClient([_topic(server_config, "ack")])
    try:
        with engine.begin() as conn:
            conn.execute(text("ALTER TABLE cases RENAME TO cases_away"))
        evidence_id, payload = sample_bundle(device_key, DEVICE, scale=0.01)
        client.publish(_topic(server_config, "evidence"), payload)
        _wait_for(lambda: worker.counts["error"] == 1)
        assert client.messages.empty(), "no ack without a commit"
        with engine.begin() as conn:
            conn.execute(text("ALTER TABLE cases_away RENAME TO cases"))
        client.publish(_topic(server_config, "evidence"), payload)  # the outbox retries
        assert client.next_json() == {"ids": [evidence_id], "status": "stored"}
    finally:
        client.close()
        engine.dispose()
