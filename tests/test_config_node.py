"""The node config: the example validates, and every kind of mistake names its key."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from edge.config import ConfigError, load_node_config
from edge.paths import hardware_dir

MINIMAL = '[device]\nid = "pole-1"\nzone = "z1"\nprofile = "dev-uma16"\n'


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "node.toml"
    p.write_text(text)
    return p


def error_of(tmp_path: Path, text: str) -> str:
    with pytest.raises(ConfigError) as exc:
        load_node_config(write(tmp_path, text))
    return str(exc.value)


def test_example_file_validates() -> None:
    cfg = load_node_config(hardware_dir() / "deploy" / "node.example.toml")
    assert cfg.device.id == "pole-017" and cfg.device.profile == "pole-spiral64"
    assert cfg.enforcement.timezone == "Asia/Shanghai" and cfg.enforcement.hours == ["07:00-22:00"]
    assert cfg.broker.protocol == "v5" and cfg.broker.tls is not None
    assert cfg.analysis.detector.threshold == 0.7 and cfg.analysis.detector.beam_max_hz == 1000.0
    assert cfg.outbox.quota_mb == 2048


def test_minimal_file_gets_defaults(tmp_path: Path) -> None:
    cfg = load_node_config(write(tmp_path, MINIMAL))
    assert cfg.audio.block_size == 2400 and cfg.camera.enabled and cfg.health.interval_s == 30
    assert cfg.live().detector.threshold == cfg.analysis.detector.threshold


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ("[audio]\nblocksize = 1024\n", "audio.blocksize: unknown key"),
        ("[analysis.detector]\ntreshold = 0.6\n", "analysis.detector.treshold: unknown key"),
        ("[analysis.detector]\nthreshold = 7\n", "analysis.detector.threshold: Input should be less than 1"),
        (
            '[enforcement]\nhours = ["7-22"]\n',
            "enforcement.hours: Value error, hours entry '7-22' is not 'HH:MM-HH:MM'",
        ),
        (
            '[enforcement]\ntimezone = "Mars/Olympus"\n',
            "enforcement.timezone: Value error, unknown time zone",
        ),
        ('[enforcement]\nweekdays = ["monday"]\n', "enforcement.weekdays.0:"),
        ('[broker]\nprotocol = "v4"\n', "broker.protocol:"),
        ('[broker.tls]\ncert = "/etc/c.pem"\n', "broker.tls: Value error, cert and key go together"),
        ('[broker]\npassword_file = "/etc/p"\n', "broker: Value error, password_file given without username"),
        ("[camera]\nsource = 1.5\n", "camera.source"),
        ("[colour]\nx = 1\n", "colour: unknown key"),
    ],
)
def test_bad_key_is_named(tmp_path: Path, extra: str, expected: str) -> None:
    msg = error_of(tmp_path, MINIMAL + extra)
    assert str(tmp_path / "node.toml") in msg
    assert expected in msg


def test_missing_required_key_and_bad_toml(tmp_path: Path) -> None:
    assert "device.zone: required key is missing" in error_of(tmp_path, '[device]\nid = "a"\nprofile = "p"\n')
    assert "not valid TOML" in error_of(tmp_path, "[device\n")
    with pytest.raises(ConfigError, match="config file not found"):
        load_node_config(tmp_path / "nope.toml")


def test_password_file_is_read_for_the_publisher(tmp_path: Path) -> None:
    secret = tmp_path / "pw"
    secret.write_text("s3cret\n")
    text = MINIMAL + f'[broker]\nusername = "pole-1"\npassword_file = "{secret}"\nprotocol = "v311"\n'
    settings = load_node_config(write(tmp_path, text)).broker.mqtt_settings(15.0)
    assert (
        settings.password == "s3cret" and settings.protocol == "3.1.1" and settings.health_interval_s == 15.0
    )
    secret.unlink()
    with pytest.raises(ValueError, match="broker.password_file: cannot read"):
        load_node_config(write(tmp_path, text)).broker.mqtt_settings(15.0)


def test_run_refuses_a_malformed_config_with_one_line(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL + "[audio]\nblocksize = 1\n")
    out = subprocess.run(
        [sys.executable, "-m", "edge.cli", "run", "--config", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "audio.blocksize: unknown key" in lines[0]
    assert "Traceback" not in out.stderr


def test_check_validates_config_and_profile(tmp_path: Path) -> None:
    ok = subprocess.run(
        [sys.executable, "-m", "edge.cli", "run", "--config", str(write(tmp_path, MINIMAL)), "--check"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert ok.returncode == 0 and "profile dev-uma16" in ok.stdout
    bad = write(tmp_path, MINIMAL.replace("dev-uma16", "no-such-profile"))
    out = subprocess.run(
        [sys.executable, "-m", "edge.cli", "run", "--config", str(bad), "--check"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 2 and "no profile named 'no-such-profile'" in out.stderr
