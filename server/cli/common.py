"""What several subcommands share: the --config option and opening the database."""

from __future__ import annotations

import argparse
import os

from sqlalchemy.orm import Session, sessionmaker

from server.config import ServerConfig, load_config
from server.storage.db import init_db, make_engine, session_factory


def add_config_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        metavar="FILE",
        default=os.environ.get("HONKWATCH_SERVER_CONFIG"),
        help="server config TOML (default: $HONKWATCH_SERVER_CONFIG, else built-in defaults: "
        "SQLite and media under ./honkwatch-data, broker on 127.0.0.1:1883)",
    )


def config_of(args: argparse.Namespace) -> ServerConfig:
    return load_config(args.config)


def open_database(config: ServerConfig) -> sessionmaker[Session]:
    """Sessions on the configured database, creating missing tables."""
    engine = make_engine(config.database.url, schema=config.database.pg_schema)
    init_db(engine)
    return session_factory(engine)
