"""`honk-server db init`: create the database tables."""

from __future__ import annotations

import argparse

from server.cli.common import add_config_option, config_of, open_database


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("db", help="database maintenance")
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    init = actions.add_parser("init", help="create missing tables (safe to repeat)")
    add_config_option(init)
    init.set_defaults(func=_init)


def _init(args: argparse.Namespace) -> int:
    config = config_of(args)
    open_database(config)
    print(f"database ready: {config.database.url}")
    return 0
