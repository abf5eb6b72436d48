"""The ingest worker: a paho-mqtt client that feeds device messages to the ingest and acks.

Subscriptions (``{root}`` is ``honkwatch/v1``):
- ``$share/{group}/{root}/+/evidence`` QoS 1: shared, so N workers split the bundles.
- ``$share/{group}/{root}/+/health`` QoS 0: shared, each heartbeat recorded once.
- ``{root}/+/status`` QoS 1, not shared: retained statuses are only delivered to plain
  subscriptions, and every worker must learn them at start.
With ``mqtt.shared = false`` (brokers without shared subscriptions, e.g. the demo's amqtt on
MQTT 3.1.1) the first two are plain subscriptions too, and only one worker may run.

Messages are handled on paho's network thread, one at a time, so the broker's PUBACK for an
evidence message follows our database commit. The device's own ack (``{root}/{device}/ack``)
is published only after the commit too; the device frees its outbox on that ack, not on the
broker's PUBACK. Nothing a device sends can stop the worker: every failure is logged, and an
unusable message is quarantined.
"""

from __future__ import annotations

import logging
import os
import socket
import ssl
import threading
import uuid
from collections import Counter

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from server.config import ServerConfig
from server.ingest.evidence import Ack, EvidenceIngest
from server.ingest.rejected import Rejected
from server.ingest.status import DeviceStatusRecorder
from server.ingest.topics import device_topic, parse_topic, wildcard
from server.media import FileMediaStore, MediaStore
from server.storage.db import init_db, make_engine, session_factory

log = logging.getLogger(__name__)


class IngestWorker:
    """One ingest process's MQTT client; `start()` connects, `stop()` disconnects cleanly."""

    def __init__(self, config: ServerConfig, media: MediaStore | None = None) -> None:
        self.config = config
        engine = make_engine(config.database.url, schema=config.database.pg_schema)
        init_db(engine)
        self.engine = engine
        sessions = session_factory(engine)
        self.evidence = EvidenceIngest(
            sessions, media or FileMediaStore(config.media.root), config.ingest.max_payload_bytes
        )
        self.status = DeviceStatusRecorder(sessions)
        self.counts: Counter[str] = Counter()
        self.ready = threading.Event()
        self._persistent = config.mqtt.client_id is not None
        self._v5 = config.mqtt.protocol == "5"
        self._client = self._make_client()

    # ----------------------------------------------------------------- lifecycle

    def _make_client(self) -> mqtt.Client:
        cfg = self.config.mqtt
        client_id = (
            cfg.client_id or f"honk-ingest-{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        )
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=client_id,
            protocol=MQTTProtocolVersion.MQTTv5 if self._v5 else MQTTProtocolVersion.MQTTv311,
            clean_session=None if self._v5 else not self._persistent,
        )
        if cfg.username is not None:
            client.username_pw_set(cfg.username, cfg.read_password())
        if cfg.tls_ca is not None:
            client.tls_set(
                ca_certs=str(cfg.tls_ca),
                certfile=str(cfg.tls_cert) if cfg.tls_cert else None,
                keyfile=str(cfg.tls_key) if cfg.tls_key else None,
                tls_version=ssl.PROTOCOL_TLS_CLIENT,
            )
        client.on_connect = self._on_connect
        client.on_subscribe = self._on_subscribe
        client.on_message = self._on_message
        client.on_disconnect = self._on_disconnect
        return client

    def start(self) -> None:
        """Connect and start the network thread; returns at once (see `ready`)."""
        cfg = self.config.mqtt
        if self._v5:
            props = Properties(PacketTypes.CONNECT)
            props.SessionExpiryInterval = cfg.session_expiry_s if self._persistent else 0
            self._client.connect_async(
                cfg.host,
                cfg.port,
                keepalive=cfg.keepalive_s,
                clean_start=not self._persistent,
                properties=props,
            )
        else:  # 3.1.1 carries the session choice in the client (clean_session)
            self._client.connect_async(cfg.host, cfg.port, keepalive=cfg.keepalive_s)
        self._client.loop_start()

    def stop(self) -> None:
        """Disconnect and wait for the network thread."""
        self._client.disconnect()
        self._client.loop_stop()
        self.engine.dispose()

    # ----------------------------------------------------------------- callbacks

    def _on_connect(self, client: mqtt.Client, _userdata, _flags, reason_code, _props) -> None:
        if reason_code.is_failure:
            log.error("broker refused the connection: %s", reason_code)
            return
        cfg = self.config.mqtt
        share = f"$share/{cfg.share_group}/" if cfg.shared else ""
        client.subscribe(
            [
                (share + wildcard("evidence", cfg.topic_root), 1),
                (share + wildcard("health", cfg.topic_root), 0),
                (wildcard("status", cfg.topic_root), 1),
            ]
        )
        log.info("connected to %s:%d, subscribing", cfg.host, cfg.port)

    def _on_subscribe(self, _client, _userdata, _mid, reason_codes, _props) -> None:
        failed = [rc for rc in reason_codes if rc.is_failure]
        if failed:
            log.error("subscription refused by the broker: %s", failed)
            return
        self.ready.set()

    def _on_disconnect(self, _client, _userdata, _flags, reason_code, _props) -> None:
        self.ready.clear()
        if reason_code.is_failure:
            log.warning("disconnected from the broker (%s); paho reconnects", reason_code)

    def _on_message(self, client: mqtt.Client, _userdata, msg: mqtt.MQTTMessage) -> None:
        try:
            self.handle(msg.topic, msg.payload, retained=bool(msg.retain))
        except Exception:
            self.counts["error"] += 1
            log.exception("could not handle a message on %s; no ack sent, the device will retry", msg.topic)

    # ----------------------------------------------------------------- dispatch

    def handle(self, topic: str, payload: bytes, retained: bool = False) -> None:
        """Route one message; publishes the evidence ack after the outcome is committed."""
        root = self.config.mqtt.topic_root
        parsed = parse_topic(topic, root)
        if parsed is None:
            self.counts["ignored"] += 1
            log.warning("ignoring a message on an unexpected topic %s", topic)
            return
        if parsed.kind == "evidence":
            ack = self.evidence.handle(topic, parsed.device, payload)
            self._send_ack(ack)
            self.counts[ack.status] += 1
            return
        try:
            if parsed.kind == "status":
                self.status.record_status(parsed.device, payload, retained)
            elif parsed.kind == "health":
                self.status.record_health(parsed.device, payload)
            self.counts[parsed.kind] += 1
        except Rejected as exc:
            self.counts["rejected"] += 1
            if retained:  # replayed by the broker on every (re)subscribe: quarantined when first sent
                log.info("ignoring retained %s of %s: %s", parsed.kind, parsed.device, exc.reason)
                return
            self.evidence.quarantine(topic, parsed.device, payload, exc.code, exc.reason)

    def _send_ack(self, ack: Ack) -> None:
        topic = device_topic(ack.device, "ack", self.config.mqtt.topic_root)
        self._client.publish(topic, ack.payload(), qos=1)
