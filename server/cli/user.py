"""`honk-server user add|list|token`: people who review cases or call the API.

A new user gets an API token, printed once: only its SHA-256 is stored, so it cannot be
shown again (issue another with `user token NAME`).
"""

from __future__ import annotations

import argparse
import getpass
import sys

from sqlalchemy import select

from server.cli.common import add_config_option, config_of, open_database
from server.errors import UserFacingError
from server.storage.models import LANGUAGES, ROLES, AuditLog, User
from server.storage.users import MIN_PASSWORD, create_user, issue_token


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("user", help="create users and API tokens")
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)

    add = actions.add_parser("add", help="create a user; prints an API token once")
    add.add_argument("name", metavar="NAME")
    add.add_argument("--role", required=True, choices=ROLES)
    add.add_argument("--language", default="zh", choices=LANGUAGES)
    add.add_argument(
        "--password-stdin", action="store_true", help="read the password from the first line of stdin"
    )
    add_config_option(add)
    add.set_defaults(func=_add)

    token = actions.add_parser("token", help="issue another API token for a user")
    token.add_argument("name", metavar="NAME")
    add_config_option(token)
    token.set_defaults(func=_token)

    ls = actions.add_parser("list", help="list users")
    add_config_option(ls)
    ls.set_defaults(func=_list)


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    elif sys.stdin.isatty():
        password = getpass.getpass("password: ")
        if getpass.getpass("again: ") != password:
            raise UserFacingError("the two passwords differ")
    else:
        raise UserFacingError("no terminal to ask for a password; pass --password-stdin and pipe it in")
    if len(password) < MIN_PASSWORD:
        raise UserFacingError(f"password must be at least {MIN_PASSWORD} characters")
    return password


def _add(args: argparse.Namespace) -> int:
    password = _read_password(args.password_stdin)
    sessions = open_database(config_of(args))
    with sessions() as s:
        user = create_user(s, args.name, args.role, password, args.language)
        token = issue_token(s, user)
        s.add(AuditLog(actor="cli", action="user.add", target=user.name, detail={"role": user.role}))
        s.commit()
    print(f"user {args.name} created (role {args.role})")
    print(f"API token (shown once, keep it now): {token}")
    return 0


def _token(args: argparse.Namespace) -> int:
    sessions = open_database(config_of(args))
    with sessions() as s:
        user = s.scalar(select(User).where(User.name == args.name))
        if user is None:
            raise UserFacingError(f"unknown user {args.name!r}")
        token = issue_token(s, user)
        s.add(AuditLog(actor="cli", action="user.token", target=user.name))
        s.commit()
    print(f"API token for {args.name} (shown once, keep it now): {token}")
    return 0


def _list(args: argparse.Namespace) -> int:
    sessions = open_database(config_of(args))
    with sessions() as s:
        print(f"{'NAME':<20} {'ROLE':<11} {'LANG':<5} {'ACTIVE':<7} TOKENS")
        for u in s.scalars(select(User).order_by(User.name)):
            live = sum(not t.revoked for t in u.tokens)
            print(f"{u.name:<20} {u.role:<11} {u.language:<5} {'yes' if u.active else 'no':<7} {live}")
    return 0
