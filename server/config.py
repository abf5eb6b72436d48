"""The server's configuration: one TOML file, parsed into typed pydantic models.

Every section forbids unknown keys, so a typo (``[mqtt] prot = 1883``) stops the server at
start with the key's path instead of being silently ignored. Every key has a default, so an
empty file is a working single-machine setup (SQLite and media under ``./honkwatch-data``,
broker on localhost).

Example::

    [database]
    url = "postgresql+psycopg://honkwatch@db/honkwatch"

    [media]
    root = "/var/lib/honkwatch/media"

    [mqtt]
    host = "broker.example"
    port = 8883
    username = "ingest"
    password_file = "/etc/honkwatch/mqtt-password"
    tls_ca = "/etc/honkwatch/ca.crt"

    [ingest]
    max_payload_bytes = 8388608

    [review]
    second_reviewer = true
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from server.errors import ConfigError


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DatabaseConfig(_Section):
    url: str = "sqlite:///honkwatch-data/honkwatch.db"
    # PostgreSQL only: keep all tables in this schema (tests, several installs in one database).
    pg_schema: str | None = Field(default=None, pattern=r"^[a-z_][a-z0-9_]{0,62}$")


class MediaConfig(_Section):
    root: Path = Path("honkwatch-data/media")


class MqttConfig(_Section):
    host: str = "127.0.0.1"
    port: int = Field(default=1883, ge=1, le=65535)
    username: str | None = None
    password: str | None = None
    password_file: Path | None = None  # preferred over `password`: keeps secrets out of the config
    tls_ca: Path | None = None
    tls_cert: Path | None = None
    tls_key: Path | None = None
    keepalive_s: int = Field(default=30, ge=5)
    # A fixed client id gives the worker a persistent session: messages published while it was
    # down wait in the broker. Left unset, each worker gets a unique id and a clean session.
    client_id: str | None = None
    session_expiry_s: int = Field(default=3600, ge=0)
    protocol: Literal["5", "3.1.1"] = "5"
    # Subscribe to evidence and health through `$share/{share_group}/` so that several workers
    # split the load. Set false for a broker without shared subscriptions (the demo's amqtt,
    # which also needs protocol "3.1.1"); then run a single worker.
    shared: bool = True
    share_group: str = Field(default="ingest", pattern=r"^[A-Za-z0-9_-]+$")
    topic_root: str = "honkwatch/v1"

    def read_password(self) -> str | None:
        """The broker password, from `password_file` if set (trailing newline removed)."""
        if self.password_file is not None:
            try:
                return self.password_file.read_text(encoding="utf-8").strip()
            except OSError as exc:
                raise ConfigError(f"mqtt.password_file: cannot read {self.password_file}: {exc}") from None
        return self.password


class IngestConfig(_Section):
    max_payload_bytes: int = Field(default=8 * 1024 * 1024, ge=1024)


class DevicesConfig(_Section):
    # A device with no message for this long is shown offline-silent and raises an alert.
    silent_after_s: int = Field(default=300, ge=10)


class ReviewConfig(_Section):
    # When true, a confirmed case needs a second, different reviewer before it is final.
    second_reviewer: bool = False


class WebConfig(_Section):
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    # Signs session cookies and CSRF tokens; set it in production (or `secret_key_file`).
    secret_key: str | None = None
    secret_key_file: Path | None = None
    default_language: Literal["zh", "en"] = "zh"


class ServerConfig(_Section):
    database: DatabaseConfig = Field(default_factory=DatabaseConfig)
    media: MediaConfig = Field(default_factory=MediaConfig)
    mqtt: MqttConfig = Field(default_factory=MqttConfig)
    ingest: IngestConfig = Field(default_factory=IngestConfig)
    devices: DevicesConfig = Field(default_factory=DevicesConfig)
    review: ReviewConfig = Field(default_factory=ReviewConfig)
    web: WebConfig = Field(default_factory=WebConfig)


def parse_config(text: str, source: str = "<config>") -> ServerConfig:
    """Parse TOML text; errors name `source` and the dotted path of each bad key."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: not valid TOML: {exc}") from None
    try:
        return ServerConfig.model_validate(raw)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            path = ".".join(str(p) for p in err["loc"]) or "(top level)"
            msg = "unknown key" if err["type"] == "extra_forbidden" else err["msg"]
            problems.append(f"{path}: {msg}")
        raise ConfigError(f"{source}: " + "; ".join(problems)) from None


def load_config(path: str | Path | None) -> ServerConfig:
    """The config in `path`, or the defaults when `path` is None; relative paths stay relative to cwd."""
    if path is None:
        return ServerConfig()
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read config {path}: {exc.strerror or exc}") from None
    return parse_config(text, str(path))
