"""`honk-server quarantine list|export`: the messages the ingest refused, and why.

Refused messages are kept with their reason (the raw bytes in the media store), so an operator
can see a misconfigured or forged device, and export a payload to examine or replay it.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from sqlalchemy import select

from server.cli.common import add_config_option, config_of, open_database
from server.errors import UserFacingError
from server.media import FileMediaStore, MediaNotFound
from server.storage.models import Quarantine


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("quarantine", help="list refused messages; export one's raw bytes")
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)

    ls = actions.add_parser("list", help="the most recent refused messages, newest first")
    ls.add_argument("--limit", type=int, default=50)
    ls.add_argument("--device", help="only messages on this device's topics")
    add_config_option(ls)
    ls.set_defaults(func=_list)

    export = actions.add_parser("export", help="write one refused message's raw bytes to a file")
    export.add_argument("entry", type=int, metavar="N", help="the number shown by `quarantine list`")
    export.add_argument("out", type=Path, metavar="FILE")
    add_config_option(export)
    export.set_defaults(func=_export)


def _list(args: argparse.Namespace) -> int:
    sessions = open_database(config_of(args))
    query = select(Quarantine).order_by(Quarantine.id.desc()).limit(args.limit)
    if args.device:
        query = query.where(Quarantine.device_id == args.device)
    with sessions() as s:
        rows = s.scalars(query).all()
        for q in rows:
            when = q.received_at.strftime("%Y-%m-%d %H:%M:%S")
            print(f"{q.id:>6} {when} {q.device_id or '-':<14} {q.reason_code:<16} {q.size:>9} B  {q.reason}")
        print(f"{len(rows)} shown")
    return 0


def _export(args: argparse.Namespace) -> int:
    config = config_of(args)
    sessions = open_database(config)
    with sessions() as s:
        row = s.get(Quarantine, args.entry)
        if row is None:
            raise UserFacingError(f"no quarantine entry {args.entry}")
        digest = row.payload_sha256
    try:
        data = FileMediaStore(config.media.root).get(digest)
    except MediaNotFound:
        raise UserFacingError(
            f"entry {args.entry}: payload {digest} is missing from {config.media.root}"
        ) from None
    args.out.write_bytes(data)
    print(f"wrote {len(data)} bytes to {args.out}")
    return 0
