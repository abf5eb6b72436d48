"""`honk-edge`: the edge node's command line.

Each subcommand lives in its own module with a `register(subparsers)` function that adds
its parser and sets `func`; heavy imports happen inside the command, so `--help` stays fast
on a Pi and a device without the camera stack can still replay audio.
"""

import argparse
import sys
from collections.abc import Sequence

from edge import __version__
from edge.cli import bench, classify, keys, record, replay, run, simulate
from edge.errors import UserFacingError

COMMANDS = (simulate, replay, classify, bench, run, keys, record)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="honk-edge",
        description=(
            "honkwatch edge node: simulate and replay array scenes, classify clips, "
            "and run the live enforcement node."
        ),
    )
    parser.add_argument("--version", action="version", version=f"honkwatch {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in COMMANDS:
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130
    except UserFacingError as exc:
        print(f"honk-edge {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
