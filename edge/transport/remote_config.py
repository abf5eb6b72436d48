"""Applying the retained config topic: a partial config merged into the running one, validated whole.

The server pushes only what changes (`{"detector": {"threshold": 0.8}}`); the node merges it
into its current typed config and validates the result, so a bad value (a typo'd key, a
threshold of 7) is rejected with the path of the problem and the node keeps running on the
config it had. Listeners are told about the new config; nothing restarts.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError

ConfigT = TypeVar("ConfigT", bound=BaseModel)


def deep_merge(base: Mapping[str, Any], partial: Mapping[str, Any]) -> dict[str, Any]:
    """`partial` over `base`, recursing into objects; lists and scalars are replaced whole."""
    merged = dict(base)
    for key, value in partial.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def describe_error(exc: Exception) -> str:
    """One line naming the bad key(s): what an operator reads in the heartbeat."""
    if isinstance(exc, ValidationError):
        parts = [f"{'.'.join(str(p) for p in e['loc']) or '(root)'}: {e['msg']}" for e in exc.errors()[:3]]
        return "; ".join(parts)
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


class RemoteConfig(Generic[ConfigT]):
    """The node's live config; `apply` is the publisher's `on_config` callback."""

    def __init__(self, initial: ConfigT, on_change: Callable[[ConfigT], None] | None = None) -> None:
        self._current = initial
        self._on_change = on_change
        self._lock = threading.Lock()

    @property
    def current(self) -> ConfigT:
        with self._lock:
            return self._current

    def apply(self, partial: Mapping[str, Any]) -> ConfigT:
        """Merge and validate; raises pydantic.ValidationError (a ValueError) and keeps the old config."""
        with self._lock:
            base = self._current.model_dump(mode="json")
            updated = type(self._current).model_validate(deep_merge(base, partial))
            self._current = updated
        if self._on_change is not None:
            self._on_change(updated)
        return updated
