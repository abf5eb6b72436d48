"""Sends the outbox to the server over MQTT and frees entries when the server acks them.

paho-mqtt keeps its session in memory only, so durability is the outbox's job: the publisher
only ever sends what is already on disk, resends everything still pending after each
(re)connect and after `resend_after_s` without an ack, and marks an entry done only on the
server's ack. Duplicates on the wire are therefore possible and harmless (the server is
idempotent on the evidence id); lost evidence is not.

A persistent session (MQTT 5 `clean_start=False` with a session expiry, or 3.1.1
`clean_session=False`) lets the broker queue acks and config sent while the node was away.
A missing broker is a *degraded* state, reported by `status()` and logged once per change,
while paho retries with exponential backoff; it never raises into the run loop.
"""

from __future__ import annotations

import contextlib
import json
import logging
import ssl
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from pydantic import BaseModel, ConfigDict, Field, FilePath, model_validator

from edge.evidence.bundle import DEFAULT_MAX_BYTES
from edge.transport.messages import TOPIC_PREFIX, Topics, encode_json, parse_ack
from edge.transport.outbox import Outbox
from edge.transport.remote_config import describe_error

log = logging.getLogger(__name__)


class MqttSettings(BaseModel):
    """Broker connection and publishing policy; unknown keys are an error (typos surface at start)."""

    model_config = ConfigDict(extra="forbid")

    host: str = "127.0.0.1"
    port: int = Field(1883, ge=1, le=65535)
    protocol: Literal["5", "3.1.1"] = "5"
    client_id: str | None = None  # default: honkwatch-edge-{device}; must be stable for the session
    username: str | None = None
    password: str | None = None
    tls: bool = False
    ca_file: FilePath | None = None
    cert_file: FilePath | None = None
    key_file: FilePath | None = None
    tls_insecure: bool = False  # skip host name check (lab brokers with IP-only certs)
    keepalive_s: int = Field(30, ge=5)
    session_expiry_s: int = Field(7 * 24 * 3600, ge=0)
    reconnect_min_s: float = Field(1.0, gt=0)
    reconnect_max_s: float = Field(60.0, gt=0)
    topic_prefix: str = TOPIC_PREFIX
    max_in_flight: int = Field(4, ge=1)  # bundles sent but not yet acked by the server
    resend_after_s: float = Field(120.0, gt=0)
    health_interval_s: float = Field(30.0, gt=0)
    # Larger bundles would make the broker drop the connection on every retry, blocking the queue.
    max_payload_bytes: int = Field(DEFAULT_MAX_BYTES, ge=1024)

    @model_validator(mode="after")
    def _consistent(self) -> MqttSettings:
        if self.password is not None and self.username is None:
            raise ValueError("password given without username")
        if (self.cert_file is None) != (self.key_file is None):
            raise ValueError("cert_file and key_file go together (client certificate)")
        if self.reconnect_max_s < self.reconnect_min_s:
            raise ValueError("reconnect_max_s is below reconnect_min_s")
        return self


class PayloadTooLarge(ValueError):
    """A bundle the broker or server would refuse; the builder must leave out optional files."""


@dataclass(frozen=True)
class LinkStatus:
    state: Literal["connecting", "online", "degraded", "stopped"]
    connected: bool
    last_error: str | None
    connects: int
    acks: int
    bad_messages: int


ConfigCallback = Callable[[Mapping[str, Any]], None]
HealthSource = Callable[[], Mapping[str, Any]]


class Publisher:
    """One device's MQTT link: evidence out, acks and config in, status and heartbeat."""

    def __init__(
        self,
        device: str,
        settings: MqttSettings,
        outbox: Outbox,
        *,
        health: HealthSource | None = None,
        on_config: ConfigCallback | None = None,
    ) -> None:
        self.device = device
        self.settings = settings
        self.outbox = outbox
        self.topics = Topics(device, settings.topic_prefix)
        self._health = health
        self._on_config = on_config
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._in_flight: dict[str, float] = {}
        self._connected = False
        self._subscribed = False
        self._subscribe_mid = -1
        self._state: Literal["connecting", "online", "degraded", "stopped"] = "connecting"
        self._last_error: str | None = None
        self._connects = 0
        self._acks = 0
        self._bad_messages = 0
        self.config_error: str | None = None
        self._sender: threading.Thread | None = None
        self._client = self._make_client()

    # ----- lifecycle -----

    def _make_client(self) -> mqtt.Client:
        s = self.settings
        client_id = s.client_id or f"honkwatch-edge-{self.device}"
        if s.protocol == "5":
            client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
        else:
            client = mqtt.Client(
                CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv311, clean_session=False
            )
        if s.username is not None:
            client.username_pw_set(s.username, s.password)
        if s.tls:
            client.tls_set(
                ca_certs=str(s.ca_file) if s.ca_file else None,
                certfile=str(s.cert_file) if s.cert_file else None,
                keyfile=str(s.key_file) if s.key_file else None,
                cert_reqs=ssl.CERT_REQUIRED,
            )
            client.tls_insecure_set(s.tls_insecure)
        client.will_set(self.topics.status, "offline", qos=1, retain=True)
        client.reconnect_delay_set(s.reconnect_min_s, s.reconnect_max_s)  # type: ignore[arg-type]
        client.on_connect = self._handle_connect
        client.on_connect_fail = self._handle_connect_fail
        client.on_disconnect = self._handle_disconnect
        client.on_subscribe = self._handle_subscribe
        # An exception in a callback (a full disk in mark_acked, a config listener's bug) must be
        # logged, not end paho's network thread and with it the whole link.
        client.suppress_exceptions = True
        client.on_message = self._handle_message
        return client

    def start(self) -> None:
        """Connect in the background (retrying with backoff) and start sending the outbox."""
        s = self.settings
        if s.protocol == "5":
            props = Properties(PacketTypes.CONNECT)
            props.SessionExpiryInterval = s.session_expiry_s
            self._client.connect_async(s.host, s.port, s.keepalive_s, clean_start=False, properties=props)
        else:
            self._client.connect_async(s.host, s.port, s.keepalive_s)
        self._client.loop_start()
        self._sender = threading.Thread(target=self._send_loop, name="honkwatch-publisher", daemon=True)
        self._sender.start()

    def stop(self, timeout_s: float = 3.0) -> None:
        """Say `offline` (a clean disconnect sends no will) and close; pending evidence stays on disk."""
        self._stopping.set()
        self._wake.set()
        if self._sender is not None:
            self._sender.join(timeout_s)
        if self._connected:
            info = self._client.publish(self.topics.status, "offline", qos=1, retain=True)
            if info.rc == mqtt.MQTT_ERR_SUCCESS:
                with contextlib.suppress(RuntimeError, ValueError):  # the link may drop meanwhile
                    info.wait_for_publish(timeout_s)
        self._client.disconnect()
        self._client.loop_stop()
        with self._lock:
            self._state = "stopped"
            self._connected = False

    # ----- the run loop's side -----

    def submit(self, evidence_id: str, payload: bytes) -> bool:
        """Write the bundle to the outbox (durably) and let the sender pick it up; False if known."""
        if len(payload) > self.settings.max_payload_bytes:
            raise PayloadTooLarge(
                f"bundle {evidence_id} is {len(payload)} bytes, over the {self.settings.max_payload_bytes} limit"
            )
        added = self.outbox.put(evidence_id, payload)
        self._wake.set()
        return added

    def status(self) -> LinkStatus:
        with self._lock:
            return LinkStatus(
                state=self._state,
                connected=self._connected,
                last_error=self._last_error,
                connects=self._connects,
                acks=self._acks,
                bad_messages=self._bad_messages,
            )

    def wait_connected(self, timeout_s: float) -> bool:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.status().connected:
                return True
            time.sleep(0.02)
        return False

    # ----- paho callbacks (network thread) -----

    def _set_degraded(self, error: str) -> None:
        with self._lock:
            changed = self._state != "degraded" or self._last_error != error
            self._state = "degraded"
            self._connected = False
            self._last_error = error
        if changed:
            pending = self.outbox.stats().pending
            log.warning("MQTT link degraded: %s (%d bundle(s) kept in the outbox)", error, pending)

    def _handle_connect(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, props: Any
    ) -> None:
        if reason.is_failure:
            self._set_degraded(f"broker refused connection: {reason}")
            return
        client.publish(self.topics.status, "online", qos=1, retain=True)
        with self._lock:
            self._connected = True
            self._subscribed = False
            self._state = "online"
            self._last_error = None
            self._connects += 1
            self._in_flight.clear()  # anything unacked is resent on this connection
            _, self._subscribe_mid = client.subscribe([(self.topics.ack, 1), (self.topics.config, 1)])
        log.info("MQTT connected to %s:%d", self.settings.host, self.settings.port)

    def _handle_subscribe(self, client: mqtt.Client, userdata: Any, mid: int, codes: Any, props: Any) -> None:
        """Sending starts only now: the broker delivers acks queued in our session before the SUBACK,
        so entries the server acked while the node was down are not sent again."""
        with self._lock:
            if mid != self._subscribe_mid:
                return
            self._subscribed = True
        refused = [str(c) for c in codes if c.is_failure]
        if refused:
            log.error(
                "broker refused the ack/config subscription (%s): acks cannot arrive", ", ".join(refused)
            )
        self._wake.set()

    def _handle_connect_fail(self, client: mqtt.Client, userdata: Any) -> None:
        self._set_degraded(f"cannot reach broker {self.settings.host}:{self.settings.port}")

    def _handle_disconnect(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, props: Any
    ) -> None:
        if self._stopping.is_set():
            return
        with self._lock:
            keep_cause = not self._connected and self._last_error is not None
        if not keep_cause:  # a refused CONNACK is followed by a disconnect; the refusal is the news
            self._set_degraded(f"disconnected from broker: {reason}")

    def _handle_message(self, client: mqtt.Client, userdata: Any, msg: mqtt.MQTTMessage) -> None:
        if msg.topic == self.topics.ack:
            self._apply_ack(msg.payload)
        elif msg.topic == self.topics.config:
            self._apply_config(msg.payload)

    def _apply_ack(self, payload: bytes) -> None:
        try:
            ack = parse_ack(payload)
        except ValueError as exc:
            with self._lock:
                self._bad_messages += 1
            log.warning("ignoring ack: %s", exc)
            return
        done = self.outbox.mark_acked(ack.ids, ack.status, ack.reason)
        if ack.status == "rejected":
            log.error("server rejected %s: %s", ", ".join(ack.ids), ack.reason)
        with self._lock:
            self._acks += len(done)
            for evidence_id in ack.ids:
                self._in_flight.pop(evidence_id, None)
        self._wake.set()

    def _apply_config(self, payload: bytes) -> None:
        """Hand a retained partial config to the run loop; a bad one is reported, never applied."""
        if not payload or self._on_config is None:
            return  # an empty retained message clears the topic
        try:
            doc = json.loads(payload)
            if not isinstance(doc, dict):
                raise ValueError("config must be a JSON object")
            self._on_config(doc)
        except Exception as exc:  # json and pydantic errors, or the run loop refusing it
            self.config_error = describe_error(exc)[:300]
            log.error("remote config not applied: %s", self.config_error)
            return
        self.config_error = None
        log.info("remote config applied: %s", sorted(doc))

    # ----- sender thread -----

    def _send_loop(self) -> None:
        next_health = time.monotonic()
        while not self._stopping.is_set():
            self._wake.wait(timeout=0.5)
            self._wake.clear()
            with self._lock:
                ready = self._connected and self._subscribed
            if self._stopping.is_set() or not ready:
                continue
            try:
                self._send_pending()
                if self._health is not None and time.monotonic() >= next_health:
                    next_health = time.monotonic() + self.settings.health_interval_s
                    self._publish_health()
            except Exception:  # the link must outlive any one bad entry or callback
                log.exception("publisher loop error")

    def _send_pending(self) -> None:
        now = time.monotonic()
        with self._lock:
            stale = [i for i, t in self._in_flight.items() if now - t >= self.settings.resend_after_s]
            for evidence_id in stale:
                del self._in_flight[evidence_id]
            room = self.settings.max_in_flight - len(self._in_flight)
            busy = set(self._in_flight)
        if room <= 0:
            return
        for entry in self.outbox.pending(limit=room + len(busy)):
            if room <= 0:
                break
            if entry.id in busy:
                continue
            payload = self.outbox.payload(entry.id)
            if payload is None:
                continue  # acked meanwhile
            info = self._client.publish(self.topics.evidence, payload, qos=1)
            if info.rc != mqtt.MQTT_ERR_SUCCESS:
                return  # link dropped; everything pending is resent on reconnect
            with self._lock:
                self._in_flight[entry.id] = now
            room -= 1

    def _publish_health(self) -> None:
        assert self._health is not None
        doc = dict(self._health())
        doc["config_error"] = self.config_error
        self._client.publish(self.topics.health, encode_json(doc), qos=0)
