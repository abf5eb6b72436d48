"""`honk-server device add|revoke|list`: which devices may send evidence, with which key."""

from __future__ import annotations

import argparse

from server.cli.common import add_config_option, config_of, open_database
from server.storage.devices import add_device, list_devices, revoke_device


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("device", help="register, revoke and list devices")
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)

    add = actions.add_parser("add", help="register a device and its Ed25519 public key")
    add.add_argument("device_id", metavar="ID")
    add.add_argument("--pubkey", required=True, help="base64 of the 32-byte key (`honk-edge keys show`)")
    add.add_argument("--zone", help="zone id (default: the zone whose zone-file entry lists ID)")
    add.add_argument("--description", default="")
    add_config_option(add)
    add.set_defaults(func=_add)

    revoke = actions.add_parser("revoke", help="refuse the device's evidence from now on")
    revoke.add_argument("device_id", metavar="ID")
    revoke.add_argument("--reason", default="")
    add_config_option(revoke)
    revoke.set_defaults(func=_revoke)

    ls = actions.add_parser("list", help="list devices with status and last contact")
    add_config_option(ls)
    ls.set_defaults(func=_list)


def _add(args: argparse.Namespace) -> int:
    sessions = open_database(config_of(args))
    with sessions() as s:
        device = add_device(s, args.device_id, args.pubkey, args.zone, args.description)
        s.commit()
        print(f"device {device.id} registered (zone {device.zone_id or '-'})")
    return 0


def _revoke(args: argparse.Namespace) -> int:
    sessions = open_database(config_of(args))
    with sessions() as s:
        revoke_device(s, args.device_id, args.reason)
        s.commit()
    print(f"device {args.device_id} revoked: its evidence is quarantined from now on")
    return 0


def _list(args: argparse.Namespace) -> int:
    sessions = open_database(config_of(args))
    with sessions() as s:
        devices = list_devices(s)
        print(f"{'ID':<16} {'ZONE':<6} {'STATE':<8} {'STATUS':<8} {'LAST SEEN (UTC)':<20} QUEUE")
        for d in devices:
            seen = d.last_seen.strftime("%Y-%m-%d %H:%M:%S") if d.last_seen else "-"
            state = "revoked" if d.revoked else "active"
            queue = "-" if d.queue_depth is None else str(d.queue_depth)
            print(f"{d.id:<16} {d.zone_id or '-':<6} {state:<8} {d.status:<8} {seen:<20} {queue}")
    return 0
