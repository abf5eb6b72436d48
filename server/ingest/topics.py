"""The v1 topic names (docs/evidence-format.md): ``{root}/{device}/{kind}``."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_ROOT = "honkwatch/v1"
KINDS = ("evidence", "status", "health", "ack", "config")


@dataclass(frozen=True)
class Topic:
    device: str
    kind: str


def parse_topic(topic: str, root: str = DEFAULT_ROOT) -> Topic | None:
    """The device and kind of a v1 topic, or None if the topic is not one of ours."""
    prefix = root + "/"
    if not topic.startswith(prefix):
        return None
    parts = topic[len(prefix) :].split("/")
    if len(parts) != 2 or not parts[0] or parts[1] not in KINDS:
        return None
    return Topic(device=parts[0], kind=parts[1])


def device_topic(device: str, kind: str, root: str = DEFAULT_ROOT) -> str:
    """The topic of `kind` for one device, e.g. ``honkwatch/v1/pole-07/ack``."""
    return f"{root}/{device}/{kind}"


def wildcard(kind: str, root: str = DEFAULT_ROOT) -> str:
    """The subscription for `kind` from every device, e.g. ``honkwatch/v1/+/evidence``."""
    return f"{root}/+/{kind}"
