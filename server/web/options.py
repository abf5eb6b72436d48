"""The handful of settings the web layer reads, gathered in one typed place."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from server.config import ServerConfig
from server.errors import ConfigError


@dataclass(frozen=True)
class WebOptions:
    """What the pages and the API need to know about the deployment.

    - `secret_key`: signs session cookies; every web process of one deployment shares it.
    - `default_language`: ``zh`` or ``en`` for people who have not chosen one.
    - `second_review`: a confirmation needs a second, different reviewer.
    - `silent_after_s`: a device with no message for this long is flagged on the status page.
    """

    secret_key: str
    default_language: str = "zh"
    second_review: bool = False
    silent_after_s: float = 900.0


def web_options(config: ServerConfig) -> WebOptions:
    """The web options of a server config; without a configured key, a random one per process.

    A random key is right for one process on one machine (sessions end at restart); several
    web processes behind a load balancer need `web.secret_key` or `web.secret_key_file`.
    """
    key = config.web.secret_key
    if config.web.secret_key_file is not None:
        try:
            key = config.web.secret_key_file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigError(
                f"web.secret_key_file: cannot read {config.web.secret_key_file}: {exc}"
            ) from None
    return WebOptions(
        secret_key=key or secrets.token_urlsafe(32),
        default_language=config.web.default_language,
        second_review=config.review.second_reviewer,
        silent_after_s=float(config.devices.silent_after_s),
    )
