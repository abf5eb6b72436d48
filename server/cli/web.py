"""`honk-server web`: the review pages and the JSON API (`server.web`), served by uvicorn."""

from __future__ import annotations

import argparse

from server.cli.common import add_config_option, config_of


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("web", help="serve the review pages and /api/v1")
    add_config_option(p)
    p.add_argument("--host", help="listen address (default: web.host from the config, 127.0.0.1)")
    p.add_argument("--port", type=int, help="listen port (default: web.port from the config, 8000)")
    p.set_defaults(func=_web)


def _web(args: argparse.Namespace) -> int:
    from server.web.serve import serve  # FastAPI and uvicorn load only for this command

    serve(config_of(args), host=args.host, port=args.port)
    return 0
