"""Remote config: a retained partial config is merged, validated whole, and applied without restart."""

import json
import threading

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from transport_support import SHARED_HOST, SHARED_PORT, clean_shared_broker, unique_device, wait_for

from edge.transport.messages import Topics
from edge.transport.outbox import Outbox
from edge.transport.publisher import MqttSettings, Publisher
from edge.transport.remote_config import RemoteConfig, deep_merge


class Detector(BaseModel):
    model_config = ConfigDict(extra="forbid")
    threshold: float = Field(0.7, ge=0, le=1)
    min_duration_s: float = 0.2


class Enforcement(BaseModel):
    model_config = ConfigDict(extra="forbid")
    hours: list[str] = ["07:00-22:00"]


class NodeConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    detector: Detector = Detector()
    enforcement: Enforcement = Enforcement()


def test_deep_merge_recurses_into_objects_and_replaces_lists():
    base = {"detector": {"threshold": 0.7, "min_duration_s": 0.2}, "enforcement": {"hours": ["a", "b"]}}
    merged = deep_merge(base, {"detector": {"threshold": 0.8}, "enforcement": {"hours": ["c"]}})
    assert merged == {"detector": {"threshold": 0.8, "min_duration_s": 0.2}, "enforcement": {"hours": ["c"]}}
    assert base["detector"]["threshold"] == 0.7, "the base is not modified"


def test_bad_partial_is_rejected_with_its_path_and_the_old_config_kept():
    seen = []
    live = RemoteConfig(NodeConfig(), on_change=seen.append)
    live.apply({"detector": {"threshold": 0.85}})
    assert live.current.detector.threshold == 0.85 and live.current.detector.min_duration_s == 0.2
    with pytest.raises(ValidationError, match="detector.threshold"):
        live.apply({"detector": {"threshold": 7}})
    with pytest.raises(ValidationError, match="treshold"):
        live.apply({"detector": {"treshold": 0.5}})
    assert live.current.detector.threshold == 0.85
    assert [c.detector.threshold for c in seen] == [0.85]


def _publish_retained(topic: str, doc: object) -> None:
    client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    client.connect(SHARED_HOST, SHARED_PORT)
    client.loop_start()
    client.publish(topic, json.dumps(doc), qos=1, retain=True).wait_for_publish(5)
    client.disconnect()
    client.loop_stop()


def test_retained_config_topic_is_applied_live_and_a_bad_one_is_reported(tmp_path):
    device = unique_device()
    topics = Topics(device)
    _publish_retained(
        topics.config, {"detector": {"threshold": 0.9}, "enforcement": {"hours": ["08:00-20:00"]}}
    )
    changed = threading.Event()
    live = RemoteConfig(NodeConfig(), on_change=lambda cfg: changed.set())
    health_seen: list[dict] = []
    outbox = Outbox(tmp_path / "o.db", quota_bytes=1_000_000)
    settings = MqttSettings(
        reconnect_min_s=0.1, reconnect_max_s=0.5, health_interval_s=0.2, session_expiry_s=60
    )
    pub = Publisher(device, settings, outbox, health=lambda: {"device": device}, on_config=live.apply)
    watcher = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    watcher.on_message = lambda c, u, m: health_seen.append(json.loads(m.payload))
    watcher.connect(SHARED_HOST, SHARED_PORT)
    watcher.subscribe(topics.health, 0)
    watcher.loop_start()
    try:
        pub.start()
        assert changed.wait(10), "the retained config was not applied at connect"
        assert live.current.detector.threshold == 0.9
        assert live.current.enforcement.hours == ["08:00-20:00"]
        _publish_retained(topics.config, {"detector": {"threshold": "high"}})
        wait_for(lambda: pub.config_error is not None, 5, "the bad config to be reported")
        assert "detector.threshold" in pub.config_error
        assert live.current.detector.threshold == 0.9, "a bad config is not applied"
        wait_for(lambda: any(h.get("config_error") for h in health_seen), 5, "config_error in the heartbeat")
        _publish_retained(topics.config, {"detector": {"threshold": 0.6}})
        wait_for(lambda: live.current.detector.threshold == 0.6, 5, "a corrected config")
        assert pub.config_error is None
    finally:
        pub.stop()
        watcher.disconnect()
        watcher.loop_stop()
        clean_shared_broker(SHARED_HOST, SHARED_PORT, device)
