"""`honk-edge keys`: the device's signing key, and the public key the server registers.

`show` creates the key on first use (the same as the node's first start), so registering a
new device is one command: `honk-server device add ID --pubkey "$(honk-edge keys show)"`.
Only the base64 public key goes to stdout, so it can be captured by a script.
"""

import argparse
import json
import sys
import tomllib
from pathlib import Path

from edge.errors import UserFacingError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("keys", help="show or generate the device's Ed25519 signing key")
    actions = p.add_subparsers(dest="keys_action", metavar="ACTION", required=True)
    show = actions.add_parser(
        "show", help="print the public key (base64 of 32 raw bytes); creates the key if absent"
    )
    gen = actions.add_parser("generate", help="create a new key; refuses to overwrite an existing one")
    for action in (show, gen):
        where = action.add_mutually_exclusive_group()
        where.add_argument(
            "--key-file", type=Path, help="private key file (default: $HONKWATCH_KEY_FILE or state dir)"
        )
        where.add_argument(
            "--config", type=Path, help="node config (TOML or JSON) whose [device] key_file names the key"
        )
    show.set_defaults(func=_show)
    gen.set_defaults(func=_generate)


def _key_file_from_config(path: Path) -> Path:
    """`device.key_file` from a node config; a relative path is relative to the config file."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UserFacingError(f"cannot read config {path}: {exc.strerror}") from None
    try:
        doc = json.loads(text) if path.suffix == ".json" else tomllib.loads(text)
    except (json.JSONDecodeError, tomllib.TOMLDecodeError) as exc:
        raise UserFacingError(f"config {path} does not parse: {exc}") from None
    device = doc.get("device") if isinstance(doc, dict) else None
    key_file = device.get("key_file") if isinstance(device, dict) else None
    if not isinstance(key_file, str) or not key_file:
        raise UserFacingError(f"config {path} has no [device] key_file")
    key_path = Path(key_file).expanduser()
    return key_path if key_path.is_absolute() else path.parent / key_path


def _key_path(args: argparse.Namespace) -> Path:
    from edge.evidence.keys import default_key_file

    if args.key_file is not None:
        return args.key_file
    if args.config is not None:
        return _key_file_from_config(args.config)
    return default_key_file()


def _show(args: argparse.Namespace) -> int:
    from edge.evidence.keys import generate_key, load_key, public_key_b64

    path = _key_path(args)
    if path.exists():
        key = load_key(path)
    else:
        key = generate_key(path)
        print(f"generated a new device key at {path}", file=sys.stderr)
    print(public_key_b64(key))
    return 0


def _generate(args: argparse.Namespace) -> int:
    from edge.evidence.keys import generate_key, public_key_b64

    path = _key_path(args)
    key = generate_key(path)
    print(f"generated a new device key at {path}", file=sys.stderr)
    print(public_key_b64(key))
    return 0
