"""`honk-server zones load|list`: the no-honk zones, from a zones TOML file."""

from __future__ import annotations

import argparse

from sqlalchemy import select

from server.cli.common import add_config_option, config_of, open_database
from server.storage.models import Zone
from server.zones import EXAMPLE_ZONES, load_zone_file, store_zones


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("zones", help="load and list no-honk zones")
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)

    load = actions.add_parser("load", help="insert or update zones from a zones file")
    load.add_argument(
        "file",
        metavar="FILE",
        nargs="?",
        default=str(EXAMPLE_ZONES),
        help="zones TOML (default: the bundled example data, 22 zones)",
    )
    add_config_option(load)
    load.set_defaults(func=_load)

    ls = actions.add_parser("list", help="list zones with district and devices")
    add_config_option(ls)
    ls.set_defaults(func=_list)


def _load(args: argparse.Namespace) -> int:
    zone_file = load_zone_file(args.file)
    sessions = open_database(config_of(args))
    with sessions() as s:
        added, updated = store_zones(s, zone_file)
        s.commit()
    note = " (EXAMPLE DATA)" if zone_file.example else ""
    print(f"zones loaded from {args.file}{note}: {added} added, {updated} updated")
    return 0


def _list(args: argparse.Namespace) -> int:
    sessions = open_database(config_of(args))
    with sessions() as s:
        zones = s.scalars(select(Zone).order_by(Zone.id)).all()
        for z in zones:
            devices = ",".join(z.device_ids) or "-"
            print(f"{z.id:<5} {z.district:<10} {z.name_zh}  ({z.name_en})  devices: {devices}")
        print(f"{len(zones)} zones" + (" (example data)" if any(z.example for z in zones) else ""))
    return 0
