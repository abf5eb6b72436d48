"""Engines and sessions for SQLite (the embedded default) and PostgreSQL (production).

Why the SQLite settings: several ingest workers and the web server may share one SQLite
file, so it runs in WAL mode with a busy timeout (writers wait instead of failing) and with
foreign keys enforced, as PostgreSQL always does.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, make_url, text
from sqlalchemy.orm import Session, sessionmaker

from server.storage.models import Base

SQLITE_BUSY_TIMEOUT_MS = 30_000


def make_engine(url: str, *, schema: str | None = None, echo: bool = False) -> Engine:
    """An engine for `url`; `schema` (PostgreSQL only) puts every table in that schema.

    The schema option exists so tests and parallel CI jobs can share one PostgreSQL database
    without touching each other's tables; production leaves it unset (``public``).
    """
    kwargs: dict[str, Any] = {"echo": echo, "future": True}
    if url.startswith("sqlite"):
        _make_sqlite_folder(url)
        kwargs["connect_args"] = {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if schema is not None:
        kwargs["connect_args"] = {"options": f"-c search_path={schema}"}
    kwargs["pool_pre_ping"] = True
    engine = create_engine(url, **kwargs)
    if schema is not None:
        with engine.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
    return engine


def _make_sqlite_folder(url: str) -> None:
    path = make_url(url).database
    if path and path != ":memory:":
        Path(path).expanduser().absolute().parent.mkdir(parents=True, exist_ok=True)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def init_db(engine: Engine) -> None:
    """Create every table that does not exist yet (idempotent; `honk-server db init`)."""
    Base.metadata.create_all(engine)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded attributes after commit, so rows can be used after the commit."""
    return sessionmaker(engine, expire_on_commit=False)
