"""`honk-server`: the central server's command line.

Each subcommand lives in its own module with a `register(subparsers)` function that adds its
parser and sets `func` (returning an exit code), as in `honk-edge`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from sqlalchemy.exc import OperationalError

from server import __version__
from server.cli import db, demo, device, quarantine, run, user, web, zones
from server.errors import UserFacingError

COMMANDS = (demo, run, web, db, device, user, zones, quarantine)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="honk-server",
        description="honkwatch central server: ingest evidence over MQTT, manage devices, zones and users.",
    )
    parser.add_argument("--version", action="version", version=f"honkwatch {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in COMMANDS:
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    name = " ".join(filter(None, (args.command, getattr(args, "action", None))))
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130
    except UserFacingError as exc:
        print(f"honk-server {name}: error: {exc}", file=sys.stderr)
        return 2
    except OperationalError as exc:
        print(f"honk-server {name}: error: database unavailable: {exc.orig}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
