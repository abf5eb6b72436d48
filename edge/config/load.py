"""Reading the node config file: TOML in, a validated `NodeConfig` out, or one clear error.

The error names the file and the dotted path of each bad key (`audio.blocksize: unknown key`),
so an operator on a serial console can fix it without reading a traceback.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from pydantic import ValidationError

from edge.config.node import NodeConfig
from edge.errors import UserFacingError


class ConfigError(UserFacingError):
    """A node config file that cannot be read or does not validate."""


def load_node_config(path: str | Path) -> NodeConfig:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot be read ({exc})") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    try:
        return NodeConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"{path}: {describe_validation(exc)}") from None


def describe_validation(exc: ValidationError) -> str:
    """`key.path: problem` for each error (at most five), joined on one line."""
    parts = []
    for err in exc.errors()[:5]:
        where = ".".join(str(p) for p in err["loc"]) or "(top level)"
        msg = "unknown key" if err["type"] == "extra_forbidden" else err["msg"]
        if err["type"] == "missing":
            msg = "required key is missing"
        parts.append(f"{where}: {msg}")
    more = len(exc.errors()) - len(parts)
    return "; ".join(parts) + (f" (and {more} more)" if more > 0 else "")
