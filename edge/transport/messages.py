"""The v1 MQTT topics and the server's ack message (docs/evidence-format.md).

Shared with the server's ingest, so it imports nothing beyond pydantic and the standard library.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from edge.evidence.bundle import EvidenceId

TOPIC_PREFIX = "honkwatch/v1"


@dataclass(frozen=True)
class Topics:
    """The five topics of one device; `{device}` must not contain MQTT wildcards or `/`."""

    device: str
    prefix: str = TOPIC_PREFIX

    def __post_init__(self) -> None:
        if not self.device or any(ch in self.device for ch in "/+#\x00"):
            raise ValueError(f"device id {self.device!r} cannot be part of an MQTT topic")

    def _topic(self, leaf: str) -> str:
        return f"{self.prefix}/{self.device}/{leaf}"

    @property
    def evidence(self) -> str:
        return self._topic("evidence")

    @property
    def ack(self) -> str:
        return self._topic("ack")

    @property
    def status(self) -> str:
        return self._topic("status")

    @property
    def health(self) -> str:
        return self._topic("health")

    @property
    def config(self) -> str:
        return self._topic("config")


class Ack(BaseModel):
    """`{"ids": [...], "status": "stored"|"duplicate"|"rejected", "reason": ...}` from the server."""

    model_config = ConfigDict(extra="allow")

    ids: list[EvidenceId] = Field(min_length=1)
    status: Literal["stored", "duplicate", "rejected"]
    reason: str | None = None

    def to_bytes(self) -> bytes:
        return self.model_dump_json(exclude_none=True).encode("utf-8")


def parse_ack(payload: bytes) -> Ack:
    """Parse an ack; ValueError with the reason for anything malformed."""
    try:
        return Ack.model_validate_json(payload)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(root)"
        raise ValueError(f"bad ack: {where}: {first['msg']}") from None


def encode_json(doc: object) -> bytes:
    return json.dumps(doc, separators=(",", ":")).encode("utf-8")
