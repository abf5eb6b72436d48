"""The whole node on a simulated scene in real time: evidence, heartbeat, remote config, hours, SIGTERM."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from node_support import Recorder, make_key, simulate, unique_device

from edge.config import NodeConfig
from edge.evidence import unpack_bundle, verify_bundle
from edge.evidence.builder import picture_time
from edge.evidence.keys import load_or_create_key
from edge.node.assemble import assemble
from edge.scene import load_scene
from edge.transport.outbox import Outbox


@pytest.fixture(scope="module")
def scene(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return simulate(tmp_path_factory.mktemp("node") / "scene")


def offline_node_toml(tmp_path: Path) -> Path:
    """A config file for `honk-edge run`: no broker, outbox at `tmp_path/o.sqlite3`."""
    path = tmp_path / "node.toml"
    path.write_text(
        f'[device]\nid = "{unique_device()}"\nzone = "z"\nprofile = "pole-spiral64"\n'
        f'key_file = "{make_key(tmp_path)}"\n[broker]\nenabled = false\n[outbox]\npath = "{tmp_path / "o.sqlite3"}"\n'
    )
    return path


def node_config(tmp_path: Path, device: str, **sections: dict) -> NodeConfig:
    base: dict = {
        "device": {
            "id": device,
            "zone": "z-test",
            "profile": "pole-spiral64",
            "key_file": str(make_key(tmp_path)),
        },
        "outbox": {"path": str(tmp_path / "outbox.sqlite3")},
        "health": {"interval_s": 1.0},
    }
    base.update(sections)
    return NodeConfig.model_validate(base)


def test_evidence_heartbeat_and_remote_config_over_mqtt(scene: Path, tmp_path: Path) -> None:
    device = unique_device()
    rec = Recorder(device)
    config_topic = f"honkwatch/v1/{device}/config"
    try:
        # A retained push waiting before the node starts: applied without restart.
        rec.publish(config_topic, json.dumps({"detector": {"threshold": 0.45}}).encode(), retain=True)
        cfg = node_config(tmp_path, device)
        running = assemble(cfg, scene=load_scene(scene))
        closed: list = []
        running.node.on_event = lambda event, evidence: closed.append(event)
        stats = running.node.run()
        running.publisher.wait_connected(5)
        evidence = rec.wait_for("evidence", timeout=10)
        health = rec.wait_for("health", timeout=5)
        live = running.node.live
        running.shutdown()
    finally:
        rec.publish(config_topic, b"", retain=True)
        rec.close()
    assert stats.events >= 1 and stats.evidence == stats.events
    assert stats.config_changes >= 1 and live.detector.threshold == 0.45
    assert len(evidence) >= 1
    bundle = unpack_bundle(evidence[0])
    assert bundle.manifest.device == device and bundle.manifest.zone == "z-test"
    assert {"wide.jpg", "reference.flac"} <= set(bundle.files)
    # Sound and image agree on the stream clock: the photo is the frame at the horn's picture time,
    # and that frame shows the world at its own stamp (scene video: frame k at start_s + k / fps).
    event = min(closed, key=lambda e: abs(e.t_start - bundle.manifest.event.stream_t_start))
    frame_t = bundle.manifest.model_dump()["capture"]["camera"]["frame_stream_t"]
    assert abs(frame_t - picture_time(event)) <= 0.020
    sc = load_scene(scene)
    k = (frame_t - sc.video_start_s) * 25.0
    assert abs(k - round(k)) * 40.0 < 1.0  # within 1 ms of a frame's true time
    beat = json.loads(health[-1])
    assert beat["device"] == device and beat["camera_state"] in ("running", "ended")
    assert len(beat["channel_rms_db"]) == 4


def test_wind_that_suspends_enforcement_is_a_heartbeat_condition(scene: Path, tmp_path: Path) -> None:
    """Events in wind are not evidence; a zone in a gale (or with a torn windscreen) goes quiet, and
    the heartbeat says why. The calm scene raises no such condition."""
    windy = simulate(tmp_path / "windy", extra=("--wind", "16"))
    beats = {}
    for name, path in (("calm", scene), ("windy", windy)):
        cfg = node_config(tmp_path / name, unique_device(), health={"interval_s": 600.0})
        running = assemble(cfg, scene=load_scene(path))
        running.node.run()
        beats[name] = running.node.pipeline_health()  # the whole scene since the start-up beat
        running.shutdown()
    assert not any(c.startswith("wind") for c in beats["calm"].conditions)
    assert any(c.startswith("wind: enforcement suspended for") for c in beats["windy"].conditions)


def test_only_a_capture_fault_is_an_audio_condition(scene: Path, tmp_path: Path) -> None:
    """A beat sent while the capture starts or closes (a node restarting for maintenance) is no
    fault; a stalled or reopening capture is, with the seconds it lost."""
    running = assemble(node_config(tmp_path, unique_device()), scene=load_scene(scene))
    try:
        node = running.node
        for state in ("starting", "running", "closed"):
            node.source_status = lambda s=state: (s, 0, 0)
            assert not [c for c in node.pipeline_health().conditions if c.startswith("audio")], state
        node.source_status = lambda: ("reopening", 0, 96_000)
        assert node.pipeline_health().conditions[:2] == [
            "audio reopening",
            "audio dropped: 2.0 s lost since the last heartbeat",
        ]
        assert not node.pipeline_health().conditions[1:]  # nothing more lost since
    finally:
        running.shutdown()


def test_outside_enforcement_hours_only_statistics(scene: Path, tmp_path: Path) -> None:
    now = datetime.now(UTC)
    start, end = (now + timedelta(hours=2)).strftime("%H:00"), (now + timedelta(hours=3)).strftime("%H:00")
    cfg = node_config(
        tmp_path,
        unique_device(),
        broker={"enabled": False},
        camera={"enabled": False},
        enforcement={"timezone": "UTC", "hours": [f"{start}-{end}"]},
    )
    evidence_dir = tmp_path / "evidence"
    running = assemble(cfg, scene=load_scene(scene), evidence_dir=evidence_dir)
    stats = running.node.run()
    pending = running.outbox.stats().pending
    running.shutdown()
    assert stats.events >= 1 and stats.outside_hours == stats.events
    assert stats.evidence == 0 and pending == 0
    assert list(evidence_dir.iterdir()) == []
    assert sum(stats.events_by_hour.values()) == stats.events


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_stop_signal_stops_cleanly_and_systemd_hears_it(scene: Path, tmp_path: Path, sig: int) -> None:
    cfg_path = offline_node_toml(tmp_path)
    sock_path = tmp_path / "notify.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as server:
        server.bind(str(sock_path))
        server.settimeout(30)
        env = dict(os.environ, NOTIFY_SOCKET=str(sock_path), WATCHDOG_USEC="600000")
        proc = subprocess.Popen(
            [sys.executable, "-m", "edge.cli", "run", "--config", str(cfg_path), "--scene", str(scene)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        messages = [server.recv(200).decode()]
        assert messages[0].startswith("READY=1")
        messages.append(server.recv(200).decode())
        server.settimeout(1)  # the reader ends one second after the node's last message

        def read_like_systemd() -> None:  # systemd reads the socket all the time
            with contextlib.suppress(OSError):
                while True:
                    messages.append(server.recv(200).decode())

        reader = threading.Thread(target=read_like_systemd, daemon=True)
        reader.start()
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=30)
        reader.join(5)
    assert proc.returncode == 0, err[-2000:]
    assert "WATCHDOG=1" in messages and messages[-1] == "STOPPING=1"
    summary = json.loads(out.strip().splitlines()[-1])
    assert summary["blocks"] > 0
    # Stopped early: fewer blocks than the whole scene holds.
    assert summary["blocks"] < load_scene(scene).frames / 2400
    assert "Traceback" not in err


class _SignalInsideRead:
    """The scene's sound file, with a stop request arriving inside `read`, as SIGTERM can."""

    def __init__(self, file: object, on_read: object) -> None:
        self._file = file
        self._on_read = on_read
        self.reads = 0

    def read(self, *args: object, **kwargs: object) -> object:
        self.reads += 1
        if self.reads == 3:
            self._on_read()
        return self._file.read(*args, **kwargs)

    def __getattr__(self, name: str) -> object:
        return getattr(self._file, name)


def test_a_stop_arriving_inside_a_read_ends_the_run_cleanly(scene: Path, tmp_path: Path) -> None:
    cfg = node_config(tmp_path, unique_device(), broker={"enabled": False})
    running = assemble(cfg, scene=load_scene(scene))
    scene_source = running.node.source.inner
    file = _SignalInsideRead(scene_source._file, running.node.request_stop)
    scene_source._file = file
    stats = running.node.run()
    running.shutdown()
    # The read under way finished with its file still open; the run stopped after it.
    assert file.reads == 3 and stats.blocks == 2
    assert scene_source._closed


def test_threads_are_not_left_running(scene: Path, tmp_path: Path) -> None:
    cfg = node_config(tmp_path, unique_device(), broker={"enabled": False})
    before = {t.name for t in threading.enumerate()}
    running = assemble(cfg, scene=load_scene(scene))
    running.node.run()
    running.shutdown()
    after = {t.name for t in threading.enumerate() if t.is_alive()}
    assert not {n for n in after - before if n.startswith("honkwatch")}


def test_a_power_cut_before_the_post_roll_keeps_the_horn(tmp_path: Path) -> None:
    """kill -9 between a horn's event and its final bundle (which waits 3 s for the audio after
    the horn): the provisional bundle journalled when the event closed is sent after restart."""
    scene = simulate(tmp_path / "scene", seconds=10.0)
    cfg_path = offline_node_toml(tmp_path)
    outbox_path = tmp_path / "o.sqlite3"
    proc = subprocess.Popen(
        [sys.executable, "-m", "edge.cli", "run", "--config", str(cfg_path), "--scene", str(scene)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    journalled: list[tuple[str, str]] = []
    try:
        deadline = time.monotonic() + 60
        while not journalled and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)
            if outbox_path.exists():
                with contextlib.suppress(sqlite3.OperationalError), sqlite3.connect(outbox_path) as db:
                    journalled = db.execute(
                        "SELECT id, (SELECT COUNT(*) FROM outbox) FROM provisional"
                    ).fetchall()
    finally:
        proc.send_signal(signal.SIGKILL)  # the power is cut
        proc.wait(10)
    assert journalled, "no provisional bundle was journalled"
    ((evidence_id, stored_before),) = journalled
    assert stored_before == 0  # the final bundle was still waiting for its post-roll

    box = Outbox(outbox_path, quota_bytes=10**9)  # the node starts again
    assert box.recovered == 1 and [e.id for e in box.pending()] == [evidence_id]
    bundle = unpack_bundle(box.payload(evidence_id))
    verify_bundle(bundle, load_or_create_key(tmp_path / "device.pem").public_key())
    doc = json.loads(bundle.manifest_bytes)
    audio = doc["capture"]["audio"]
    assert audio["stream_end"] < doc["event"]["stream_t_end"] + 3.0  # cut short, but the horn is in it
    assert audio["stream_start"] <= doc["event"]["stream_t_start"]
    box.close()
