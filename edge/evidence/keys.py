"""The device's Ed25519 identity: created once on first start, kept private on disk.

The private key is the device's signature on every piece of evidence, so it is written with
mode 0600 from the moment the file exists (no window where it is world-readable) and a key
file that others can read is refused rather than used. The public key travels as base64 of
its 32 raw bytes, which is what `honk-server device add ID --pubkey ...` takes.
"""

from __future__ import annotations

import base64
import binascii
import os
import stat
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from edge.errors import UserFacingError

KEY_FILE_ENV = "HONKWATCH_KEY_FILE"
STATE_DIR_ENV = "HONKWATCH_STATE_DIR"
KEY_FILE_NAME = "device-ed25519.pem"


class KeyFileError(UserFacingError):
    """A key file that is missing, unreadable, not an Ed25519 key, or readable by others."""


def default_key_file() -> Path:
    """`$HONKWATCH_KEY_FILE`, else `$HONKWATCH_STATE_DIR/device-ed25519.pem`, else under ~/.local/state."""
    explicit = os.environ.get(KEY_FILE_ENV)
    if explicit:
        return Path(explicit)
    state = os.environ.get(STATE_DIR_ENV)
    base = Path(state) if state else Path.home() / ".local" / "state" / "honkwatch"
    return base / KEY_FILE_NAME


def generate_key(path: Path) -> Ed25519PrivateKey:
    """Create a new key at `path` (mode 0600, fsync'd); refuses to overwrite an existing file."""
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise KeyFileError(f"{path} already exists; refusing to replace a device key") from None
    except OSError as exc:
        raise KeyFileError(f"cannot create key file {path}: {exc.strerror}") from None
    try:
        os.fchmod(fd, 0o600)  # the umask must not loosen it
        os.write(fd, pem)
        os.fsync(fd)
    finally:
        os.close(fd)
    return key


def load_key(path: Path) -> Ed25519PrivateKey:
    """Read the private key; a key readable by group or others is refused (it may be copied)."""
    try:
        mode = path.stat().st_mode
        data = path.read_bytes()
    except FileNotFoundError:
        raise KeyFileError(f"no device key at {path} (run 'honk-edge keys generate')") from None
    except OSError as exc:
        raise KeyFileError(f"cannot read key file {path}: {exc.strerror}") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise KeyFileError(f"{path} has mode {stat.S_IMODE(mode):04o}; run 'chmod 600 {path}'")
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError):
        raise KeyFileError(f"{path} is not an unencrypted PEM private key") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyFileError(f"{path} holds a {type(key).__name__}, not an Ed25519 key")
    return key


def load_or_create_key(path: Path) -> Ed25519PrivateKey:
    """The device key, generated on first start."""
    if path.exists():
        return load_key(path)
    return generate_key(path)


def public_key_b64(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    """Base64 of the 32 raw public-key bytes (the registration format)."""
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode("ascii")


def public_key_from_b64(text: str) -> Ed25519PublicKey:
    """Parse a registered public key; ValueError names what is wrong."""
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("public key is not valid base64") from None
    if len(raw) != 32:
        raise ValueError(f"public key is {len(raw)} bytes, expected 32 (base64 of the raw Ed25519 key)")
    return Ed25519PublicKey.from_public_bytes(raw)
