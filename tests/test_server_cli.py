"""`honk-server`: the subcommands on a real database, and `run` as a real process on the broker."""

from __future__ import annotations

import io
import os
import queue
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import pytest
from server_support import BROKER_HOST, BROKER_PORT, DeviceClient
from sqlalchemy import func, select

from server.cli import main
from server.sample_bundles import new_device_key, public_key_b64, sample_bundle
from server.storage.db import make_engine, session_factory
from server.storage.models import Case, Device
from server.storage.users import user_for_token


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    tag = uuid.uuid4().hex[:10]
    path = tmp_path / "server.toml"
    path.write_text(
        f'[database]\nurl = "sqlite:///{tmp_path / "db" / "honkwatch.db"}"\n'
        f'[media]\nroot = "{tmp_path / "media"}"\n'
        f'[mqtt]\nhost = "{BROKER_HOST}"\nport = {BROKER_PORT}\n'
        f'topic_root = "clitest-{tag}/honkwatch/v1"\nshare_group = "cli{tag}"\n'
    )
    return path


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_admin_commands(config_file: Path, capsys, monkeypatch):
    cfg = ("--config", str(config_file))
    assert _run(capsys, "db", "init", *cfg)[0] == 0
    code, out, _ = _run(capsys, "zones", "load", *cfg)
    assert code == 0 and "22 added" in out and "EXAMPLE DATA" in out
    code, out, _ = _run(capsys, "zones", "list", *cfg)
    assert code == 0 and out.count("\n") == 23 and "Z22" in out

    key = public_key_b64(new_device_key())
    code, out, _ = _run(capsys, "device", "add", "pole-01", "--pubkey", key, *cfg)
    assert code == 0 and "zone Z01" in out
    code, _, err = _run(capsys, "device", "add", "pole-02", "--pubkey", "not base64!", *cfg)
    assert code == 2 and err.strip() == "honk-server device add: error: public key is not valid base64"
    assert _run(capsys, "device", "revoke", "pole-01", "--reason", "stolen", *cfg)[0] == 0
    code, out, _ = _run(capsys, "device", "list", *cfg)
    assert "pole-01" in out and "revoked" in out

    monkeypatch.setattr(sys, "stdin", io.StringIO("a long password\n"))
    code, out, _ = _run(capsys, "user", "add", "wang", "--role", "supervisor", "--password-stdin", *cfg)
    assert code == 0
    token = out.strip().splitlines()[-1].split(": ")[-1]
    engine = make_engine(f"sqlite:///{config_file.parent / 'db' / 'honkwatch.db'}")
    with session_factory(engine)() as s:
        assert user_for_token(s, token).role == "supervisor"
        assert s.get(Device, "pole-01").revoked
    engine.dispose()
    monkeypatch.setattr(sys, "stdin", io.StringIO("short\n"))
    code, _, err = _run(capsys, "user", "add", "li", "--role", "reviewer", "--password-stdin", *cfg)
    assert code == 2 and "at least 8 characters" in err
    code, out, _ = _run(capsys, "user", "list", *cfg)
    assert "wang" in out and "supervisor" in out and "li " not in out


def test_bad_config_is_one_clear_line(tmp_path: Path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text("[database]\nulr = 'sqlite://'\n")
    code, _, err = _run(capsys, "db", "init", "--config", str(bad))
    assert code == 2 and err.strip() == f"honk-server db init: error: {bad}: database.ulr: unknown key"
    code, _, err = _run(capsys, "zones", "load", str(tmp_path / "missing.toml"), "--config", str(bad))
    assert code == 2 and "missing.toml" in err and "Traceback" not in err


def test_run_stores_a_bundle_and_stops_on_sigterm(config_file: Path, capsys):
    key = new_device_key()
    assert (
        _run(
            capsys, "device", "add", "pole-05", "--pubkey", public_key_b64(key), "--config", str(config_file)
        )[0]
        == 0
    )
    root = next(line.split('"')[1] for line in config_file.read_text().splitlines() if "topic_root" in line)
    ack_client = DeviceClient([f"{root}/pole-05/ack"])
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1]))
    proc = subprocess.Popen(
        [sys.executable, "-m", "server.cli", "run", "--config", str(config_file)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
        text=True,
    )
    try:
        evidence_id, payload = sample_bundle(key, "pole-05", scale=0.02)
        # The worker subscribes a moment after start; the device's outbox would simply retry.
        ack = None
        for _ in range(40):
            ack_client.publish(f"{root}/pole-05/evidence", payload)
            try:
                ack = ack_client.next_json(timeout=0.5)
                break
            except queue.Empty:
                continue
        assert ack is not None and ack["ids"] == [evidence_id] and ack["status"] in ("stored", "duplicate")
        ack_client.publish(f"{root}/pole-05/evidence", b"not a bundle")
        while (refused := ack_client.next_json())["status"] == "duplicate":  # retries that crossed the start
            continue
        assert refused["status"] == "rejected" and refused["ids"] == []
    finally:
        ack_client.close()
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=15)
    assert proc.returncode == 0, output
    assert "stopped; handled" in output
    code, out, _ = _run(capsys, "quarantine", "list", "--config", str(config_file))
    assert code == 0 and "bad_payload" in out and "0 shown" not in out
    entry = out.split()[0]
    exported = config_file.parent / "refused.bin"
    assert _run(capsys, "quarantine", "export", entry, str(exported), "--config", str(config_file))[0] == 0
    assert exported.read_bytes() == b"not a bundle"
    engine = make_engine(f"sqlite:///{config_file.parent / 'db' / 'honkwatch.db'}")
    with session_factory(engine)() as s:
        assert s.scalar(select(func.count()).select_from(Case)) == 1
    engine.dispose()


def test_web_serves_the_login_page(config_file: Path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1]))
    cmd = [sys.executable, "-m", "server.cli", "web", "--config", str(config_file), "--port", str(port)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, text=True)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=2) as resp:
                    status, body = resp.status, resp.read().decode("utf-8")
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=15)
    assert status == 200 and "<form" in body
