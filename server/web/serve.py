"""Run the web application under uvicorn: what `honk-server web` calls."""

from __future__ import annotations

import uvicorn

from server.config import ServerConfig
from server.storage.db import init_db, make_engine
from server.web.app import create_app


def serve(config: ServerConfig, host: str | None = None, port: int | None = None) -> None:
    """Serve the pages and `/api/v1` until interrupted; creates missing tables first.

    One process is enough for a city's reviewers; for more, run several behind a proxy with a
    shared `web.secret_key` (sessions are signed cookies, nothing else is held in memory).
    """
    engine = make_engine(config.database.url, schema=config.database.pg_schema)
    init_db(engine)
    uvicorn.run(
        create_app(config, engine=engine),
        host=host or config.web.host,
        port=port or config.web.port,
        proxy_headers=True,
        log_level="info",
    )
