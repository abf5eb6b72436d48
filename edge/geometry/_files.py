"""Find a hardware definition by name (a file in `hardware/<kind>/`) or by path."""

import json
import tomllib
from pathlib import Path
from typing import Any

from edge.errors import GeometryError
from edge.paths import hardware_dir


def resolve(kind: str, name_or_path: str | Path, suffixes: tuple[str, ...]) -> Path:
    """A path as given if it exists, else `hardware/<kind>/<name><suffix>`."""
    p = Path(name_or_path)
    if p.is_file():
        return p
    for suffix in suffixes:
        candidate = hardware_dir() / kind / f"{name_or_path}{suffix}"
        if candidate.is_file():
            return candidate
    known = ", ".join(names(kind, suffixes)) or "none"
    raise GeometryError(f"no {kind[:-1]} named {str(name_or_path)!r} (known: {known})")


def names(kind: str, suffixes: tuple[str, ...]) -> list[str]:
    folder = hardware_dir() / kind
    if not folder.is_dir():
        return []
    return sorted(p.stem for p in folder.iterdir() if p.suffix in suffixes)


def read(path: Path) -> dict[str, Any]:
    try:
        if path.suffix == ".toml":
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        else:
            data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise GeometryError(f"{path}: cannot be read ({exc})") from None
    if not isinstance(data, dict):
        raise GeometryError(f"{path}: must hold an object/table at the top level")
    return data
