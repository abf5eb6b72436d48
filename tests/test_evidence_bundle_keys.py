"""The device key: created 0600 on first use, refused when others can read it, shown for registration."""

import base64
import os
import stat
import subprocess
import sys

import pytest

from edge.cli import main
from edge.evidence.keys import (
    KeyFileError,
    generate_key,
    load_key,
    load_or_create_key,
    public_key_b64,
    public_key_from_b64,
)


def test_key_is_created_private_even_under_a_loose_umask(tmp_path):
    old = os.umask(0)
    try:
        key = load_or_create_key(tmp_path / "state" / "device.pem")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "state" / "device.pem").stat().st_mode) == 0o600
    again = load_or_create_key(tmp_path / "state" / "device.pem")
    assert public_key_b64(again) == public_key_b64(key)


def test_existing_key_is_never_replaced(tmp_path):
    generate_key(tmp_path / "k.pem")
    with pytest.raises(KeyFileError, match="refusing to replace"):
        generate_key(tmp_path / "k.pem")


def test_readable_or_foreign_key_files_are_refused(tmp_path):
    path = tmp_path / "k.pem"
    generate_key(path)
    path.chmod(0o644)
    with pytest.raises(KeyFileError, match="chmod 600"):
        load_key(path)
    other = tmp_path / "not-a-key.pem"
    other.write_text("hello")
    other.chmod(0o600)
    with pytest.raises(KeyFileError, match="not an unencrypted PEM"):
        load_key(other)
    with pytest.raises(KeyFileError, match="keys generate"):
        load_key(tmp_path / "missing.pem")


def test_public_key_round_trips_through_base64_and_verifies(tmp_path):
    key = generate_key(tmp_path / "k.pem")
    text = public_key_b64(key)
    assert len(base64.b64decode(text)) == 32
    public = public_key_from_b64(text)
    public.verify(key.sign(b"manifest"), b"manifest")  # raises if wrong
    with pytest.raises(ValueError, match="32"):
        public_key_from_b64(base64.b64encode(b"short").decode())
    with pytest.raises(ValueError, match="base64"):
        public_key_from_b64("not base64!")


def test_cli_show_creates_then_repeats_and_generate_refuses(tmp_path, capsys):
    path = tmp_path / "k.pem"
    assert main(["keys", "show", "--key-file", str(path)]) == 0
    first = capsys.readouterr()
    assert "generated a new device key" in first.err
    assert main(["keys", "show", "--key-file", str(path)]) == 0
    second = capsys.readouterr()
    assert second.out == first.out and second.err == ""
    assert public_key_b64(load_key(path)) == first.out.strip()
    assert main(["keys", "generate", "--key-file", str(path)]) == 2
    assert "refusing to replace" in capsys.readouterr().err


def test_cli_reads_the_key_path_from_a_config(tmp_path, capsys):
    config = tmp_path / "node.toml"
    config.write_text('[device]\nkey_file = "keys/device.pem"\n')
    assert main(["keys", "generate", "--config", str(config)]) == 0
    printed = capsys.readouterr().out.strip()
    assert public_key_b64(load_key(tmp_path / "keys" / "device.pem")) == printed
    (tmp_path / "empty.toml").write_text("[device]\n")
    assert main(["keys", "show", "--config", str(tmp_path / "empty.toml")]) == 2
    assert "no [device] key_file" in capsys.readouterr().err


def test_console_script_prints_only_the_key_on_stdout(tmp_path):
    env = dict(os.environ, HONKWATCH_KEY_FILE=str(tmp_path / "env.pem"))
    code = "import sys; from edge.cli import main; sys.exit(main(['keys', 'show']))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert out.stdout.strip() == public_key_b64(load_key(tmp_path / "env.pem"))
