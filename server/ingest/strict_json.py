"""JSON that both databases can store: no NaN/Infinity, no NUL characters.

Python's json module accepts ``NaN`` and ``\\u0000``; PostgreSQL refuses both (in JSON and text
columns), so a device that sent them would make the insert fail on every retry. Refusing them
at the door turns that into one quarantined message with a reason.
"""

from __future__ import annotations

import json
from typing import Any


class UnstorableJson(ValueError):
    """The document is valid JSON but holds a value the databases cannot store."""


def _refuse_constant(name: str) -> Any:
    raise UnstorableJson(f"non-finite number {name} is not allowed")


def loads_storable(data: bytes | str) -> Any:
    """`json.loads`, refusing NaN/Infinity and strings containing NUL; raises ValueError subclasses."""
    doc = json.loads(data, parse_constant=_refuse_constant)
    _check_strings(doc)
    return doc


def _check_strings(value: Any) -> None:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                raise UnstorableJson("a string contains a NUL character")
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
